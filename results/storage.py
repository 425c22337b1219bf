"""How a completed survey is stored for analysis: one row per response, its answers packed.

`survey_response.codes` is a fixed-width array of little-endian 16-bit words laid out by a
`survey_layout` of the flow version: a single-valued item (choice, yes/no, number, Gemeinde)
takes one word holding the number of its category (0: not asked), a multiple-choice item a
bitset with one bit per category. Category numbers per item live in `survey_code`; number 1
is always "keine Angabe" (asked and skipped). Counting a wave then reads each response once
(results/aggregate.py) instead of joining answer rows per breakdown variable.

The privacy model is unchanged: the row has a random id, wave, Bündnis, flow id and version
and the submission date; nothing refers to the conversation. Layouts and codes describe the
questionnaire, not people.

`write_response` is the one writer; it takes the answers as categories (a code, a list of
codes, a number, or None for "asked, skipped"), so it can equally run later and in batches.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from results.codebook import Codebook
from store.models import SurveyCode, SurveyLayout, SurveyResponse, SurveyTextAnswer

NO_ANSWER = "keine_angabe"  # category of a skipped item
NO_ANSWER_VALUE = 1
WORD_BITS = 16
MAX_VALUE = (1 << WORD_BITS) - 1

Answer = str | int | float | list[Any] | None


def category(value: Any) -> str:
    """The category an answer value is counted under: a code, or a number written plainly."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(float(value))
    return str(value)


def categories(value: Answer) -> list[str]:
    """Categories of one answer: None is "keine Angabe", an empty list is nothing."""
    if value is None:
        return [NO_ANSWER]
    if isinstance(value, list):
        return list(dict.fromkeys(category(v) for v in value))
    return [category(value)]


@dataclass(frozen=True)
class Slot:
    item_id: str
    kind: str  # single | multi | number
    offset: int  # first word
    words: int

    @property
    def multi(self) -> bool:
        return self.kind == "multi"


@dataclass
class Layout:
    id: int
    width: int
    slots: dict[str, Slot]
    codes: dict[str, dict[str, int]]  # item -> category -> number

    def categories(self, item_id: str) -> list[str | None]:
        """Categories by number (index 0: not asked)."""
        known = self.codes.get(item_id, {})
        out: list[str | None] = [None] * (max(known.values(), default=NO_ANSWER_VALUE) + 1)
        for code, value in known.items():
            out[value] = code
        return out

    def fits(self, answers: Mapping[str, Answer]) -> bool:
        """Whether these answers can be packed: every item has a slot, lists only go into
        bitsets, and a bitset has room for the categories it does not know yet."""
        for item_id, value in answers.items():
            slot = self.slots.get(item_id)
            if slot is None or (isinstance(value, list) and not slot.multi):
                return False
            if slot.kind == "number" and value is not None and _answer_kind(value) != "number":
                return False  # a number slot reads back as numbers
            if slot.multi:
                known = self.codes.get(item_id, {})
                new = [c for c in categories(value) if c not in known]
                if max(known.values(), default=0) + len(new) >= slot.words * WORD_BITS:
                    return False
        return True


def _kind(kind: str) -> str:
    return {"multi": "multi", "number": "number"}.get(kind, "single")


def _answer_kind(value: Answer) -> str:
    if isinstance(value, list):
        return "multi"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "number"
    return "single"


def plan(
    codebook: Codebook | None, answers: Mapping[str, Answer], base: Layout | None = None
) -> tuple[list[Slot], dict[str, list[str]]]:
    """Slots and initial categories for a new layout: everything of `base` (the newest layout
    so far, so that layouts only grow), every coded item of the codebook, and any answered
    item neither describes (answers of another version)."""
    kinds: dict[str, str] = {}
    seeds: dict[str, list[str]] = {}
    if base is not None:
        for slot in base.slots.values():
            kinds[slot.item_id] = slot.kind
            seeds[slot.item_id] = [c for c in base.categories(slot.item_id)[1:] if c is not None]
    for item in codebook.items if codebook is not None else ():
        if item.coded:
            if item.id not in kinds or item.multi:
                kinds[item.id] = _kind(item.kind)
            known = seeds.setdefault(item.id, [NO_ANSWER])
            known += [code for code, _ in item.choices if code not in known]
    for item_id, value in answers.items():
        given = None if value is None else _answer_kind(value)
        if item_id not in kinds:
            kinds[item_id] = given or "single"
        elif given == "multi" or (given == "single" and kinds[item_id] == "number"):
            kinds[item_id] = given
        seeds.setdefault(item_id, [NO_ANSWER])
        if kinds[item_id] == "multi":  # a bitset is sized once: its categories up front
            seeds[item_id] += [c for c in categories(value) if c not in seeds[item_id]]
    slots, offset = [], 0
    for item_id, kind in kinds.items():
        # bit 0 unused, bit 1 "keine Angabe", then the categories
        words = math.ceil((len(seeds[item_id]) + 1) / WORD_BITS) if kind == "multi" else 1
        slots.append(Slot(item_id, kind, offset, words))
        offset += words
    return slots, seeds


