"""The demo Bündnisse (sample data, marked `is_sample`), loaded by `wegweiser demo load`.

Safe to repeat: Bündnisse, Servicestellen, offers and access overrides that are already there
(same code, same name, same title and provider, same rule) are left alone, so running it again
after an upgrade adds only what is new.

Offer translations come from `demo_data/offer_texts.yaml`, keyed by the German text: every
text field of a sample offer gets the translations found there, marked as machine drafts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import (
    AccessOverride,
    Buendnis,
    EntryPoint,
    Gemeinde,
    Offer,
    OfferText,
    Servicestelle,
)

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
DEMO_FILE = DEMO_DIR / "buendnisse.yaml"
DEMO_OFFERS_FILE = DEMO_DIR / "offers.yaml"
DEMO_TEXTS_FILE = DEMO_DIR / "offer_texts.yaml"

# The offer fields with translations (offers.texts.TRANSLATED_FIELDS; the store imports no
# domain package, so the list is repeated here and a test keeps the two equal).
TRANSLATED = (
    "title",
    "summary",
    "opening_hours",
    "cost",
    "what_to_bring",
    "capacity_note",
    "directions",
)
# what a demo row may give of an offer: its columns but the keys (Gemeinden come by name)
OFFER_FIELDS = tuple(
    c.key for c in Offer.__table__.columns if c.key not in ("id", "buendnis_id", "gemeinde_ids")
)


def demo_offers() -> dict[str, Any]:
    """The sample catalogue as read from `demo_data/offers.yaml`."""
    data: dict[str, Any] = yaml.safe_load(DEMO_OFFERS_FILE.read_text(encoding="utf-8"))
    return data


def demo_texts() -> dict[str, dict[str, str]]:
    """German text -> locale -> translation (machine drafts), from `offer_texts.yaml`."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster
    data: dict[str, dict[str, str]] = yaml.load(
        DEMO_TEXTS_FILE.read_text(encoding="utf-8"),
        Loader=loader,  # noqa: S506 - a safe loader either way
    )
    return data


def _drafts(offer: Offer, memory: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    out = []
    for name in TRANSLATED:
        source = getattr(offer, name) or ""
        for locale, text in (memory.get(source) or {}).items() if source else ():
            out.append(
                {
                    "offer_id": offer.id,
                    "locale": locale,
                    "field": name,
                    "text": text,
                    "source": source,
                    "reviewed": False,
                }
            )
    return out


def _gemeinde_ids(names: list[str], by_name: dict[str, int], where: str) -> list[int]:
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(f"demo data: {where}: unknown Gemeinde(n) {', '.join(missing)}")
    return [by_name[n] for n in names]


async def _load_catalogue(
    s: AsyncSession, buendnis: Buendnis, spec: dict[str, Any], defaults: dict[str, Any]
) -> tuple[int, int, int]:
    gemeinden = await s.scalars(select(Gemeinde).where(Gemeinde.buendnis_id == buendnis.id))
    by_name = {g.name: g.id for g in gemeinden}
    have_stellen = set(
        await s.scalars(select(Servicestelle.name).where(Servicestelle.buendnis_id == buendnis.id))
    )
    stellen = 0
    for st in spec.get("servicestellen", []):
        if st["name"] in have_stellen:
            continue
        s.add(
            Servicestelle(
                buendnis_id=buendnis.id,
                name=st["name"],
                address=st.get("address", ""),
                contact=st.get("contact", ""),
                languages=list(st.get("languages", [])),
                gemeinde_ids=_gemeinde_ids(st.get("gemeinden", []), by_name, st["name"]),
                need_areas=list(st.get("need_areas", [])),
                is_default=bool(st.get("is_default", False)),
                response_days=int(st.get("response_days", 3)),
            )
        )
        stellen += 1

    existing = {
        (o.title, o.provider): o
        for o in await s.scalars(select(Offer).where(Offer.buendnis_id == buendnis.id))
    }
    offers = 0
    added: list[Offer] = []
    for raw in spec.get("offers", []):
        row = {**defaults, **raw}
        if (row["title"], row["provider"]) in existing:
            continue
        fields = {k: row[k] for k in OFFER_FIELDS if k in row}
        offer = Offer(
            buendnis_id=buendnis.id,
            gemeinde_ids=_gemeinde_ids(row.get("gemeinden", []), by_name, row["title"]),
            **fields,
        )
        s.add(offer)
        existing[(offer.title, offer.provider)] = offer
        added.append(offer)
        offers += 1
    await s.flush()
    memory = demo_texts()
    drafts = [row for offer in added for row in _drafts(offer, memory)]
    if drafts:
        await s.execute(insert(OfferText), drafts)

    rules = 0
    have_rules = {
        (o.offer_id, o.category, o.status, o.valid_from)
        for o in await s.scalars(
            select(AccessOverride).where(AccessOverride.buendnis_id == buendnis.id)
        )
    }
    for rule in spec.get("overrides", []):
        offer_id = None
        if "offer" in rule:  # [title, provider]
            offer_id = existing[tuple(rule["offer"])].id
        valid_from: dt.date | None = rule.get("valid_from")
        key = (offer_id, rule.get("category"), rule["status"], valid_from)
        if key in have_rules:
            continue
        s.add(
            AccessOverride(
                buendnis_id=buendnis.id,
                offer_id=offer_id,
                category=rule.get("category"),
                status=rule["status"],
                access=rule["access"],
                valid_from=valid_from,
                valid_to=rule.get("valid_to"),
                note=rule.get("note", ""),
            )
        )
        rules += 1
    return stellen, offers, rules


async def load_demo(sessions: async_sessionmaker[AsyncSession]) -> str:
    data: list[dict[str, Any]] = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    catalogue = demo_offers()
    specs = {b["code"]: b for b in catalogue["buendnisse"]}
    defaults: dict[str, Any] = catalogue.get("defaults", {})
    created = stellen = offers = rules = 0
    async with sessions() as s, s.begin():
        for b in data:
            buendnis = await s.scalar(select(Buendnis).where(Buendnis.code == b["code"]))
            if buendnis is None:
                buendnis = Buendnis(
                    code=b["code"],
                    name=b["name"],
                    default_locale=b["default_locale"],
                    is_sample=True,
                )
                s.add(buendnis)
                await s.flush()
                for g in b["gemeinden"]:
                    s.add(Gemeinde(buendnis_id=buendnis.id, name=g["name"], kreis=g["kreis"]))
                for e in b["entry_points"]:
                    s.add(EntryPoint(code=e["code"], buendnis_id=buendnis.id, source=e["source"]))
                await s.flush()
                created += 1
            if b["code"] in specs:
                added = await _load_catalogue(s, buendnis, specs[b["code"]], defaults)
                stellen, offers, rules = stellen + added[0], offers + added[1], rules + added[2]
    return (
        f"demo data: {created} Bündnis(se) created, {len(data) - created} already present; "
        f"added {stellen} Servicestelle(n), {offers} sample offer(s), {rules} access rule(s)"
    )
