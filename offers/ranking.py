"""Order of the offers shown for one need area.

Criteria, most important first:
1. urgency: the offer is for an urgent topic the person named (no home → emergency
   accommodation, the Ordnungsamt and Wohnungslosenhilfe come first);
2. reach: offered in the person's Gemeinde or the whole Bündnis, before offers in other
   Gemeinden (those are still listed — with their town — since they can be reached);
3. topic: the offer is for a topic the person named in a follow-up (e.g. debts, sport);
4. the person's own Gemeinde before Bündnis-wide offers;
5. need-area match (the offer's first need area is its main one);
6. language match (the offer speaks one of the person's languages);
7. eligibility certainty ("yes" before "ask").
Ties are broken by title and id, so the order is deterministic. The score encodes exactly
this order (higher is better).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from offers.eligibility import Decision
from offers.taxonomy import URGENT_TOPICS, Access
from store.models import Offer

_WEIGHTS = (1e6, 1e5, 1e4, 1e3, 100.0, 10.0, 1.0)


@dataclass(frozen=True)
class RankedOffer:
    """One offer for one need area: access is "yes" or "ask" (never "no"), reasons are codes."""

    offer: Offer
    access: Access
    score: float
    reasons: tuple[str, ...]

    @property
    def urgent(self) -> bool:
        """For an urgent topic the person named (e.g. no home)."""
        return any(r.startswith("urgent:") for r in self.reasons)

    @property
    def elsewhere(self) -> bool:
        """Offered only in Gemeinden other than the person's (or the person's is unknown)."""
        return "gemeinde_other" in self.reasons or "gemeinde_unknown" in self.reasons


def normalize_languages(languages: Iterable[str] | None) -> list[str]:
    return [str(x).strip().lower() for x in (languages or []) if str(x).strip()]


def gemeinde_ids(values: Iterable[Any] | None) -> list[int]:
    """The Gemeinde ids of a JSON list column, in order; anything that is not an id is ignored."""
    ids: list[int] = []
    for v in values or []:
        if isinstance(v, bool):
            continue
        if isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit()):
            if int(v) not in ids:
                ids.append(int(v))
    return ids


def rank(
    offer: Offer,
    decision: Decision,
    *,
    need_area: str,
    gemeinde_id: int | None,
    languages: Sequence[str],
    topics: Sequence[str] = (),
) -> RankedOffer:
    """Score `offer` (already judged by `decision`, which must not be "no") for `need_area`;
    `topics` are what the person named in follow-ups (offers.taxonomy.TOPICS codes)."""
    reasons: list[str] = []
    areas = list(offer.need_areas or [])
    if areas and areas[0] == need_area:
        area, reasons = 2, ["area_main"]
    else:
        area, reasons = 1, ["area_also"]

    served = gemeinde_ids(offer.gemeinde_ids)
    if not served:
        service = 1
        reasons.append("area_whole_buendnis")
    elif gemeinde_id is not None and gemeinde_id in served:
        service = 2
        reasons.append("gemeinde_local")
    else:
        service = 0
        reasons.append("gemeinde_other" if gemeinde_id is not None else "gemeinde_unknown")

    spoken = set(normalize_languages(offer.languages))
    common = [lang for lang in languages if lang in spoken]
    lang_score = 1 if common else 0
    if common:
        reasons.append("language:" + ",".join(common))

    offered = {str(t) for t in offer.topics or []}
    urgent = sorted(offered & set(topics) & URGENT_TOPICS)
    matched = sorted((offered & set(topics)) - URGENT_TOPICS)
    reasons += [f"urgent:{t}" for t in urgent] + [f"topic:{t}" for t in matched]

    certainty = 1 if decision.access == "yes" else 0
    reasons.extend(decision.reasons)
    reach = 1 if service > 0 else 0
    parts = (
        1 if urgent else 0,
        reach,
        1 if matched else 0,
        1 if service == 2 else 0,
        area,
        lang_score,
        certainty,
    )
    score = sum(w * p for w, p in zip(_WEIGHTS, parts, strict=True))
    return RankedOffer(offer, decision.access, score, tuple(reasons))


def ordered(ranked: Iterable[RankedOffer]) -> list[RankedOffer]:
    return sorted(ranked, key=lambda r: (-r.score, r.offer.title.casefold(), r.offer.id or 0))
