"""Survey waves as staff manage them: list the caller's waves with their start codes and
response counts, create a draft from a loaded survey flow, open, close and invite — scoped to
the caller's Bündnis (admin: all) and audited. The admin API and the staff pages both call
these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.audit import audit
from access.errors import Conflict, Invalid, NotFound
from access.scope import Principal, buendnis_filter, get_scoped, target_buendnis
from store.models import Buendnis, EntryPoint, SurveyWave
from surveys import waves as store_waves


@dataclass
class SurveyConfig:
    """What wave operations need besides the database: the loaded flows (by id), the main
    secret (participation markers, so invitations skip people who took part) and the
    fallback locale of invitations. `wegweiser serve` passes its own."""

    flows: dict[str, Any] = field(default_factory=dict)
    secret: bytes | None = None
    default_locale: str = "de"

    def survey_flows(self) -> dict[str, str]:
        """The loaded survey flows: id → title."""
        return {fid: f.title for fid, f in self.flows.items() if getattr(f, "kind", "") == "survey"}


@dataclass(frozen=True)
class WaveView:
    """A wave as staff see it: its row's fields, its start code and its response count."""

    id: int
    buendnis_id: int
    flow_id: str
    flow_version: str
    title: str
    status: str  # draft | open | closed
    code: str | None
    opened_on: dt.date | None
    closed_on: dt.date | None
    responses: int


async def _view(s: AsyncSession, wave: SurveyWave) -> WaveView:
    return WaveView(
        id=wave.id,
        buendnis_id=wave.buendnis_id,
        flow_id=wave.flow_id,
        flow_version=wave.flow_version,
        title=wave.title,
        status=wave.status,
        code=await store_waves.start_code(s, wave.id),
        opened_on=wave.opened_on,
        closed_on=wave.closed_on,
        responses=await store_waves.response_count(s, wave.id),
    )


async def scoped_wave(s: AsyncSession, who: Principal, wave_id: int) -> SurveyWave:
    return await get_scoped(s, who, SurveyWave, wave_id, "wave")


async def one_wave(s: AsyncSession, who: Principal, wave_id: int) -> WaveView:
    return await _view(s, await scoped_wave(s, who, wave_id))


async def find_waves(
    s: AsyncSession,
    who: Principal,
    buendnis_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[WaveView], int]:
    """A page of the caller's waves (admin: all) with response counts, and the total."""
    where = buendnis_filter(who, SurveyWave.buendnis_id)
    if buendnis_id is not None:
        where = where & (SurveyWave.buendnis_id == buendnis_id)
    if status is not None:
        where = where & (SurveyWave.status == status)
    total = await s.scalar(select(func.count()).select_from(SurveyWave).where(where)) or 0
    rows = await s.scalars(
        select(SurveyWave).where(where).order_by(SurveyWave.id).limit(limit).offset(offset)
    )
    return [await _view(s, w) for w in rows], total


async def new_wave(
    s: AsyncSession,
    who: Principal,
    config: SurveyConfig,
    *,
    buendnis_id: int | None,
    flow_id: str,
    title: str,
    code: str | None = None,
) -> WaveView:
    """Create a draft wave from a loaded survey flow, audited."""
    target = target_buendnis(who, buendnis_id)
    if await s.get(Buendnis, target) is None:
        raise NotFound("Bündnis", "buendnis_id")
    flow = config.flows.get(flow_id)
    if flow is None or flow.kind != "survey":  # a reference to nothing there: like an id
        raise NotFound("survey flow", "flow_id")
    if code is not None:
        taken = await s.scalar(select(EntryPoint.id).where(EntryPoint.code == code))
        if taken is not None:
            raise Conflict("code_taken", "this start code is already in use", "code")
    try:
        wave = await store_waves.create(s, target, flow, title, code)
    except store_waves.WaveError as exc:
        raise Invalid(str(exc), "title") from None
    await audit(s, who, "create", "survey_wave", wave.id)
    out = await _view(s, wave)
    await s.commit()
    return out


async def set_wave_status(
    s: AsyncSession, who: Principal, config: SurveyConfig, wave_id: int, status: str
) -> WaveView:
    """Open (pins the flow version) or close a wave; a transition not allowed is a
    `Conflict`."""
    await scoped_wave(s, who, wave_id)
    try:
        wave = await store_waves.set_status(s, wave_id, status, config.flows)
    except store_waves.WaveError as exc:
        await s.rollback()
        raise Conflict("invalid_transition", str(exc), "status") from None
    await audit(s, who, status, "survey_wave", wave_id)
    out = await _view(s, wave)
    await s.commit()
    return out


async def invite_to_wave(
    s: AsyncSession, who: Principal, config: SurveyConfig, wave_id: int
) -> int:
    """Queue invitations to an open wave; returns how many were queued."""
    await scoped_wave(s, who, wave_id)
    if config.secret is None:
        raise Conflict("not_configured", "invitations need the server secret (wegweiser serve)")
    try:
        queued = await store_waves.invite(s, wave_id, config.secret, config.default_locale)
    except store_waves.WaveError as exc:
        await s.rollback()
        raise Conflict("wave_not_open", str(exc)) from None
    await audit(s, who, "invite", "survey_wave", wave_id)
    await s.commit()
    return queued
