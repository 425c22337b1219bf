"""Taking part in a wave and storing a completed survey unlinkably.

Privacy model (b) of the design brief: a response row has a random id, wave, flow version and
the submission *date*; answers are codes or numbers packed into that row (results/storage.py),
free text sits in its own table. Nothing refers to the conversation. A participation marker —
HMAC under a key derived from the main secret for this purpose only — blocks a second
response to the same wave without saying which response was whose.

Neither is written in the person's transaction: both are held (store/holding.py) and written
later in shuffled batches of at least k per wave, the markers in a transaction of their own,
so that neither row metadata (`xmin`, `ctid`) nor the moment of writing ties them to the
person's conversation.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

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
from store.holding import Held, Holding, Writer
from store.models import Conversation, Gemeinde, ParticipationMarker, SurveyWave, today
from store.turn import Handler, Turn
from surveys.waves import participation_marker

log = logging.getLogger(__name__)

GEMEINDE_ROLE = "gemeinde"  # typed place name -> stored only as a Gemeinde code
GEMEINDE_UNKNOWN = "unbekannt"  # typed, but no Gemeinde of the Bündnis matched
STORED_KINDS = ("survey", "demo")  # an Erstberatung's answers are never a survey response
RESPONSE, MARKER = "survey_response", "participation_marker"  # kinds of held items


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


@dataclass(frozen=True)
class HeldResponse:
    """A completed survey waiting to be written (memory only, see store.holding)."""

    codebook: Codebook
    flow_id: str
    flow_version: str
    wave_id: int | None
    buendnis_id: int | None
    answers: dict[str, Any]
    texts: dict[str, str]
    day: dt.date


class HeldMarker(NamedTuple):
    marker: str
    wave_id: int


class Surveys:
    """Start checks and the `Completed` handler of surveys, holding back what they write."""

    def __init__(self, holding: Holding) -> None:
        self.holding = holding

    def handlers(self) -> tuple[tuple[type, Handler], ...]:
        return ((Completed, self.on_completed),)

    async def _taken_part(self, s: AsyncSession, marker: str) -> bool:
        if await s.get(ParticipationMarker, marker) is not None:
            return True
        return any(m.marker == marker for m in self.holding.waiting(MARKER))

    async def check_participation(
        self, s: AsyncSession, conv: Conversation, secret: bytes, flows: Mapping[str, Flow]
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
            if await self._taken_part(s, participation_marker(secret, wave.id, conv.pseudonym)):
                problem = SM.ALREADY_TAKEN_PART
        if problem is not None:
            conv.wave_id, conv.entry_flow = None, None
        return problem

    async def on_completed(self, turn: Turn, done: Completed) -> Handled | None:
        """A completed survey or demo flow: one anonymous response (a note when not stored)."""
        if done.kind not in STORED_KINDS:
            return None
        note = await self.store_response(turn, done)
        return Handled(replies=(Reply(parts=(note,)),)) if note is not None else None

    async def store_response(self, turn: Turn, done: Completed) -> Msg | None:
        """Hold one anonymous response for a completed survey; returns a note for the person
        when nothing will be stored (wave closed meanwhile, already taken part)."""
        s, conv = turn.session, turn.conversation
        wave: SurveyWave | None = None
        if conv.wave_id is not None:
            candidate = await s.get(SurveyWave, conv.wave_id)
            if candidate is not None and candidate.flow_id == done.flow_id:
                wave = candidate
        buendnis_id = wave.buendnis_id if wave is not None else conv.buendnis_id
        day = today()
        if wave is not None:
            if wave.status != "open" or wave.flow_version != done.flow_version:
                log.info("survey answers not stored: wave %d not open for this version", wave.id)
                conv.wave_id = None
                return SM.NOT_STORED
            marker = participation_marker(turn.secret, wave.id, conv.pseudonym)
            if await self._taken_part(s, marker):
                conv.wave_id = None
                return SM.ALREADY_TAKEN_PART
            turn.hold(Held(MARKER, wave.id, day, HeldMarker(marker, wave.id)))
            conv.wave_id, conv.entry_flow = None, None
        coded, texts = await _coded(s, buendnis_id, done)
        response = HeldResponse(
            Codebook.from_answers(done.flow_id, done.flow_version, done.answers),
            done.flow_id,
            done.flow_version,
            None if wave is None else wave.id,
            buendnis_id,
            coded,
            texts,
            day,
        )
        group = (response.wave_id, done.flow_id, done.flow_version, buendnis_id)
        turn.hold(Held(RESPONSE, group, day, response))
        return None


async def _coded(
    s: AsyncSession, buendnis_id: int | None, done: Completed
) -> tuple[dict[str, Any], dict[str, str]]:
    """Categories (a code, codes, a number, None for skipped) and free texts of the answers."""
    coded: dict[str, Any] = {}
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
    return coded, texts


async def write_responses(s: AsyncSession, batch: list[HeldResponse]) -> None:
    """A batch of held responses, in the (shuffled) order given, in one transaction."""
    for r in batch:
        await write_response(
            s,
            r.codebook,
            flow_id=r.flow_id,
            flow_version=r.flow_version,
            wave_id=r.wave_id,
            buendnis_id=r.buendnis_id,
            answers=r.answers,
            texts=r.texts,
            submitted_on=r.day,
        )


async def write_markers(s: AsyncSession, batch: list[HeldMarker]) -> None:
    s.add_all(ParticipationMarker(marker=m.marker, wave_id=m.wave_id) for m in batch)
    await s.flush()


WRITERS: dict[str, Writer] = {RESPONSE: write_responses, MARKER: write_markers}


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
