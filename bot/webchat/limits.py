"""Rate limits of the web chat: token buckets in the process, per conversation and per client
address (see docs/webchat.md)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """Token buckets: `burst` requests at once, refilled at `per_second`."""

    message_burst: int = 20  # per conversation
    message_per_second: float = 1.0
    poll_burst: int = 20  # per conversation
    poll_per_second: float = 1.0
    address_burst: int = 240  # per client address (a shelter shares one)
    address_per_second: float = 4.0
    token_burst: int = 20  # new conversations per client address
    token_per_second: float = 0.2
    poll_seconds: float = 5.0  # how often the page asks for later messages


@dataclass
class Buckets:
    burst: int
    per_second: float
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str) -> float:
        """0 when allowed, else the seconds to wait."""
        now = self.clock()
        tokens, last = self._state.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
        if tokens < 1:
            self._state[key] = (tokens, now)
            return (1 - tokens) / self.per_second
        self._state[key] = (tokens - 1, now)
        if len(self._state) > 50_000:
            self._prune(now)
        return 0.0

    def _prune(self, now: float) -> None:
        full = self.burst / self.per_second
        for k, (_, last) in list(self._state.items()):
            if now - last > full:
                del self._state[k]


def bucket_key(value: str) -> str:
    """Bucket keys are hashed: even in memory no token or address is kept as it is."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]
