"""Rate limits of the web chat, per conversation and per client address (see docs/webchat.md),
each a moving window in the process's memory (base/ratelimit.py, the one mechanism)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from base.ratelimit import RateLimit


@dataclass(frozen=True)
class Limits:
    """At most `burst` requests in any `burst / per_second` seconds: a burst at once,
    `per_second` on average."""

    message_burst: int = 20  # per conversation
    message_per_second: float = 1.0
    poll_burst: int = 20  # per conversation
    poll_per_second: float = 1.0
    address_burst: int = 240  # per client address (a shelter shares one)
    address_per_second: float = 4.0
    token_burst: int = 20  # new conversations per client address
    token_per_second: float = 0.2
    poll_seconds: float = 5.0  # how often the page asks for later messages


def rate_limit(name: str, burst: int, per_second: float) -> RateLimit:
    return RateLimit(f"webchat-{name}", burst, burst / per_second)


def bucket_key(value: str) -> str:
    """Limit keys are hashed: even in memory no token or address is kept as it is."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]
