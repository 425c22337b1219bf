"""Angebote: the offer catalogue — taxonomy, eligibility, ranking, search, routing, import/export.

Depends only on `store`. Returns data (rows, codes, scores, reason codes), never sentences.
See docs/offers.md.
"""

from offers.eligibility import Decision, access, assess
from offers.fuzzy import match_gemeinde
from offers.ranking import RankedOffer
from offers.search import (
    OfferQueryError,
    TextHit,
    find_offers,
    responsible_servicestelle,
    search_text,
)

__all__ = [
    "Decision",
    "OfferQueryError",
    "RankedOffer",
    "TextHit",
    "access",
    "assess",
    "find_offers",
    "match_gemeinde",
    "responsible_servicestelle",
    "search_text",
]
