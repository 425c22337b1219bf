"""Survey waves per Bündnis: draft → open → closed, pinned to a flow version; invitations.

A wave gets its own deep-link code (an `entry_point` row pointing at the wave): `/start <code>`
takes part. The flow version is pinned when the wave opens; if the flow file changes while
the wave is open, the wave refuses new participants until it is closed and a new wave opened.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.render import render_reply
from bot.survey.messages import SM
from bot.survey.responses import participation_marker
from dialogs.io import Reply
from dialogs.model import Flow
from store.models import (
    Buendnis,
    Conversation,
    EntryPoint,
    OutboxMessage,
    ParticipationMarker,
    SurveyWave,
    today,
)

BROADCAST_PRIORITY = 1
_TRANSITIONS = {"open": ("draft",), "closed": ("open",)}


class WaveError(Exception):
    """A wave operation that cannot be done (message for staff, English)."""


@dataclass(frozen=True)
class WaveInfo:
    id: int
    buendnis: str
    flow_id: str
    flow_version: str
    title: str
    status: str
    code: str | None
    opened_on: str | None
    closed_on: str | None


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
    title = title.strip()
    if not title or len(title) > 200:
        raise WaveError("title must be 1 to 200 characters")
    code = code or f"umfrage-{secrets.token_hex(4)}"
    if not code.replace("-", "").replace("_", "").isalnum() or len(code) > 64:
        raise WaveError("code: letters, digits, '-' and '_' only, at most 64 characters")
    async with sessions() as s, s.begin():
        buendnis = await s.scalar(select(Buendnis).where(Buendnis.code == buendnis_code))
        if buendnis is None:
            raise WaveError(f"no Bündnis with code {buendnis_code!r}")
        if await s.scalar(select(EntryPoint.id).where(EntryPoint.code == code)) is not None:
            raise WaveError(f"start code {code!r} is already in use")
        wave = SurveyWave(
            buendnis_id=buendnis.id,
            flow_id=flow.id,
            flow_version=flow.version,
            title=title,
            status="draft",
        )
        s.add(wave)
        await s.flush()
        s.add(
            EntryPoint(
                code=code,
                buendnis_id=buendnis.id,
                source=f"Befragung: {title}"[:120],
                flow_id=flow.id,
                wave_id=wave.id,
            )
        )
        return await _info(s, wave)


async def set_status(
    sessions: async_sessionmaker[AsyncSession],
    wave_id: int,
    status: str,
    flows: dict[str, Flow],
) -> WaveInfo:
    """draft → open (pins the flow version loaded now) or open → closed."""
    if status not in _TRANSITIONS:
        raise WaveError(f"unknown status {status!r} (open or closed)")
    async with sessions() as s, s.begin():
        wave = await s.get(SurveyWave, wave_id, with_for_update=True)
        if wave is None:
            raise WaveError(f"no wave with id {wave_id}")
        if wave.status not in _TRANSITIONS[status]:
            raise WaveError(f"wave {wave_id} is {wave.status}; cannot set it {status}")
        if status == "open":
            flow = flows.get(wave.flow_id)
            if flow is None:
                raise WaveError(f"flow {wave.flow_id!r} is not loaded")
            wave.flow_version, wave.opened_on = flow.version, today()
        else:
            wave.closed_on = today()
        wave.status = status
        return await _info(s, wave)


async def list_waves(
    sessions: async_sessionmaker[AsyncSession], buendnis_code: str | None = None
) -> list[WaveInfo]:
    async with sessions() as s:
        query = select(SurveyWave).order_by(SurveyWave.id)
        if buendnis_code is not None:
            query = query.join(Buendnis, Buendnis.id == SurveyWave.buendnis_id).where(
                Buendnis.code == buendnis_code
            )
        return [await _info(s, w) for w in (await s.execute(query)).scalars()]


async def invite(
    sessions: async_sessionmaker[AsyncSession],
    wave_id: int,
    secret: bytes,
    default_locale: str = "de",
) -> int:
    """Queue an invitation (outbox priority 1, after replies) to everyone of the wave's
    Bündnis who said yes to invitations, has not stopped them and has not taken part yet.
    Returns how many were queued."""
    queued = 0
    async with sessions() as s, s.begin():
        wave = await s.get(SurveyWave, wave_id)
        if wave is None:
            raise WaveError(f"no wave with id {wave_id}")
        if wave.status != "open":
            raise WaveError(f"wave {wave_id} is {wave.status}; only open waves can invite")
        code = await s.scalar(
            select(EntryPoint.code).where(EntryPoint.wave_id == wave.id).order_by(EntryPoint.id)
        )
        if code is None:
            raise WaveError(f"wave {wave_id} has no start code")
        people = (
            await s.execute(
                select(Conversation).where(
                    Conversation.buendnis_id == wave.buendnis_id,
                    Conversation.invitations.is_(True),
                    Conversation.opted_out.is_(False),
                )
            )
        ).scalars()
        reply = Reply(parts=(SM.INVITATION.with_(code=code),))
        for conv in people:
            marker = participation_marker(secret, wave.id, conv.pseudonym)
            if await s.get(ParticipationMarker, marker) is not None:
                continue
            s.add(
                OutboxMessage(
                    conversation_id=conv.id,
                    channel=conv.channel,
                    address=conv.address,
                    payload=render_reply(reply, conv.locale or default_locale),
                    priority=BROADCAST_PRIORITY,
                )
            )
            queued += 1
    return queued


async def _info(s: AsyncSession, wave: SurveyWave) -> WaveInfo:
    buendnis = await s.get(Buendnis, wave.buendnis_id)
    code = await s.scalar(
        select(EntryPoint.code).where(EntryPoint.wave_id == wave.id).order_by(EntryPoint.id)
    )
    return WaveInfo(
        id=wave.id,
        buendnis=buendnis.code if buendnis else "?",
        flow_id=wave.flow_id,
        flow_version=wave.flow_version,
        title=wave.title,
        status=wave.status,
        code=code,
        opened_on=wave.opened_on.isoformat() if wave.opened_on else None,
        closed_on=wave.closed_on.isoformat() if wave.closed_on else None,
    )
