"""Translations of an offer's texts as staff see and edit them: each with its review status,
which are missing, and one language's replaced (validated by `offers/texts.py`, audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from access.audit import audit
from access.errors import Invalid
from access.scope import Principal, get_scoped
from offers.texts import (
    OFFER_LOCALES,
    TRANSLATED_FIELDS,
    TextError,
    is_current,
    set_texts,
    texts_of,
)
from store.models import Offer

Status = Literal["draft", "reviewed", "outdated"]


@dataclass(frozen=True)
class ShownText:
    text: str
    status: Status  # outdated: made from a German text that has changed since, so not shown


@dataclass(frozen=True)
class OfferTexts:
    offer_id: int
    texts: dict[str, dict[str, ShownText]]  # language → field → translation
    missing: dict[str, list[str]]  # language → fields with German text but no current one


async def offer_texts(s: AsyncSession, offer: Offer) -> OfferTexts:
    """An offer's translations with their status, and what each language still lacks."""
    rows = (await texts_of(s, [offer.id]))[offer.id]
    found: dict[str, dict[str, ShownText]] = {}
    for t in rows:
        if t.locale not in OFFER_LOCALES or t.field not in TRANSLATED_FIELDS:
            continue
        status: Status = (
            "outdated" if not is_current(offer, t) else "reviewed" if t.reviewed else "draft"
        )
        found.setdefault(t.locale, {})[t.field] = ShownText(t.text, status)
    needed = [n for n in TRANSLATED_FIELDS if getattr(offer, n)]
    missing = {}
    for locale in OFFER_LOCALES:
        have = found.get(locale, {})
        gaps = [n for n in needed if n not in have or have[n].status == "outdated"]
        if gaps:
            missing[locale] = gaps
    return OfferTexts(offer.id, found, missing)


async def save_language(
    s: AsyncSession,
    who: Principal,
    offer_id: int,
    locale: str,
    texts: dict[str, tuple[str, bool]],
) -> Offer:
    """Replace one language's translations of an offer (field → text, reviewed; a field not
    given has none afterwards), audited."""
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    if locale not in OFFER_LOCALES:
        raise Invalid(f"unknown language {locale!r}; known: {', '.join(OFFER_LOCALES)}", "locale")
    values = {name: ("", False) for name in TRANSLATED_FIELDS}
    values.update(texts)
    try:
        await set_texts(s, offer, locale, values)
    except TextError as e:
        raise Invalid(str(e), "texts") from None
    await audit(s, who, "translate", "offer", f"{offer.id}:{locale}")
    await s.commit()
    return offer