# ---------------------------------------------------------------- layouts in the database


async def load_layouts(s: AsyncSession, ids: Iterable[int]) -> dict[int, Layout]:
    """The layouts with these ids, with their categories."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = (await s.execute(select(SurveyLayout).where(SurveyLayout.id.in_(ids)))).scalars()
    layouts = {r.id: Layout(r.id, r.width, {sl[0]: Slot(*sl) for sl in r.slots}, {}) for r in rows}
    query = select(SurveyCode.layout_id, SurveyCode.item_id, SurveyCode.code, SurveyCode.value)
    for layout_id, item_id, code, value in await s.execute(
        query.where(SurveyCode.layout_id.in_(ids))
    ):
        layouts[layout_id].codes.setdefault(item_id, {})[code] = value
    return layouts


async def _create_layout(
    s: AsyncSession,
    flow_id: str,
    flow_version: str,
    codebook: Codebook | None,
    answers: Mapping[str, Answer],
    base: Layout | None,
) -> Layout:
    slots, seeds = plan(codebook, answers, base)
    width = sum(sl.words for sl in slots)
    row = SurveyLayout(
        flow_id=flow_id,
        flow_version=flow_version,
        width=width,
        slots=[[sl.item_id, sl.kind, sl.offset, sl.words] for sl in slots],
    )
    s.add(row)
    await s.flush()
    codes = {
        item: {c: n for n, c in enumerate(cats, NO_ANSWER_VALUE)} for item, cats in seeds.items()
    }
    s.add_all(
        SurveyCode(layout_id=row.id, item_id=item, code=c, value=n)
        for item, per in codes.items()
        for c, n in per.items()
    )
    await s.flush()
    return Layout(row.id, width, {sl.item_id: sl for sl in slots}, codes)


async def _add_code(s: AsyncSession, layout: Layout, item_id: str, code: str) -> None:
    """Give a new category the next free number; another writer may be doing the same, so
    insert-or-nothing and read back until the category has a number."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    slot = layout.slots[item_id]
    limit = slot.words * WORD_BITS - 1 if slot.multi else MAX_VALUE
    while code not in layout.codes.setdefault(item_id, {}):
        taken = select(func.max(SurveyCode.value)).where(
            SurveyCode.layout_id == layout.id, SurveyCode.item_id == item_id
        )
        value = int(await s.scalar(taken) or NO_ANSWER_VALUE) + 1
        if value > limit:
            raise ValueError(f"no room for another category of item {item_id!r}")
        await s.execute(
            insert(SurveyCode)
            .values(layout_id=layout.id, item_id=item_id, code=code, value=value)
            .on_conflict_do_nothing()
        )
        rows = select(SurveyCode.code, SurveyCode.value).where(
            SurveyCode.layout_id == layout.id, SurveyCode.item_id == item_id
        )
        layout.codes[item_id] = {c: n for c, n in await s.execute(rows)}


async def layout_for(
    s: AsyncSession,
    flow_id: str,
    flow_version: str,
    codebook: Codebook | None,
    answers: Mapping[str, Answer],
) -> Layout:
    """A layout of this flow version that fits the answers (the newest first, else a new one),
    with a number for each of their categories."""
    ids = select(SurveyLayout.id).where(
        SurveyLayout.flow_id == flow_id, SurveyLayout.flow_version == flow_version
    )
    found = await load_layouts(s, (await s.execute(ids)).scalars())
    newest_first = [lay for _, lay in sorted(found.items(), reverse=True)]
    layout = next((lay for lay in newest_first if lay.fits(answers)), None)
    if layout is None:
        base = newest_first[0] if newest_first else None
        layout = await _create_layout(s, flow_id, flow_version, codebook, answers, base)
        if not layout.fits(answers):  # plan() sizes every slot for these answers
            raise ValueError(f"a new layout of {flow_id} {flow_version} does not fit its answers")
    for item_id, value in answers.items():
        for code in categories(value):
            if code not in layout.codes.get(item_id, {}):
                await _add_code(s, layout, item_id, code)
    return layout


