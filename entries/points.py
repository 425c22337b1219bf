"""Entry points (`/start <code>`): create and list them per Bündnis, and their links.

An entry point attributes a conversation to a Bündnis and a source (a poster at the
Jobcenter, a multiplier) and picks what the person starts with: a flow that is not a survey
(the Erstberatung) or a survey wave. It never says who came.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Buendnis, EntryPoint, SurveyWave

MAX_SOURCE = 120
_NOT_IN_CODE = re.compile(r"[^A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class EntryError(ValueError):
    """A request that cannot become an entry point; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Links:
    """Where a code leads: the Telegram bot (by its username) and the public web chat."""

    bot_username: str = ""
    public_url: str = ""

    def telegram(self, code: str) -> str | None:
        name = self.bot_username.strip().lstrip("@")
        return f"https://t.me/{name}?start={quote(code)}" if name else None

    def webchat(self, code: str) -> str | None:
        base = self.public_url.strip().rstrip("/")
        return f"{base}/chat?start={quote(code)}" if base else None


@dataclass(frozen=True)
class Entry:
    id: int
    code: str
    source: str
    buendnis_id: int
    buendnis: str  # the Bündnis' name
    flow_id: str | None
    wave_id: int | None
    wave_title: str | None
    scans: int


def check_source(source: str) -> str:
    source = " ".join(source.split())
    if not source or len(source) > MAX_SOURCE or _CONTROL.search(source):
        raise EntryError("source", f"source: 1 to {MAX_SOURCE} characters")
    return source


async def create(
    s: AsyncSession,
    buendnis_id: int,
    target: str,
    source: str,
    flows: Mapping[str, Any],
) -> EntryPoint:
    """A new entry point of a Bündnis: `target` is the id of a loaded flow that is not a survey
    (e.g. `erstberatung`) or the number of one of the Bündnis' survey waves (draft or open)."""
    source = check_source(source)
    buendnis = await s.get(Buendnis, buendnis_id)
    if buendnis is None:
        raise EntryError("buendnis", f"no Bündnis with id {buendnis_id}")
    target = target.strip()
    flow_id, wave_id = None, None
    if target.isdigit():
        wave = await s.get(SurveyWave, int(target))
        if wave is None or wave.buendnis_id != buendnis_id:
            raise EntryError("flow", f"no survey wave {target} in this Bündnis")
        if wave.status == "closed":
            raise EntryError("flow", f"survey wave {target} is closed")
        flow_id, wave_id = wave.flow_id, wave.id
    elif target in flows and getattr(flows[target], "kind", "") != "survey":
        flow_id = target
    else:
        known = ", ".join(sorted(start_flows(flows))) or "none loaded"
        raise EntryError("flow", f"unknown flow {target!r} (one of: {known}, or a wave number)")
    prefix = _NOT_IN_CODE.sub("", buendnis.code.lower())[:40] or "start"
    code = f"{prefix}-{secrets.token_hex(4)}"
    while await s.scalar(select(EntryPoint.id).where(EntryPoint.code == code)) is not None:
        code = f"{prefix}-{secrets.token_hex(4)}"  # a clash is rare; a new draw settles it
    entry = EntryPoint(
        code=code, buendnis_id=buendnis_id, source=source, flow_id=flow_id, wave_id=wave_id
    )
    s.add(entry)
    await s.flush()
    return entry


def start_flows(flows: Mapping[str, Any]) -> dict[str, str]:
    """Flows an entry point may start (not surveys: those start through a wave): id -> title."""
    return {
        fid: str(getattr(f, "title", fid))
        for fid, f in flows.items()
        if getattr(f, "kind", "") != "survey"
    }


async def find(s: AsyncSession, buendnis_id: int | None = None) -> list[Entry]:
    """The entry points of a Bündnis (all with None), newest first."""
    query = (
        select(EntryPoint, Buendnis.name, SurveyWave.title)
        .join(Buendnis, Buendnis.id == EntryPoint.buendnis_id)
        .outerjoin(SurveyWave, SurveyWave.id == EntryPoint.wave_id)
        .order_by(EntryPoint.id.desc())
    )
    if buendnis_id is not None:
        query = query.where(EntryPoint.buendnis_id == buendnis_id)
    return [
        Entry(e.id, e.code, e.source, e.buendnis_id, name, e.flow_id, e.wave_id, title, e.scans)
        for e, name, title in (await s.execute(query)).all()
    ]


async def buendnis_by_code(s: AsyncSession, code: str) -> Buendnis | None:
    return await s.scalar(select(Buendnis).where(Buendnis.code == code.strip()))
