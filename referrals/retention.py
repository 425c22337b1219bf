"""Finished referrals are deleted a set time after they ended (told on the consent screen)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referrals.lifecycle import purge_closed

log = logging.getLogger(__name__)


async def purge(
    sessions: async_sessionmaker[AsyncSession],
    retention: dt.timedelta,
    now: dt.datetime | None = None,
) -> int:
    async with sessions() as s, s.begin():
        purged = await purge_closed(s, retention, now)
    if purged:
        log.info("referral retention deleted=%d", purged)
    return purged
