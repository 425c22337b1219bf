"""packed survey answers: one row per response

The coded answers of a response move from `survey_answer` (one row per item and code) into
`survey_response.codes`, packed by a `survey_layout` of the flow version with its categories
in `survey_code` (see results/storage.py). Existing answers are packed here; the layout of
old data is read off the data itself (an item is multiple choice if a response has several
codes for it, a number item if it holds numbers). The format is frozen in this file on
purpose: later changes of results/storage.py must not change what this migration did.

Downgrade unpacks every response into answer rows again (random ids, as in 0007).

Revision ID: 0020a
Revises: 0008
"""

import math
import struct
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0020a"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_ANSWER = "keine_angabe"

layout_t = sa.table(
    "survey_layout",
    sa.column("id", sa.Integer),
    sa.column("flow_id", sa.String),
    sa.column("flow_version", sa.String),
    sa.column("width", sa.Integer),
    sa.column("slots", sa.JSON),
)
code_t = sa.table(
    "survey_code",
    sa.column("layout_id", sa.Integer),
    sa.column("item_id", sa.String),
    sa.column("code", sa.String),
    sa.column("value", sa.Integer),
)
text_t = sa.table(
    "survey_text_answer",
    sa.column("id", sa.String),
    sa.column("response_id", sa.String),
    sa.column("item_id", sa.String),
    sa.column("text", sa.Text),
    sa.column("reviewed", sa.Boolean),
)
answer_t = sa.table(
    "survey_answer",
    sa.column("id", sa.String),
    sa.column("response_id", sa.String),
    sa.column("item_id", sa.String),
    sa.column("code", sa.String),
    sa.column("number", sa.Float),
)


def _category(code: str | None, number: float | None) -> str:
    if code is not None:
        return code
    if number is not None:
        return str(int(number)) if float(number).is_integer() else str(float(number))
    return NO_ANSWER


@contextmanager
def _texts_kept(conn: sa.Connection) -> Iterator[None]:
    """SQLite rebuilds survey_response for the column changes; dropping the old table with
    foreign keys on deletes the text answers by cascade, so they are put back afterwards."""
    if conn.dialect.name != "sqlite":
        yield
        return
    saved = [dict(r._mapping) for r in conn.execute(sa.select(text_t))]
    yield
    left = set(conn.execute(sa.select(text_t.c.id)).scalars())
    missing = [r for r in saved if r["id"] not in left]
    if missing:
        conn.execute(text_t.insert(), missing)


