"""Survey waves in one session (the caller's transaction): create, open/close, invite, count.

The database part of `bot/survey/waves.py`, here so that the admin API can use it without
importing the bot (like `store/referrals.py`). `bot/survey/waves.py` wraps these functions in
their own transactions for the CLI and the runtime. Flows are passed in (anything with `id`,
`kind`, `version`), so this module does not load flow files.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.io import Reply
from dialogs.survey_messages import SM
from referrals.lifecycle import render_payload
from store.models import (
    Buendnis,
    Conversation,
    EntryPoint,
    OutboxMessage,
    ParticipationMarker,
    SurveyResponse,
    SurveyWave,
    today,
)

BROADCAST_PRIORITY = 1
STATUS_FROM = {"open": ("draft",), "closed": ("open",)}
_PARTICIPATION_PURPOSE = b"wegweiser/participation-marker/v1"


class FlowLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def version(self) -> str: ...


class WaveError(Exception):
    """A wave operation that cannot be done (message for staff, English)."""


class WaveNotFound(WaveError):
    pass


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


def participation_key(secret: bytes) -> bytes:
    """The marker key: derived from the main secret, used for nothing else."""
    return hmac.new(secret, _PARTICIPATION_PURPOSE, hashlib.sha256).digest()


def participation_marker(secret: bytes, wave_id: int, pseudonym: str) -> str:
    return hmac.new(
        participation_key(secret), f"{wave_id}:{pseudonym}".encode(), hashlib.sha256
    ).hexdigest()


def check_code(code: str) -> str:
    if not code.replace("-", "").replace("_", "").isalnum() or len(code) > 64:
        raise WaveError("code: letters, digits, '-' and '_' only, at most 64 characters")
    return code


async def create(
    s: AsyncSession, buendnis_id: int, flow: FlowLike, title: str, code: str | None = None
) -> SurveyWave:
    """A draft wave of `flow` for a Bündnis, with its own deep-link code."""
    if flow.kind != "survey":
        raise WaveError(f"flow {flow.id!r} is a {flow.kind} flow, not a survey")
    title = title.strip()
    if not title or len(title) > 200:
        raise WaveError("title must be 1 to 200 characters")
    code = check_code(code or f"umfrage-{secrets.token_hex(4)}")
    if await s.scalar(select(EntryPoint.id).where(EntryPoint.code == code)) is not None:
        raise WaveError(f"start code {code!r} is already in use")
    wave = SurveyWave(
        buendnis_id=buendnis_id,
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
            buendnis_id=buendnis_id,
            source=f"Befragung: {title}"[:120],
            flow_id=flow.id,
            wave_id=wave.id,
        )
    )
    await s.flush()
    return wave


async def lock(s: AsyncSession, wave_id: int) -> SurveyWave:
    wave = await s.get(
        SurveyWave,
        wave_id,
        with_for_update=s.get_bind().dialect.name != "sqlite",
        populate_existing=True,
    )
    if wave is None:
        raise WaveNotFound(f"no wave with id {wave_id}")
    return wave


async def set_status(
    s: AsyncSession, wave_id: int, status: str, flows: dict[str, Any]
) -> SurveyWave:
    """draft → open (pins the flow version loaded now) or open → closed."""
    if status not in STATUS_FROM:
        raise WaveError(f"unknown status {status!r} (open or closed)")
    wave = await lock(s, wave_id)
    if wave.status not in STATUS_FROM[status]:
        raise WaveError(f"wave {wave_id} is {wave.status}; cannot set it {status}")
    if status == "open":
        flow = flows.get(wave.flow_id)
        if flow is None:
            raise WaveError(f"flow {wave.flow_id!r} is not loaded")
        wave.flow_version, wave.opened_on = flow.version, today()
    else:
        wave.closed_on = today()
    wave.status = status
    await s.flush()
    return wave


async def start_code(s: AsyncSession, wave_id: int) -> str | None:
    return await s.scalar(
        select(EntryPoint.code).where(EntryPoint.wave_id == wave_id).order_by(EntryPoint.id)
    )


async def invite(s: AsyncSession, wave_id: int, secret: bytes, default_locale: str = "de") -> int:
    """Queue an invitation (outbox priority 1, after replies) to everyone of the wave's
    Bündnis who said yes to invitations, has not stopped them and has not taken part yet.
    Returns how many were queued."""
    wave = await lock(s, wave_id)
    if wave.status != "open":
        raise WaveError(f"wave {wave_id} is {wave.status}; only open waves can invite")
    code = await start_code(s, wave.id)
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
    queued = 0
    for conv in people:
        marker = participation_marker(secret, wave.id, conv.pseudonym)
        if await s.get(ParticipationMarker, marker) is not None:
            continue
        s.add(
            OutboxMessage(
                conversation_id=conv.id,
                channel=conv.channel,
                address=conv.address,
                payload=render_payload(reply, conv.locale or default_locale),
                priority=BROADCAST_PRIORITY,
            )
        )
        queued += 1
    await s.flush()
    return queued


async def response_count(s: AsyncSession, wave_id: int) -> int:
    query = (
        select(func.count()).select_from(SurveyResponse).where(SurveyResponse.wave_id == wave_id)
    )
    return await s.scalar(query) or 0


async def info(s: AsyncSession, wave: SurveyWave) -> WaveInfo:
    buendnis = await s.get(Buendnis, wave.buendnis_id)
    return WaveInfo(
        id=wave.id,
        buendnis=buendnis.code if buendnis else "?",
        flow_id=wave.flow_id,
        flow_version=wave.flow_version,
        title=wave.title,
        status=wave.status,
        code=await start_code(s, wave.id),
        opened_on=wave.opened_on.isoformat() if wave.opened_on else None,
        closed_on=wave.closed_on.isoformat() if wave.closed_on else None,
    )
