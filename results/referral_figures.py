"""Referral statistics for the GfS with the same small-cell suppression as survey results.

Counts per status add up to the total, so they are suppressed as one relation (a hidden
status cannot be recomputed from the total); the contacted count and the onward count stand
alone. Onward referrals are one count under the code `handed_on`: the addressee is free text
a Servicestelle typed and never reaches the GfS. The median time to first contact is shown
only when at least k referrals were contacted — a median of two people is nearly their own
figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from results.suppression import Equation, effective_k, suppress
from results.tables import SECONDARY

Figure = int | str
ONWARD = "handed_on"  # the one category of onward referrals the GfS sees


@dataclass(frozen=True)
class ReferralFigures:
    total: Figure
    by_status: dict[str, Figure]
    contacted: Figure
    median_hours_to_first_contact: float | None
    onward: list[tuple[str, Figure]]
    k: int


def suppressed(
    by_status: dict[str, int],
    contacted: int,
    median_hours: float | None,
    onward: int,
    k: int | None,
) -> ReferralFigures:
    k = effective_k(k)
    statuses = list(by_status)
    values = [by_status[s] for s in statuses] + [sum(by_status.values())]
    total_at = len(statuses)
    sup = suppress(values, [Equation(total_at, tuple(range(total_at)))], k)

    def shown(i: int) -> Figure:
        if i in sup.primary:
            return f"<{k}"
        return SECONDARY if i in sup.secondary else values[i]

    def alone(n: int) -> Figure:
        return f"<{k}" if n < k else n

    return ReferralFigures(
        total=shown(total_at),
        by_status={s: shown(i) for i, s in enumerate(statuses)},
        contacted=alone(contacted),
        median_hours_to_first_contact=median_hours if contacted >= k else None,
        onward=[(ONWARD, alone(onward))] if onward else [],
        k=k,
    )