def _pack(conn: sa.Connection) -> None:
    responses: dict[str, tuple[str, str]] = {}
    for rid, flow_id, version in conn.execute(
        sa.text("SELECT id, flow_id, flow_version FROM survey_response")
    ):
        responses[rid] = (flow_id, version)
    answers: dict[str, dict[str, list[str]]] = {rid: {} for rid in responses}
    numbers: set[tuple[str, str, str]] = set()
    for rid, item_id, code, number in conn.execute(
        sa.text("SELECT response_id, item_id, code, number FROM survey_answer")
    ):
        cat = _category(code, number)
        per = answers[rid].setdefault(item_id, [])
        if cat not in per:
            per.append(cat)
        if number is not None:
            numbers.add((*responses[rid], item_id))
    # per flow version: item -> categories seen, and which items had several per response
    seen: dict[tuple[str, str], dict[str, set[str]]] = {}
    multi: set[tuple[str, str, str]] = set()
    for rid, chosen in answers.items():
        fv = responses[rid]
        items = seen.setdefault(fv, {})
        for item_id, cats in chosen.items():
            items.setdefault(item_id, set()).update(cats)
            if len(cats) > 1:
                multi.add((*fv, item_id))
    for fv in {*responses.values()}:
        seen.setdefault(fv, {})
    layouts: dict[tuple[str, str], tuple[int, int, dict[str, tuple[str, int, dict[str, int]]]]] = {}
    for fv, items in sorted(seen.items(), key=lambda kv: kv[0]):
        slots: list[list[object]] = []
        codes: dict[str, dict[str, int]] = {}
        where: dict[str, tuple[str, int]] = {}  # item -> (kind, offset)
        offset = 0
        for item_id in sorted(items):
            ordered = [NO_ANSWER, *sorted(items[item_id] - {NO_ANSWER})]
            codes[item_id] = {c: n for n, c in enumerate(ordered, 1)}
            if (*fv, item_id) in multi:
                kind, n_words = "multi", math.ceil((len(ordered) + 1) / 16)
            else:
                kind, n_words = ("number" if (*fv, item_id) in numbers else "single"), 1
            slots.append([item_id, kind, offset, n_words])
            where[item_id] = (kind, offset)
            offset += n_words
        layout_id = conn.execute(
            layout_t.insert()
            .values(flow_id=fv[0], flow_version=fv[1], width=offset, slots=slots)
            .returning(layout_t.c.id)
        ).scalar_one()
        rows = [
            {"layout_id": layout_id, "item_id": i, "code": c, "value": n}
            for i, per in codes.items()
            for c, n in per.items()
        ]
        if rows:
            conn.execute(code_t.insert(), rows)
        layouts[fv] = (layout_id, offset, {i: (*where[i], codes[i]) for i in where})
    updates = []
    for rid, chosen in answers.items():
        layout_id, width, by_item = layouts[responses[rid]]
        words = [0] * width
        for item_id, cats in chosen.items():
            kind, offset, numbering = by_item[item_id]
            for cat in cats:
                n = numbering[cat]
                if kind == "multi":
                    words[offset + n // 16] |= 1 << (n % 16)
                else:
                    words[offset] = n
        updates.append({"rid": rid, "l": layout_id, "c": struct.pack(f"<{width}H", *words)})
    if updates:
        conn.execute(
            sa.text("UPDATE survey_response SET layout_id = :l, codes = :c WHERE id = :rid")
            .bindparams(sa.bindparam("c", type_=sa.LargeBinary)),
            updates,
        )


def upgrade() -> None:
    op.create_table(
        "survey_layout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(length=64), nullable=False),
        sa.Column("flow_version", sa.String(length=16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_layout")),
    )
    op.create_index(
        op.f("ix_survey_layout_flow_id"), "survey_layout", ["flow_id", "flow_version"]
    )
    op.create_table(
        "survey_code",
        sa.Column("layout_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["layout_id"],
            ["survey_layout.id"],
            name=op.f("fk_survey_code_layout_id_survey_layout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("layout_id", "item_id", "code", name=op.f("pk_survey_code")),
        sa.UniqueConstraint(
            "layout_id", "item_id", "value", name=op.f("uq_survey_code_layout_id")
        ),
    )
    op.add_column("survey_response", sa.Column("layout_id", sa.Integer(), nullable=True))
    op.add_column("survey_response", sa.Column("codes", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    _pack(conn)
    op.drop_table("survey_answer")
    with _texts_kept(conn), op.batch_alter_table("survey_response") as batch:
        batch.alter_column("layout_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("codes", existing_type=sa.LargeBinary(), nullable=False)
        batch.create_foreign_key(
            batch.f("fk_survey_response_layout_id_survey_layout"),
            "survey_layout",
            ["layout_id"],
            ["id"],
        )
        batch.create_index(batch.f("ix_survey_response_wave_id"), ["wave_id"])


def _unpack(conn: sa.Connection) -> list[dict]:
    layouts: dict[int, tuple[int, list, dict]] = {}
    for layout_id, width, slots in conn.execute(sa.select(layout_t.c.id, layout_t.c.width, layout_t.c.slots)):
        layouts[layout_id] = (width, slots, {})
    for layout_id, item_id, code, value in conn.execute(sa.select(code_t)):
        layouts[layout_id][2].setdefault(item_id, {})[value] = code
    rows = []
    for rid, layout_id, packed in conn.execute(
        sa.text("SELECT id, layout_id, codes FROM survey_response")
    ):
        width, slots, names = layouts[layout_id]
        words = struct.unpack(f"<{width}H", bytes(packed))
        for item_id, kind, offset, size in slots:
            if kind == "multi":
                chosen = [
                    n for n in range(1, size * 16) if words[offset + n // 16] >> (n % 16) & 1
                ]
            else:
                chosen = [words[offset]] if words[offset] else []
            for n in chosen:
                cat = names[item_id][n]
                code = number = None
                if cat != NO_ANSWER:
                    if kind == "number":
                        number = float(cat)
                    else:
                        code = cat
                rows.append(
                    {
                        "id": uuid.uuid4().hex,
                        "response_id": rid,
                        "item_id": item_id,
                        "code": code,
                        "number": number,
                    }
                )
    return rows


def downgrade() -> None:
    conn = op.get_bind()
    rows = _unpack(conn)
    with _texts_kept(conn), op.batch_alter_table("survey_response") as batch:
        batch.drop_index(batch.f("ix_survey_response_wave_id"))
        batch.drop_constraint(
            batch.f("fk_survey_response_layout_id_survey_layout"), type_="foreignkey"
        )
        batch.drop_column("codes")
        batch.drop_column("layout_id")
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("response_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("number", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
            name=op.f("fk_survey_answer_response_id_survey_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answer")),
    )
    op.create_index(op.f("ix_survey_answer_item_id"), "survey_answer", ["item_id", "code"])
    op.create_index(op.f("ix_survey_answer_response_id"), "survey_answer", ["response_id"])
    if rows:
        conn.execute(answer_t.insert(), rows)
    op.drop_table("survey_code")
    op.drop_index(op.f("ix_survey_layout_flow_id"), table_name="survey_layout")
    op.drop_table("survey_layout")
