"""Free-text answers: review by the GfS, export only scrubbed and approved.

The raw text does not outlive the review: approving keeps only the scrubbed text, rejecting
deletes it, and a text nobody reviewed is deleted `RETENTION_DAYS` after its submission date
(the housekeeping). Likely names and street addresses are flagged for the reviewer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from results.scrub import flags, scrub
from store.models import SurveyResponse, SurveyTextAnswer, today

RETENTION_DAYS = 90  # an unreviewed raw text is deleted this long after its submission date


@dataclass(frozen=True)
class TextAnswer:
    id: str
    item_id: str
    text: str  # scrubbed
    reviewed: bool
    flags: tuple[str, ...] = ()  # likely names / addresses, for the reviewer (results.scrub)


async def text_answers(s: AsyncSession, wave_id: int, *, reviewed: bool | None) -> list[TextAnswer]:
    """Scrubbed texts of a wave; `reviewed=True` only approved ones, False only pending."""
    query = (
        select(SurveyTextAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyTextAnswer.response_id)
        .where(SurveyResponse.wave_id == wave_id)
        .order_by(SurveyTextAnswer.item_id, SurveyTextAnswer.text)  # never insertion order
    )
    if reviewed is not None:
        query = query.where(SurveyTextAnswer.reviewed.is_(reviewed))
    rows = (await s.execute(query)).scalars()
    return [TextAnswer(r.id, r.item_id, scrub(r.text), r.reviewed, flags(r.text)) for r in rows]


async def review(s: AsyncSession, wave_id: int, ids: list[str], *, approve: bool) -> int:
    """Approve (may be exported, scrubbed) or reject (deleted) text answers of a wave."""
    in_wave = (
        select(SurveyTextAnswer.id)
        .join(SurveyResponse, SurveyResponse.id == SurveyTextAnswer.response_id)
        .where(SurveyResponse.wave_id == wave_id, SurveyTextAnswer.id.in_(ids))
    )
    found = set((await s.execute(in_wave)).scalars())
    missing = sorted(set(ids) - found)
    if missing:
        raise LookupError(f"no text answer of wave {wave_id} with id(s) {missing}")
    if approve:  # the raw text goes: only what may leave the system is kept
        for row in (
            await s.scalars(select(SurveyTextAnswer).where(SurveyTextAnswer.id.in_(found)))
        ).all():
            row.text, row.reviewed = scrub(row.text), True
    else:
        await s.execute(delete(SurveyTextAnswer).where(SurveyTextAnswer.id.in_(found)))
    return len(found)


async def expire_unreviewed(
    sessions: async_sessionmaker[AsyncSession],
    days: int = RETENTION_DAYS,
    now: dt.date | None = None,
) -> int:
    """Delete raw texts nobody reviewed within `days` of their submission date."""
    cutoff = (now or today()) - dt.timedelta(days=days)
    old = select(SurveyResponse.id).where(SurveyResponse.submitted_on < cutoff)
    async with sessions() as s, s.begin():
        result = await s.execute(
            delete(SurveyTextAnswer).where(
                SurveyTextAnswer.reviewed.is_(False), SurveyTextAnswer.response_id.in_(old)
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)
