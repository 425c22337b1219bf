"""The translation columns of the offer spreadsheet, as XLSForm names them: `title::ar`,
`summary::fa_AF`, … one per translated field and language, and `review::ar` per language.

A language with any column in the file is *replaced* by what the file says: an empty cell
means "no translation" (export writes every current translation, so export → import keeps
them; outdated ones — made from a German text that has changed since — are not exported and
so are dropped). `review::<locale>`: `reviewed` (also `geprüft`, `ja`) when every translated
field of the row is reviewed, `draft` (also `entwurf`, empty) when none is, else the reviewed
fields separated by `|`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from offers.texts import MAX_TEXT, OFFER_LOCALES, TRANSLATED_FIELDS, is_current
from store.models import Offer, OfferText

SEPARATOR = "::"
REVIEW = "review"
_REVIEWED_WORDS = {"reviewed", "geprüft", "geprueft", "ja", "yes"}
_DRAFT_WORDS = {"", "draft", "entwurf", "nein", "no"}

Translations = dict[str, dict[str, tuple[str, bool]]]  # locale -> field -> (text, reviewed)


def columns(locales: Iterable[str]) -> list[str]:
    """The translation columns for these languages, in the order of the export."""
    out: list[str] = []
    for locale in locales:
        out += [f"{name}{SEPARATOR}{locale}" for name in TRANSLATED_FIELDS]
        out.append(f"{REVIEW}{SEPARATOR}{locale}")
    return out


ALL_COLUMNS: tuple[str, ...] = tuple(columns(OFFER_LOCALES))


def locales_in(header: Sequence[str]) -> list[str]:
    """The languages a file has translation columns for, in picker order."""
    named = {h.split(SEPARATOR, 1)[1] for h in header if SEPARATOR in h}
    return [loc for loc in OFFER_LOCALES if loc in named]


def parse(
    values: Mapping[str, str], header: Sequence[str], error: Any
) -> tuple[list[str], Translations]:
    """The translations of one row: (languages it replaces, locale -> field -> (text,
    reviewed)). `values` are the cells as text; `error(column, reason, kind, value)` reports a
    problem."""
    locales = locales_in(header)
    found: Translations = {}
    for locale in locales:
        texts: dict[str, str] = {}
        for name in TRANSLATED_FIELDS:
            column = f"{name}{SEPARATOR}{locale}"
            text = values.get(column, "")
            if len(text) > MAX_TEXT:
                reason = f"too long ({len(text)} characters, at most {MAX_TEXT})"
                error(column, reason, "too_long", str(MAX_TEXT))
            elif text:
                texts[name] = text
        column = f"{REVIEW}{SEPARATOR}{locale}"
        reviewed = _reviewed(values.get(column, ""), column, error)
        if reviewed is None:
            reviewed = set(texts)
        found[locale] = {name: (text, name in reviewed) for name, text in texts.items()}
    return locales, found


def _reviewed(cell: str, column: str, error: Any) -> set[str] | None:
    """The reviewed fields a review cell names (None: all of them)."""
    word = cell.strip().casefold()
    if word in _REVIEWED_WORDS:
        return None
    if word in _DRAFT_WORDS:
        return set()
    fields = {part.strip() for part in cell.split("|") if part.strip()}
    unknown = sorted(fields - set(TRANSLATED_FIELDS))
    if unknown:
        known = ", ".join(("reviewed", "draft", *TRANSLATED_FIELDS))
        error(column, f"{unknown[0]!r} is not one of {known}", "bad_review", unknown[0])
    return fields & set(TRANSLATED_FIELDS)


def export_locales(offers: Iterable[Offer], texts: Mapping[int, Sequence[OfferText]]) -> list[str]:
    """The languages with at least one current translation among `offers`."""
    present = {t.locale for o in offers for t in texts.get(o.id, []) if is_current(o, t)}
    return [loc for loc in OFFER_LOCALES if loc in present]


def export_cells(offer: Offer, texts: Sequence[OfferText], locales: Sequence[str]) -> list[str]:
    """The translation cells of one offer, in the order of `columns(locales)`."""
    cells: list[str] = []
    for locale in locales:
        current = {t.field: t for t in texts if t.locale == locale and is_current(offer, t)}
        cells += [current[n].text if n in current else "" for n in TRANSLATED_FIELDS]
        reviewed = [n for n in TRANSLATED_FIELDS if n in current and current[n].reviewed]
        if not current or not reviewed:
            cells.append("draft")
        elif len(reviewed) == len(current):
            cells.append("reviewed")
        else:
            cells.append(" | ".join(reviewed))
    return cells
