"""Abandoned surveys: in-progress answers expire and leave only anonymous drop-out counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.io import State
from dialogs.model import Flow
from store.models import Conversation, SurveyDropout, utcnow

DEFAULT_ABANDON_DAYS = 7


async def expire_abandoned(
    sessions: async_sessionmaker[AsyncSession],
    flows: dict[str, Flow],
    inactive: dt.timedelta = dt.timedelta(days=DEFAULT_ABANDON_DAYS),
) -> int:
    """For conversations inactive longer than `inactive` with a survey in progress: count one
    drop-out at the question that was waiting, and remove the answers from the state.
    Returns how many surveys were counted. Counting and removal are one transaction."""
    cutoff = utcnow() - inactive
    counted = 0
    async with sessions() as s, s.begin():
        dialect = s.get_bind().dialect.name
        query = select(Conversation).where(Conversation.updated_at < cutoff)
        if dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        tallies: dict[tuple[str, str, str], int] = {}
        for conv in (await s.execute(query)).scalars():
            state = State.from_json(conv.state)
            flow = flows.get(state.flow_id or "")
            in_survey = flow is not None and flow.kind == "survey"
            if not in_survey or state.finished or state.item is None:
                continue
            key = (state.flow_id or "", state.flow_version or "", state.item)
            tallies[key] = tallies.get(key, 0) + 1
            state.answers, state.toggles, state.suggestion, state.item = {}, [], None, None
            conv.state = state.to_json()
            counted += 1
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        for (flow_id, version, item_id), n in tallies.items():
            stmt = insert(SurveyDropout).values(
                flow_id=flow_id, flow_version=version, item_id=item_id, count=n
            )
            await s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["flow_id", "flow_version", "item_id"],
                    set_={"count": SurveyDropout.count + n},
                )
            )
    return counted
