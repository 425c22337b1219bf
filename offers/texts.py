"""Translated offer texts: every text field of an offer per language, with a review status.

The German texts live on the offer (the catalogue's source language); translations are
`OfferText` rows that remember the German text they were made from. A translation whose
source no longer matches the offer's German text is *outdated*: it is not shown, so a
changed opening time is never shown in its old Arabic form. Where no current translation
exists the person sees the German text and a note (`Localized.german` says which fields) —
never a silent mix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from base.i18n import LOCALE_ORDER, SOURCE
from store.models import Offer, OfferText

#: The offer fields that have translations, in the order staff pages show them.
TRANSLATED_FIELDS: tuple[str, ...] = (
    "title",
    "summary",
    "opening_hours",
    "cost",
    "what_to_bring",
    "capacity_note",
    "directions",
)
#: Languages offer texts are translated into (every language of the bot but the source).
OFFER_LOCALES: tuple[str, ...] = tuple(loc for loc in LOCALE_ORDER if loc != SOURCE)
MAX_TEXT = 300  # offer_text.text; a translation may be longer than its German source


class TextError(ValueError):
    """A translation that cannot be stored (unknown field or language, too long)."""


@dataclass(frozen=True)
class Localized:
    """An offer's texts in one language: translated where a current translation exists."""

    texts: Mapping[str, str]
    german: tuple[str, ...] = ()  # fields shown in German because no translation is current

    def __getitem__(self, name: str) -> str:
        return self.texts.get(name, "")


def is_current(offer: Offer, text: OfferText) -> bool:
    return text.text != "" and text.source == (getattr(offer, text.field, None) or "")


def localized(offer: Offer, texts: Iterable[OfferText], locale: str) -> Localized:
    """The offer's texts for a person reading `locale` (German source as the fallback)."""
    source = {name: getattr(offer, name) or "" for name in TRANSLATED_FIELDS}
    if locale == SOURCE:
        return Localized(source)
    found = {t.field: t.text for t in texts if t.locale == locale and is_current(offer, t)}
    shown = {name: found.get(name, text) for name, text in source.items()}
    german = tuple(name for name, text in source.items() if text and name not in found)
    return Localized(shown, german)


async def texts_of(session: AsyncSession, offer_ids: Iterable[int]) -> dict[int, list[OfferText]]:
    """The translations of these offers, by offer id."""
    ids = sorted(set(offer_ids))
    found: dict[int, list[OfferText]] = {i: [] for i in ids}
    if not ids:
        return found
    query = select(OfferText).where(OfferText.offer_id.in_(ids)).order_by(OfferText.id)
    for text in await session.scalars(query):
        found[text.offer_id].append(text)
    return found


def check_translation(locale: str, name: str, text: str) -> None:
    if locale not in OFFER_LOCALES:
        raise TextError(f"unknown language {locale!r}; known: {', '.join(OFFER_LOCALES)}")
    if name not in TRANSLATED_FIELDS:
        raise TextError(f"{name!r} has no translations; fields: {', '.join(TRANSLATED_FIELDS)}")
    if len(text) > MAX_TEXT:
        raise TextError(f"{locale} {name}: too long ({len(text)} characters, at most {MAX_TEXT})")


async def set_texts(
    session: AsyncSession,
    offer: Offer,
    locale: str,
    values: Mapping[str, tuple[str, bool]],
) -> None:
    """Store translations of `offer` into `locale`: field -> (text, reviewed). An empty text
    removes that translation. Each is tied to the offer's current German text."""
    for name, (text, _reviewed) in values.items():
        check_translation(locale, name, text.strip())
    existing = {
        t.field: t
        for t in await session.scalars(
            select(OfferText).where(OfferText.offer_id == offer.id, OfferText.locale == locale)
        )
    }
    for name, (raw, reviewed) in values.items():
        text = raw.strip()
        row = existing.get(name)
        if not text:
            if row is not None:
                await session.delete(row)
            continue
        source = getattr(offer, name) or ""
        if row is None:
            session.add(
                OfferText(
                    offer_id=offer.id,
                    locale=locale,
                    field=name,
                    text=text,
                    source=source,
                    reviewed=reviewed,
                )
            )
        else:
            row.text, row.source, row.reviewed = text, source, reviewed


async def replace_texts(
    session: AsyncSession,
    changes: Sequence[tuple[Offer, Mapping[str, Mapping[str, tuple[str, bool]]]]],
    locales: Sequence[str],
) -> None:
    """For each (offer, locale -> field -> (text, reviewed)): replace every translation of
    the offer in `locales` by the ones given (a field not given has none afterwards). Each is
    tied to the offer's current German text. One delete and one insert for all."""
    if not locales or not changes:
        return
    ids = [offer.id for offer, _ in changes]
    await session.execute(
        delete(OfferText).where(OfferText.offer_id.in_(ids), OfferText.locale.in_(locales))
    )
    rows = []
    for offer, values in changes:
        for locale in locales:
            for name, (raw, reviewed) in values.get(locale, {}).items():
                text = raw.strip()
                check_translation(locale, name, text)
                if text:
                    source = getattr(offer, name) or ""
                    rows.append(
                        {
                            "offer_id": offer.id,
                            "locale": locale,
                            "field": name,
                            "text": text,
                            "source": source,
                            "reviewed": reviewed,
                        }
                    )
    if rows:
        await session.execute(insert(OfferText), rows)


# ---------------------------------------------------------------- coverage


@dataclass
class Coverage:
    """Per language: how many German texts (offer fields) exist and how many are translated."""

    locale: str
    texts: int = 0  # German texts that need a translation
    translated: int = 0  # with a current translation
    reviewed: int = 0  # ... of which reviewed
    outdated: int = 0  # translated once, but the German text changed since
    offers_complete: int = 0  # offers with every text translated
    offers: int = 0
    missing_offers: list[int] = field(default_factory=list)  # ids of incomplete offers

    @property
    def missing(self) -> int:
        return self.texts - self.translated


def coverage(offers: Sequence[Offer], texts: Mapping[int, Sequence[OfferText]]) -> list[Coverage]:
    """Translation coverage of these offers for every offer language, in picker order."""
    result = []
    for locale in OFFER_LOCALES:
        c = Coverage(locale, offers=len(offers))
        for offer in offers:
            rows = [t for t in texts.get(offer.id, []) if t.locale == locale]
            current = {t.field: t for t in rows if is_current(offer, t)}
            needed = [n for n in TRANSLATED_FIELDS if getattr(offer, n)]
            c.texts += len(needed)
            done = [n for n in needed if n in current]
            c.translated += len(done)
            c.reviewed += sum(1 for n in done if current[n].reviewed)
            c.outdated += sum(1 for t in rows if t.field in needed and t.field not in current)
            if len(done) == len(needed):
                c.offers_complete += 1
            else:
                c.missing_offers.append(offer.id)
        result.append(c)
    return result


async def catalogue_coverage(session: AsyncSession, buendnis_id: int | None) -> list[Coverage]:
    """Coverage of one Bündnis' catalogue (or of every Bündnis)."""
    query = select(Offer).order_by(Offer.id)
    if buendnis_id is not None:
        query = query.where(Offer.buendnis_id == buendnis_id)
    offers = list(await session.scalars(query))
    return coverage(offers, await texts_of(session, [o.id for o in offers]))
