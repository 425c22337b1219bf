"""Free-text answers: review by the GfS, export only scrubbed and approved."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from results.scrub import scrub
from store.models import SurveyResponse, SurveyTextAnswer


@dataclass(frozen=True)
class TextAnswer:
    id: str
    item_id: str
    text: str  # scrubbed
    reviewed: bool


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
    return [TextAnswer(r.id, r.item_id, scrub(r.text), r.reviewed) for r in rows]


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
    if approve:
        await s.execute(
            update(SurveyTextAnswer).where(SurveyTextAnswer.id.in_(found)).values(reviewed=True)
        )
    else:
        await s.execute(delete(SurveyTextAnswer).where(SurveyTextAnswer.id.in_(found)))
    return len(found)
