"""Taking part in a wave and storing a completed survey unlinkably.

Privacy model (b) of the design brief: a response row has a random id, wave, flow version and
the submission *date*; answers are codes or numbers packed into that row (results/storage.py),
free text sits in its own table. Nothing refers to the conversation. A participation marker —
HMAC under a key derived from the main secret for this purpose only — blocks a second
response to the same wave without saying which response was whose.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.effects import Completed, Handled
from dialogs.io import Msg, Reply
from dialogs.model import Flow
from dialogs.survey_messages import SM
from offers.fuzzy import match_gemeinde as offers_match_gemeinde
from places.gemeinden import gemeinde_code
from results.codebook import Codebook
from results.storage import write_response
from store.models import Conversation, Gemeinde, ParticipationMarker, SurveyWave
from store.turn import Handler, Turn
from surveys.waves import participation_marker

log = logging.getLogger(__name__)

GEMEINDE_ROLE = "gemeinde"  # typed place name -> stored only as a Gemeinde code
GEMEINDE_UNKNOWN = "unbekannt"  # typed, but no Gemeinde of the Bündnis matched
STORED_KINDS = ("survey", "demo")  # an Erstberatung's answers are never a survey response


def match_gemeinde(typed: str, gemeinden: list[Gemeinde]) -> Gemeinde | None:
    """The Gemeinde a typed place name means, or None (the catalogue's matcher, so survey and
    Erstberatung understand the same spellings)."""
    name, _score, _suggestions = offers_match_gemeinde([g.name for g in gemeinden], typed)
    return next((g for g in gemeinden if g.name == name), None)


async def _wave_problem(
    s: AsyncSession, wave: SurveyWave | None, flows: Mapping[str, Flow]
) -> Msg | None:
    if wave is None:
        return SM.WAVE_UNAVAILABLE
    if wave.status == "draft":
        return SM.WAVE_NOT_OPEN
    if wave.status == "closed":
        return SM.WAVE_CLOSED
    flow = flows.get(wave.flow_id)
    if flow is None or flow.version != wave.flow_version:
        log.warning("wave %d pinned to a flow version that is not loaded", wave.id)
        return SM.WAVE_UNAVAILABLE
    return None


async def check_participation(
    s: AsyncSession, conv: Conversation, secret: bytes, flows: Mapping[str, Flow]
) -> Msg | None:
    """On `/start` for a wave: None when the person may take part, else the refusal.

    A refusal also detaches the conversation from the wave, so a later `/start` runs the
    usual flow instead of refusing again.
    """
    if conv.wave_id is None:
        return None
    wave = await s.get(SurveyWave, conv.wave_id)
    problem = await _wave_problem(s, wave, flows)
    if problem is None and wave is not None:
        marker = participation_marker(secret, wave.id, conv.pseudonym)
        if await s.get(ParticipationMarker, marker) is not None:
            problem = SM.ALREADY_TAKEN_PART
    if problem is not None:
        conv.wave_id, conv.entry_flow = None, None
    return problem


async def on_completed(turn: Turn, done: Completed) -> Handled | None:
    """A completed survey or demo flow: one anonymous response (a note when not stored)."""
    if done.kind not in STORED_KINDS:
        return None
    note = await store_response(turn.session, turn.conversation, done, turn.secret)
    return Handled(replies=(Reply(parts=(note,)),)) if note is not None else None


async def store_response(
    s: AsyncSession, conv: Conversation, done: Completed, secret: bytes
) -> Msg | None:
    """Write one anonymous response for a completed survey; returns a note for the person
    when nothing could be stored (wave closed meanwhile, already taken part)."""
    wave: SurveyWave | None = None
    if conv.wave_id is not None:
        candidate = await s.get(SurveyWave, conv.wave_id)
        if candidate is not None and candidate.flow_id == done.flow_id:
            wave = candidate
    buendnis_id = wave.buendnis_id if wave is not None else conv.buendnis_id
    if wave is not None:
        if wave.status != "open" or wave.flow_version != done.flow_version:
            log.info("survey answers not stored: wave %d not open for this version", wave.id)
            conv.wave_id = None
            return SM.NOT_STORED
        marker = participation_marker(secret, wave.id, conv.pseudonym)
        if await s.get(ParticipationMarker, marker) is not None:
            conv.wave_id = None
            return SM.ALREADY_TAKEN_PART
        s.add(ParticipationMarker(marker=marker, wave_id=wave.id))
        conv.wave_id, conv.entry_flow = None, None
    coded: dict[str, Any] = {}  # categories: a code, codes, a number, None for skipped
    texts: dict[str, str] = {}
    for answer in done.answers:
        item_id, value = answer.item, answer.value
        if value is None:  # skipped: kept as "no answer" for the item's base
            if answer.kind != "text":
                coded[item_id] = None
        elif answer.role == GEMEINDE_ROLE:
            code = await _gemeinde_answer(s, buendnis_id, str(value))
            if code is not None:
                coded[item_id] = code
        elif answer.kind == "text":
            if str(value).strip():
                texts[item_id] = str(value)
        else:
            coded[item_id] = value
    await write_response(
        s,
        Codebook.from_answers(done.flow_id, done.flow_version, done.answers),
        flow_id=done.flow_id,
        flow_version=done.flow_version,
        wave_id=None if wave is None else wave.id,
        buendnis_id=buendnis_id,
        answers=coded,
        texts=texts,
    )
    return None


async def _gemeinde_answer(s: AsyncSession, buendnis_id: int | None, typed: str) -> str | None:
    if not typed.strip():
        return None
    if buendnis_id is None:
        return GEMEINDE_UNKNOWN
    gemeinden = list(
        (await s.execute(select(Gemeinde).where(Gemeinde.buendnis_id == buendnis_id))).scalars()
    )
    match = match_gemeinde(typed, gemeinden)
    return GEMEINDE_UNKNOWN if match is None else gemeinde_code(match.id)


HANDLERS: tuple[tuple[type, Handler], ...] = ((Completed, on_completed),)
