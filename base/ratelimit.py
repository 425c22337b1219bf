"""Rate limits in this process's memory: at most `amount` events per key in any `seconds`.

One mechanism for every limit of the web chat (requests per conversation and per address) and
of the staff login (failed logins per address): a moving window of the `limits` library in its
in-memory storage, which also forgets a key once its window has passed. The database pacing of
messenger sends is another thing (bot/flood.py).
"""

from __future__ import annotations

import itertools
import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

# One storage for every limit of the process: its clean-up runs in one timer thread, not one
# per limit. Each limit has a namespace of its own, so two never count each other's events.
_STORAGE = MemoryStorage()
_LIMITER = MovingWindowRateLimiter(_STORAGE)
_INSTANCES = itertools.count()


def whole_seconds(seconds: float) -> int:
    """A wait as a client is told it (`Retry-After`): whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(seconds))


class RateLimit:
    """`amount` events per key in any window of `seconds` (rounded up to whole seconds)."""

    def __init__(self, name: str, amount: int, seconds: float) -> None:
        if amount < 1 or seconds <= 0:
            raise ValueError("a rate limit needs at least one event in a positive time")
        namespace = f"{name}-{next(_INSTANCES)}"
        self._item = RateLimitItemPerSecond(amount, whole_seconds(seconds), namespace=namespace)
        self._limiter = _LIMITER

    def hit(self, key: str) -> float:
        """Count one event for `key`: 0.0 when it is within the limit, else the seconds until
        one would be (and nothing is counted)."""
        if self._limiter.hit(self._item, key):
            return 0.0
        return max(self.wait(key), 0.001)  # refused: never 0, even if a slot just came free

    def wait(self, key: str) -> float:
        """0.0 when one more event for `key` is within the limit, else the seconds until it
        would be; counts nothing."""
        if self._limiter.test(self._item, key):
            return 0.0
        reset = self._limiter.get_window_stats(self._item, key).reset_time
        return max(0.0, reset - time.time())  # the storage's clock is the wall clock

    def clear(self, key: str) -> None:
        """Forget every event of `key`."""
        self._limiter.clear(self._item, key)
