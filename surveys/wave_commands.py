"""Survey waves per Bündnis: draft → open → closed, pinned to a flow version; invitations.

A wave gets its own deep-link code (an `entry_point` row pointing at the wave): `/start <code>`
takes part. The flow version is pinned when the wave opens; if the flow file changes while
the wave is open, the wave refuses new participants until it is closed and a new wave opened.

The database work is in `store/waves.py` (shared with the admin API); these wrappers give each
operation its own transaction for the CLI.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.model import Flow
from store.models import Buendnis, SurveyWave
from surveys import waves as store_waves
from surveys.waves import BROADCAST_PRIORITY, WaveError, WaveInfo

__all__ = [
    "BROADCAST_PRIORITY",
    "WaveError",
    "WaveInfo",
    "create_wave",
    "invite",
    "list_waves",
    "set_status",
]


async def create_wave(
    sessions: async_sessionmaker[AsyncSession],
    buendnis_code: str,
    flow: Flow,
    title: str,
    code: str | None = None,
) -> WaveInfo:
    """A draft wave of `flow` for a Bündnis, with its own deep-link code."""
    if flow.kind != "survey":
        raise WaveError(f"flow {flow.id!r} is a {flow.kind} flow, not a survey")
    async with sessions() as s, s.begin():
        buendnis = await s.scalar(select(Buendnis).where(Buendnis.code == buendnis_code))
        if buendnis is None:
            raise WaveError(f"no Bündnis with code {buendnis_code!r}")
        wave = await store_waves.create(s, buendnis.id, flow, title, code)
        return await store_waves.info(s, wave)


async def set_status(
    sessions: async_sessionmaker[AsyncSession],
    wave_id: int,
    status: str,
    flows: dict[str, Flow],
) -> WaveInfo:
    """draft → open (pins the flow version loaded now) or open → closed."""
    async with sessions() as s, s.begin():
        wave = await store_waves.set_status(s, wave_id, status, flows)
        return await store_waves.info(s, wave)


async def list_waves(
    sessions: async_sessionmaker[AsyncSession], buendnis_code: str | None = None
) -> list[WaveInfo]:
    async with sessions() as s:
        query = select(SurveyWave).order_by(SurveyWave.id)
        if buendnis_code is not None:
            query = query.join(Buendnis, Buendnis.id == SurveyWave.buendnis_id).where(
                Buendnis.code == buendnis_code
            )
        return [await store_waves.info(s, w) for w in (await s.execute(query)).scalars()]


async def invite(
    sessions: async_sessionmaker[AsyncSession],
    wave_id: int,
    secret: bytes,
    default_locale: str = "de",
) -> int:
    """Queue an invitation (outbox priority 1, after replies) to everyone of the wave's
    Bündnis who said yes to invitations, has not stopped them and has not taken part yet.
    Returns how many were queued."""
    async with sessions() as s, s.begin():
        return await store_waves.invite(s, wave_id, secret, default_locale)
