"""Counting a wave: its packed responses are read in one query and counted with numpy
(vectorised over all responses; never a Python loop over rows).

Counts are numbers of *respondents*: a multiple-choice item gives one figure per option with
the number of respondents asked as its base; a single-valued item's base is the sum of its
cells ("keine Angabe" included). Any item can be crossed with any other: respondents who
were not asked the row variable or skipped it form the "keine Angabe" row, so column sums
stay exact when the row variable is single-valued.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import LargeBinary

from results.storage import NO_ANSWER, NO_ANSWER_VALUE, Layout, load_layouts
from store.models import SurveyDropout, SurveyResponse

__all__ = ["NO_ANSWER", "Counts", "CrossCounts", "WaveData", "dropouts", "wave_data"]


@dataclass(frozen=True)
class Counts:
    """Counts for one wave: per item and category, and the items' bases."""

    respondents: int
    cells: dict[str, dict[str, int]]  # item -> category -> respondents
    bases: dict[str, int]  # item -> respondents asked


@dataclass(frozen=True)
class CrossCounts:
    by: str
    cells: dict[str, dict[tuple[str, str], int]]  # item -> (row category, category) -> n
    rows: dict[str, dict[str, int]]  # item -> row category -> respondents asked


@dataclass
class _Item:
    """One item's answers in one block of responses: a category number per response
    (0: not asked) or, for multiple choice, a boolean matrix response × category."""

    names: list[str | None]  # category by number
    values: np.ndarray | None  # (n,) for single-valued items
    bits: np.ndarray | None  # (n, categories) for multiple choice
    present: np.ndarray  # (n,) asked
    cache: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> np.ndarray:
        """As a single-valued row variable: the row per response (not asked counts as
        "keine Angabe")."""
        if "rows" not in self.cache:
            assert self.values is not None
            self.cache["rows"] = np.where(self.present, self.values, NO_ANSWER_VALUE)
        return self.cache["rows"]

    def row_bits(self) -> np.ndarray:
        """As a multiple-choice row variable: response × row (not asked: "keine Angabe")."""
        if "row_bits" not in self.cache:
            assert self.bits is not None
            rows = self.bits.copy()
            rows[:, NO_ANSWER_VALUE] |= ~self.present
            self.cache["row_bits"] = rows
        return self.cache["row_bits"]

    def hits(self, as_rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(response, category) of every chosen category: a sparse view of the bits."""
        key = "row_hits" if as_rows else "hits"
        if key not in self.cache:
            bits = self.row_bits() if as_rows else self.bits
            assert bits is not None
            self.cache[key] = np.nonzero(bits)
        return self.cache[key]


@dataclass
class _Block:
    """The responses of one wave that share a layout, as a (responses × words) matrix."""

    layout: Layout
    words: np.ndarray
    items: dict[str, _Item] = field(default_factory=dict)

    def item(self, item_id: str) -> _Item | None:
        if item_id in self.items:
            return self.items[item_id]
        slot = self.layout.slots.get(item_id)
        if slot is None:
            return None
        names = self.layout.categories(item_id)
        block = self.words[:, slot.offset : slot.offset + slot.words]
        if slot.multi:
            raw = np.ascontiguousarray(block, dtype="<u2").view(np.uint8)
            bits = np.unpackbits(raw, axis=1, bitorder="little")[:, : len(names)].view(bool)
            # bit 0 is never set: a word is non-zero exactly when something was chosen
            found = _Item(names, None, bits, np.asarray(block.any(axis=1)))
        else:
            values = block[:, 0].astype(np.intp)
            if values.size and values.max() >= len(names):
                raise ValueError(f"unknown category number in item {item_id!r}")
            found = _Item(names, values, None, values != 0)
        self.items[item_id] = found
        return found


def _add(into: dict, names_a: list, names_b: list | None, matrix: np.ndarray) -> None:
    """Add the non-zero figures of a count vector/matrix under their category names."""
    for idx in zip(*np.nonzero(matrix), strict=True):
        a = names_a[idx[0]]
        if a is None:
            continue
        if names_b is None:
            into[a] = into.get(a, 0) + int(matrix[idx])
        elif names_b[idx[1]] is not None:
            key = (a, names_b[idx[1]])
            into[key] = into.get(key, 0) + int(matrix[idx])


def _frequency(it: _Item) -> tuple[np.ndarray, int]:
    if it.values is not None:
        counts = np.bincount(it.values, minlength=len(it.names))
        counts[0] = 0
        return counts, int(np.count_nonzero(it.present))
    assert it.bits is not None
    return np.count_nonzero(it.bits, axis=0), int(np.count_nonzero(it.present))


def _cross(row: _Item, col: _Item) -> tuple[np.ndarray, np.ndarray]:
    """(row categories × column categories) cells and the respondents asked `col` per row.
    Column 0 (not asked) is counted along and then dropped: cheaper than masking."""
    n_r, n_c = len(row.names), len(col.names)
    if row.values is not None:
        r = row.rows()
        if col.values is not None:
            cells = np.bincount(r * n_c + col.values, minlength=n_r * n_c).reshape(n_r, n_c)
            cells[:, 0] = 0
            return cells, cells.sum(axis=1)  # one category per asked respondent
        who, cat = col.hits()
        cells = np.bincount(r[who] * n_c + cat, minlength=n_r * n_c).reshape(n_r, n_c)
        return cells, np.bincount(r[col.present], minlength=n_r)
    who, cat = row.hits(as_rows=True)
    if col.values is not None:
        cells = np.bincount(cat * n_c + col.values[who], minlength=n_r * n_c).reshape(n_r, n_c)
        cells[:, 0] = 0
        return cells, cells.sum(axis=1)
    assert col.bits is not None
    # float64 matrix product: exact for counts far beyond any wave, and fast (BLAS)
    product = row.row_bits().T.astype(np.float64) @ col.bits.astype(np.float64)
    return product.round().astype(np.int64), np.bincount(cat[col.present[who]], minlength=n_r)


class WaveData:
    """The packed responses of one wave, ready to count."""

    def __init__(self, blocks: list[_Block]) -> None:
        self.blocks = blocks
        self.respondents = sum(len(b.words) for b in blocks)

    def item_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for b in self.blocks:
            seen.update(dict.fromkeys(b.layout.slots))
        return list(seen)

    def counts(self) -> Counts:
        cells: dict[str, dict[str, int]] = {}
        bases: dict[str, int] = {}
        for b in self.blocks:
            for item_id in b.layout.slots:
                it = b.item(item_id)
                assert it is not None
                counts, base = _frequency(it)
                if base:
                    _add(cells.setdefault(item_id, {}), it.names, None, counts[:, None])
                    bases[item_id] = bases.get(item_id, 0) + base
        return Counts(self.respondents, cells, bases)

    def cross(self, by: str, items: Iterable[str]) -> CrossCounts:
        """The items (columns) crossed with `by` (rows)."""
        cells: dict[str, dict[tuple[str, str], int]] = {}
        rows: dict[str, dict[str, int]] = {}
        wanted = [i for i in dict.fromkeys(items) if i != by]
        for b in self.blocks:
            row = b.item(by)
            if row is None:  # the row variable is not in this layout: all "keine Angabe"
                n = len(b.words)
                row = _Item([None, NO_ANSWER], np.zeros(n, np.intp), None, np.zeros(n, bool))
            for item_id in wanted:
                col = b.item(item_id)
                if col is None:
                    continue
                matrix, bases = _cross(row, col)
                _add(cells.setdefault(item_id, {}), row.names, col.names, matrix)
                _add(rows.setdefault(item_id, {}), row.names, None, bases[:, None])
        return CrossCounts(
            by, {i: c for i, c in cells.items() if c}, {i: r for i, r in rows.items() if r}
        )


async def wave_data(s: AsyncSession, wave_id: int) -> WaveData:
    """All responses of a wave in one query: on PostgreSQL concatenated per layout by the
    server (one value instead of a row per response), elsewhere row by row."""
    r = SurveyResponse
    packed: dict[int, tuple[int, bytes]] = {}
    if s.get_bind().dialect.name == "postgresql":
        joined = func.string_agg(r.codes, type_coerce(b"", LargeBinary))
        query = select(r.layout_id, func.count(), joined).where(r.wave_id == wave_id)
        for layout_id, n, data in await s.execute(query.group_by(r.layout_id)):
            packed[layout_id] = (int(n), bytes(data))
    else:
        parts: dict[int, list[bytes]] = {}
        for layout_id, data in await s.execute(
            select(r.layout_id, r.codes).where(r.wave_id == wave_id)
        ):
            parts.setdefault(layout_id, []).append(data)
        packed = {k: (len(v), b"".join(v)) for k, v in parts.items()}
    known = await load_layouts(s, packed)
    blocks = []
    for layout_id, (n, data) in sorted(packed.items()):
        layout = known[layout_id]
        if len(data) != n * layout.width * 2:
            raise ValueError(f"responses of layout {layout_id} do not match its width")
        words = np.frombuffer(data, dtype="<u2").reshape(n, layout.width)
        blocks.append(_Block(layout, words))
    return WaveData(blocks)


async def dropouts(s: AsyncSession, flow_id: str, flow_version: str) -> dict[str, int]:
    query = select(SurveyDropout.item_id, SurveyDropout.count).where(
        SurveyDropout.flow_id == flow_id, SurveyDropout.flow_version == flow_version
    )
    return {item: int(c) for item, c in (await s.execute(query)).all()}
