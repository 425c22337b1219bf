"""Time as the outbox and its senders read it: stored times (naive UTC) and the monotonic
clock. Passed in, so tests move time forward instead of sleeping through retry waits, paces
and leases."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol

from store.models import utcnow


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Naive UTC, comparable with stored times."""
        ...

    def monotonic(self) -> float: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return utcnow()

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK: Clock = SystemClock()
