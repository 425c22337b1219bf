"""Fixed periods for published counts: calendar months, and only months that are over.

Free windows let anyone difference two results one day apart and read that day's single
cases; a month still running changes from one look to the next in the same way. A month
that is over never changes again (held counts are written once their day is over), and two
different months share no day, so no two publications differ by a part of one. Weeks are not
offered beside months: a month minus the weeks inside it would leave its edge days.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTH = re.compile(r"^((?:\d{3}[1-9]|\d\d[1-9]\d|\d[1-9]\d\d|[1-9]\d{3}))-(0[1-9]|1[0-2])$")


class NotOver(ValueError):
    """A month that has not ended yet: its figures are not published."""


@dataclass(frozen=True)
class Month:
    start: dt.date  # first day
    end: dt.date  # first day of the next month (exclusive)

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")


def _next(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def last_month(today: dt.date) -> Month:
    first = today.replace(day=1)
    start = (first - dt.timedelta(days=1)).replace(day=1)
    return Month(start, first)


def month(text: str | None, today: dt.date | None = None) -> Month:
    """The month `YYYY-MM` (default: the last one that is over); ValueError for another
    shape, `NotOver` for a month not over yet."""
    day = today or dt.date.today()
    if not text:
        return last_month(day)
    found = MONTH.match(text.strip())
    if found is None:
        raise ValueError("a month is written YYYY-MM")
    start = dt.date(int(found[1]), int(found[2]), 1)
    chosen = Month(start, _next(start))
    if chosen.end > day:
        raise NotOver("a month is shown once it is over")
    return chosen
