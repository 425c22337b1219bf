"""base/ratelimit.py: the one in-memory rate limit of the web chat and the login."""

from __future__ import annotations

import time

import pytest

from base.ratelimit import RateLimit


def test_a_moving_window_per_key(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    limit = RateLimit("test", 2, 10)
    assert limit.hit("a") == 0 and limit.wait("a") == 0
    now[0] += 4
    assert limit.hit("a") == 0
    wait = limit.hit("a")  # the third in 10 s: refused, and not counted
    assert 5.9 < wait <= 6.0, wait  # until the first leaves the window
    assert limit.wait("a") == wait
    assert limit.hit("b") == 0  # another key
    assert RateLimit("test", 2, 10).hit("a") == 0  # another limit of the same name
    now[0] += 6.01
    assert limit.hit("a") == 0  # the first has left the window, the second not
    assert limit.hit("a") > 0
    limit.clear("a")
    assert limit.hit("a") == 0 and limit.hit("a") == 0 and limit.hit("a") > 0


def test_nonsense_limits_are_refused() -> None:
    for amount, seconds in ((0, 10), (1, 0)):
        with pytest.raises(ValueError):
            RateLimit("test", amount, seconds)
