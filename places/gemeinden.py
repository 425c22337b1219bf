"""Gemeinden in conversations: their answer codes, and the choices of a `source: gemeinden`
question (the Gemeinden of the person's Bündnis; typed names are fuzzy-matched by the engine,
umlaut spellings included). The engine stays pure: it only ever sees a flow."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.model import Choice, Flow
from store.models import Conversation, Gemeinde

SOURCE = "gemeinden"
_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}


def gemeinde_code(gemeinde_id: int) -> str:
    return f"g{gemeinde_id}"


def gemeinde_id(code: object) -> int | None:
    """The id in a Gemeinde answer code ("g12" → 12); None for any other answer."""
    if isinstance(code, str) and code.startswith("g") and code[1:].isdecimal() and len(code) < 12:
        return int(code[1:])
    return None


async def place(s: AsyncSession, conv: Conversation, code: object) -> tuple[int | None, int | None]:
    """(Bündnis, Gemeinde) of the person: the Gemeinde answered decides a missing Bündnis."""
    gid = gemeinde_id(code)
    gemeinde = await s.get(Gemeinde, gid) if gid is not None else None
    if gemeinde is not None and conv.buendnis_id is None:
        conv.buendnis_id = gemeinde.buendnis_id
    return conv.buendnis_id, gemeinde.id if gemeinde is not None else None


def _variants(name: str) -> tuple[str, ...]:
    """Spellings people type without umlauts: Münster → Muenster, Munster."""
    spelled = "".join(_UMLAUTS.get(ch, ch) for ch in name)
    return (spelled,) if spelled != name else ()


class GemeindeChoices:
    """A runtime preparer: the Bündnis' Gemeinden (all, without a Bündnis) as choices of
    every `source: gemeinden` item; the choices written in the flow stay, last."""

    def __init__(self, cache_size: int = 256) -> None:
        self._cache: dict[tuple[str, str, tuple[tuple[int, str], ...]], Flow] = {}
        self._cache_size = cache_size

    async def __call__(self, s: AsyncSession, conv: Conversation, flow: Flow) -> Flow:
        if not any(item.source == SOURCE for item in flow.items):
            return flow
        query = select(Gemeinde.id, Gemeinde.name).order_by(Gemeinde.name, Gemeinde.id)
        if conv.buendnis_id is not None:
            query = query.where(Gemeinde.buendnis_id == conv.buendnis_id)
        rows = tuple((int(i), str(n)) for i, n in (await s.execute(query)).all())
        key = (flow.id, flow.version, rows)
        if key not in self._cache:
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[key] = with_gemeinden(flow, rows)
        return self._cache[key]


def with_gemeinden(flow: Flow, rows: tuple[tuple[int, str], ...]) -> Flow:
    found = tuple(Choice(gemeinde_code(i), name, _variants(name)) for i, name in rows)
    items = tuple(
        dataclasses.replace(
            item, choices=found + tuple(c for c in item.choices if gemeinde_id(c.code) is None)
        )
        if item.source == SOURCE
        else item
        for item in flow.items
    )
    return Flow(
        flow.id, flow.version, flow.title, items, flow.path, flow.kind, next_flow=flow.next_flow
    )
