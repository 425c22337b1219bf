"""Who may use an offer: catalogue defaults plus per-Bündnis overrides, all of it data.

`access(offer, status, overrides, on=…)` answers "yes", "no" or "ask" ("possibly — the
Servicestelle checks"). The rules:

- `offer.access` maps a status code to yes/no/ask; a status it does not mention, or a value
  that is not one of the three, counts as "ask" (missing data never hides an offer).
- An `AccessOverride` of the offer's Bündnis replaces that value for one status, either for the
  one offer or for every offer of its Arbeitshilfe category; an offer-specific override beats a
  category override, and among equals the one valid from the latest date wins. Overrides apply
  from `valid_from` to `valid_to` (inclusive; empty means open).
- Status "unknown" (weiß nicht): the offer is "yes" only if every possible status gets "yes",
  "no" only if every possible status gets "no", else "ask" — so it is never hidden when some
  status could use it.
- Age band: inside the offer's age range → no change; partly inside → "ask"; outside → "no";
  unknown age band → "ask" when the range excludes part of the target group.
- Validity: before `valid_from` or after `valid_to` → "no".
- German: a person below the offer's `german_min` or above its `german_max` → "no" (a B1
  course is not for someone with A1, a beginners' course not for someone with B2); level not
  known → no change (the details say what the offer needs).
The result is the least open of these answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from offers.taxonomy import (
    ACCESS_RANK,
    ACCESS_VALUES,
    AGE_BANDS,
    GERMAN_RANK,
    KNOWN_STATUSES,
    STATUSES,
    UNKNOWN_STATUS,
    Access,
    age_band_range,
)
from store.models import AccessOverride, Offer

#: The whole target group's age span (from the age bands).
TARGET_AGE: tuple[int, int] = (
    min(lo for lo, _ in AGE_BANDS.values()),
    max(hi for _, hi in AGE_BANDS.values()),
)


@dataclass(frozen=True)
class Decision:
    """The answer and why: reason codes (data for the bot and staff pages, not sentences)."""

    access: Access
    reasons: tuple[str, ...]

    @property
    def shown(self) -> bool:
        return self.access != "no"


def _least(values: Iterable[Access]) -> Access:
    return min(values, key=lambda v: ACCESS_RANK[v])


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; known: {', '.join(STATUSES)}")


def _in_force(o: AccessOverride, on: dt.date) -> bool:
    return (o.valid_from is None or o.valid_from <= on) and (o.valid_to is None or on <= o.valid_to)


def applicable_override(
    offer: Offer, status: str, overrides: Iterable[AccessOverride], on: dt.date
) -> AccessOverride | None:
    """The override that decides `status` for `offer` on `on`, if any."""
    best: AccessOverride | None = None
    best_key: tuple[int, dt.date, int] | None = None
    for o in overrides:
        if o.buendnis_id != offer.buendnis_id or o.status != status or not _in_force(o, on):
            continue
        if o.offer_id is not None:
            if o.offer_id != offer.id:
                continue
            specific = 1
        elif o.category is not None and o.category == offer.category:
            specific = 0
        else:
            continue
        key = (specific, o.valid_from or dt.date.min, o.id or 0)
        if best_key is None or key > best_key:
            best, best_key = o, key
    return best


def status_access(
    offer: Offer, status: str, overrides: Iterable[AccessOverride], on: dt.date
) -> tuple[Access, AccessOverride | None]:
    """Access for one known status (not "unknown"): the override's value, else the offer's."""
    override = applicable_override(offer, status, overrides, on)
    raw = override.access if override is not None else (offer.access or {}).get(status)
    value = cast(Access, raw) if raw in ACCESS_VALUES else "ask"
    return value, override


def _age(offer: Offer, age_band: str | None) -> tuple[Access, str | None]:
    lo_offer = offer.age_min if offer.age_min is not None else -1
    hi_offer = offer.age_max if offer.age_max is not None else 10**6
    if offer.age_min is None and offer.age_max is None:
        return "yes", None
    lo, hi = age_band_range(age_band) if age_band is not None else TARGET_AGE
    if hi < lo_offer or lo > hi_offer:
        return "no", "age_outside"
    if lo_offer <= lo and hi <= hi_offer:
        return "yes", "age_fits"
    return "ask", ("age_partly" if age_band is not None else "age_unknown")


def _german(offer: Offer, german: str | None) -> tuple[Access, str | None]:
    """Does the person's German level fit what the offer needs or is meant for?"""
    lo, hi = GERMAN_RANK.get(offer.german_min or ""), GERMAN_RANK.get(offer.german_max or "")
    if lo is None and hi is None:
        return "yes", None
    level = GERMAN_RANK.get(german or "")
    if level is None:
        return "yes", "german_unknown"
    if lo is not None and level < lo:
        return "no", "german_below"
    if hi is not None and level > hi:
        return "no", "german_above"
    return "yes", "german_fits"


def assess(
    offer: Offer,
    status: str,
    overrides: Iterable[AccessOverride] = (),
    on: dt.date | None = None,
    *,
    age_band: str | None = None,
    german: str | None = None,
) -> Decision:
    """Access of a person with `status` (and `age_band` and `german` level, None = not
    known) to `offer` on `on`."""
    _check_status(status)
    if age_band is not None:
        age_band_range(age_band)  # a clear ValueError for an unknown band
    on = on or dt.date.today()
    overrides = list(overrides)
    reasons: list[str] = []
    parts: list[Access] = []

    if status == UNKNOWN_STATUS:
        values = [status_access(offer, s, overrides, on) for s in KNOWN_STATUSES]
        reasons.append("status_unknown")
        reasons.extend(f"override:{o.id}" for _, o in values if o is not None)
        kinds = {v for v, _ in values}
        if kinds == {"yes"}:
            parts.append("yes")
        elif kinds == {"no"}:
            parts.append("no")
        else:
            parts.append("ask")
        reasons.append(f"status_{parts[-1]}")
    else:
        value, override = status_access(offer, status, overrides, on)
        parts.append(value)
        reasons.append(f"status_{value}")
        if override is not None:
            reasons.append(f"override:{override.id}")

    age_value, age_reason = _age(offer, age_band)
    parts.append(age_value)
    if age_reason:
        reasons.append(age_reason)

    german_value, german_reason = _german(offer, german)
    parts.append(german_value)
    if german_reason:
        reasons.append(german_reason)

    if offer.valid_from is not None and on < offer.valid_from:
        parts.append("no")
        reasons.append("not_yet_valid")
    if offer.valid_to is not None and on > offer.valid_to:
        parts.append("no")
        reasons.append("expired")
    return Decision(_least(parts), tuple(reasons))


def access(
    offer: Offer,
    status: str,
    overrides: Sequence[AccessOverride] = (),
    on: dt.date | None = None,
    *,
    age_band: str | None = None,
    german: str | None = None,
) -> Access:
    """ "yes", "no" or "ask" — see the module docstring for the rules."""
    return assess(offer, status, overrides, on, age_band=age_band, german=german).access