# ---------------------------------------------------------------- packing


def encode(layout: Layout, answers: Mapping[str, Answer]) -> bytes:
    """The packed answers; every category must have a number already (`layout_for`)."""
    words = [0] * layout.width
    for item_id, value in answers.items():
        slot, codes = layout.slots[item_id], layout.codes[item_id]
        cats = categories(value)
        if slot.multi:
            for code in cats:
                n = codes[code]
                words[slot.offset + n // WORD_BITS] |= 1 << (n % WORD_BITS)
        elif cats:
            if len(cats) > 1:
                raise ValueError(f"item {item_id!r} takes one answer, got {len(cats)}")
            words[slot.offset] = codes[cats[0]]
    return struct.pack(f"<{layout.width}H", *words)


def decode(layout: Layout, packed: bytes) -> dict[str, list[str]]:
    """Item -> categories of one response (items not asked are left out)."""
    if len(packed) != 2 * layout.width:
        raise ValueError(f"packed answers of {len(packed)} bytes do not fit layout {layout.id}")
    words = struct.unpack(f"<{layout.width}H", packed)
    out: dict[str, list[str]] = {}
    for item_id, slot in layout.slots.items():
        names = layout.categories(item_id)
        if slot.multi:
            chosen = [
                names[n]
                for n in range(1, len(names))
                if words[slot.offset + n // WORD_BITS] >> (n % WORD_BITS) & 1
            ]
            if chosen:
                out[item_id] = [c for c in chosen if c is not None]
        elif words[slot.offset]:
            name = names[words[slot.offset]] if words[slot.offset] < len(names) else None
            if name is None:
                raise ValueError(f"unknown category number in item {item_id!r}")
            out[item_id] = [name]
    return out


# ---------------------------------------------------------------- writing and reading rows


async def write_response(
    s: AsyncSession,
    codebook: Codebook | None,
    *,
    flow_id: str,
    flow_version: str,
    wave_id: int | None,
    buendnis_id: int | None,
    answers: Mapping[str, Answer],
    texts: Mapping[str, str] | None = None,
    submitted_on: dt.date | None = None,
) -> str:
    """Store one completed response: coded answers packed into one row, free texts apart.
    Returns its random id."""
    layout = await layout_for(s, flow_id, flow_version, codebook, answers)
    response = SurveyResponse(
        id=uuid.uuid4().hex,  # random: says nothing about who or when
        wave_id=wave_id,
        buendnis_id=buendnis_id,
        flow_id=flow_id,
        flow_version=flow_version,
        layout_id=layout.id,
        codes=encode(layout, answers),
    )
    if submitted_on is not None:  # held responses are written later than they came
        response.submitted_on = submitted_on
    s.add(response)
    await s.flush()  # the response row first: text answers refer to it
    for item_id, text in (texts or {}).items():
        s.add(SurveyTextAnswer(response_id=response.id, item_id=item_id, text=text))
    return response.id


class StoredAnswer(NamedTuple):
    """One coded answer as stored, unpacked: a code, or a number for number items; both
    None for "keine Angabe"."""

    response_id: str
    item_id: str
    code: str | None
    number: float | None


async def stored_answers(
    s: AsyncSession, response_ids: Sequence[str] | None = None
) -> list[StoredAnswer]:
    """The coded answers of these responses (default: all), one per chosen category."""
    query = select(SurveyResponse.id, SurveyResponse.layout_id, SurveyResponse.codes)
    if response_ids is not None:
        query = query.where(SurveyResponse.id.in_(response_ids))
    rows = (await s.execute(query.order_by(SurveyResponse.id))).all()
    known = await load_layouts(s, (r[1] for r in rows))
    out = []
    for rid, layout_id, packed in rows:
        layout = known[layout_id]
        for item_id, cats in decode(layout, packed).items():
            number = layout.slots[item_id].kind == "number"
            for c in cats:
                if c == NO_ANSWER:
                    out.append(StoredAnswer(rid, item_id, None, None))
                elif number:
                    out.append(StoredAnswer(rid, item_id, None, float(c)))
                else:
                    out.append(StoredAnswer(rid, item_id, c, None))
    return out
