"""Catalogue look-ups on a real database (SQLite and PostgreSQL): offers per need area and
their order, free-text search, routing to a Servicestelle, the demo catalogue."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from offers.search import OfferQueryError, find_offers, responsible_servicestelle, search_text
from offers.taxonomy import CATEGORIES, KNOWN_STATUSES, NEED_AREAS
from store.demo import load_demo
from store.models import AccessOverride, Buendnis, Gemeinde, Offer, Servicestelle

TODAY = dt.date(2026, 11, 23)
ALL_YES = {s: "yes" for s in KNOWN_STATUSES}


def make_offer(b: int, title: str, **kw) -> Offer:
    fields = dict(
        buendnis_id=b,
        title=title,
        provider="Träger (Beispiel)",
        category="sprache",
        need_areas=["sprache"],
        gemeinde_ids=[],
        languages=["de"],
        access=dict(ALL_YES),
        keywords=[],
        is_sample=True,
    )
    fields.update(kw)
    return Offer(**fields)


@pytest.fixture
async def catalogue(db):
    """One Bündnis with Gemeinden A and B, offers built to test each ranking criterion."""
    async with db() as s, s.begin():
        b = Buendnis(code="t", name="Test-Bündnis")
        other = Buendnis(code="o", name="Anderes Bündnis")
        s.add_all([b, other])
        await s.flush()
        ga, gb = Gemeinde(buendnis_id=b.id, name="Aheim"), Gemeinde(buendnis_id=b.id, name="Bdorf")
        s.add_all([ga, gb])
        await s.flush()
        A, B = ga.id, gb.id
        s.add_all(
            [
                make_offer(
                    b.id,
                    "4 Nebenbei Sprache",
                    need_areas=["arbeit", "sprache"],
                    gemeinde_ids=[A],
                    languages=["ar"],
                ),
                make_offer(b.id, "6 Nachbarort", gemeinde_ids=[B], languages=["ar"]),
                make_offer(b.id, "5 Kreisweit", languages=["ar"]),
                make_offer(b.id, "3 Ohne Arabisch", gemeinde_ids=[A], languages=["de"]),
                make_offer(
                    b.id,
                    "2 Nur fragen",
                    gemeinde_ids=[A],
                    languages=["ar"],
                    access={**ALL_YES, "AE": "ask"},
                ),
                make_offer(b.id, "1 Passt genau", gemeinde_ids=[A], languages=["de", "ar"]),
                make_offer(
                    b.id,
                    "x Nicht für AE",
                    gemeinde_ids=[A],
                    languages=["ar"],
                    access={**{k: "no" for k in KNOWN_STATUSES}, "D": "yes"},
                ),
                make_offer(
                    b.id,
                    "x Abgelaufen",
                    gemeinde_ids=[A],
                    languages=["ar"],
                    valid_to=dt.date(2026, 1, 31),
                ),
                make_offer(b.id, "x Zu alt", gemeinde_ids=[A], age_min=27),
                make_offer(other.id, "x Anderes Bündnis", languages=["ar"]),
            ]
        )
    return {"b": b.id, "other": other.id, "A": A, "B": B}


async def test_offers_per_area_in_ranking_order(db, catalogue):
    async with db() as s:
        result = await find_offers(
            s,
            buendnis_id=catalogue["b"],
            gemeinde_id=catalogue["A"],
            need_areas=["sprache", "wohnen"],
            status="AE",
            age_band="21-24",
            languages=["AR"],
            today=TODAY,
            limit_per_area=None,
        )
    assert list(result) == ["sprache", "wohnen"]
    assert result["wohnen"] == []  # a gap: no offer for this need area
    titles = [r.offer.title for r in result["sprache"]]
    assert titles == [
        "1 Passt genau",
        "2 Nur fragen",
        "3 Ohne Arabisch",
        "4 Nebenbei Sprache",  # the person's Gemeinde before the main need area
        "5 Kreisweit",
        "6 Nachbarort",
    ]
    first, second = result["sprache"][:2]
    assert first.access == "yes" and second.access == "ask"
    assert first.score > second.score
    assert {"area_main", "gemeinde_local", "language:ar", "status_yes"} <= set(first.reasons)
    assert all(r.access in ("yes", "ask") for r in result["sprache"])


async def test_limit_and_status_unknown(db, catalogue):
    async with db() as s:
        five = await find_offers(
            s,
            buendnis_id=catalogue["b"],
            gemeinde_id=catalogue["A"],
            need_areas=["sprache"],
            status="AE",
            age_band="21-24",
            languages=["ar"],
            today=TODAY,
        )
        unknown = await find_offers(
            s,
            buendnis_id=catalogue["b"],
            gemeinde_id=catalogue["A"],
            need_areas=["sprache"],
            status="unknown",
            age_band=None,
            languages=["ar"],
            today=TODAY,
            limit_per_area=None,
        )
    assert len(five["sprache"]) == 5
    by_title = {r.offer.title: r for r in unknown["sprache"]}
    # "weiß nicht": the offer only Geduldete may use is shown, as "ask"
    assert by_title["x Nicht für AE"].access == "ask"
    assert "x Abgelaufen" not in by_title and "x Anderes Bündnis" not in by_title
    assert "x Zu alt" not in by_title  # 27+ is outside the whole target group


async def test_override_in_the_database_is_applied(db, catalogue):
    async with db() as s, s.begin():
        target = await s.scalar(select(Offer).where(Offer.title == "x Nicht für AE"))
        s.add(
            AccessOverride(
                buendnis_id=catalogue["b"],
                offer_id=target.id,
                status="AE",
                access="yes",
                valid_from=dt.date(2026, 1, 1),
                note="lokal geöffnet",
            )
        )
        # a rule of another Bündnis for the same category changes nothing here
        s.add(
            AccessOverride(
                buendnis_id=catalogue["other"], category="sprache", status="AE", access="no"
            )
        )
    async with db() as s:
        result = await find_offers(
            s,
            buendnis_id=catalogue["b"],
            gemeinde_id=catalogue["A"],
            need_areas=["sprache"],
            status="AE",
            age_band="21-24",
            languages=[],
            today=TODAY,
            limit_per_area=None,
        )
    titles = [r.offer.title for r in result["sprache"]]
    assert "x Nicht für AE" in titles and "1 Passt genau" in titles


async def test_bad_query_codes_are_refused_with_the_known_codes(db, catalogue):
    async with db() as s:
        kw = dict(
            buendnis_id=catalogue["b"],
            gemeinde_id=None,
            status="AE",
            age_band=None,
            languages=[],
            today=TODAY,
        )
        with pytest.raises(OfferQueryError, match=r"unknown need area.*'housing'.*known: sprache"):
            await find_offers(s, need_areas=["housing"], **kw)
        with pytest.raises(OfferQueryError, match="unknown status 'Duldung'"):
            await find_offers(s, need_areas=["sprache"], **{**kw, "status": "Duldung"})
        with pytest.raises(OfferQueryError, match="unknown age band"):
            await find_offers(s, need_areas=["sprache"], **{**kw, "age_band": "30+"})


# ---------------------------------------------------------------- free-text search


@pytest.fixture
async def searchable(db):
    async with db() as s, s.begin():
        b = Buendnis(code="t", name="Test")
        s.add(b)
        await s.flush()
        s.add_all(
            [
                make_offer(
                    b.id,
                    "Jugendintegrationskurs",
                    provider="VHS (Beispiel)",
                    keywords=["Deutschkurs", "دورة لغة", "курс немецкого"],
                ),
                make_offer(
                    b.id,
                    "Schuldnerberatung",
                    category="beratung",
                    need_areas=["geld"],
                    keywords=["Schulden", "Mahnung", "ديون"],
                ),
                make_offer(
                    b.id,
                    "Fußball im Verein",
                    category="teilhabe",
                    need_areas=["freizeit"],
                    keywords=["Sport"],
                ),
                make_offer(b.id, "Sommerkurs Deutsch", valid_to=dt.date(2026, 8, 31)),
            ]
        )
    return b.id


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Intergationskurs", "Jugendintegrationskurs"),  # typo
        ("jugendintegrationskurs", "Jugendintegrationskurs"),
        ("دوره لغه", "Jugendintegrationskurs"),  # Arabic keyword, letter variants
        ("КУРС НЕМЕЦКОГО", "Jugendintegrationskurs"),  # Cyrillic, other case
        ("Schuldenberatung", "Schuldnerberatung"),
        ("Fussball", "Fußball im Verein"),  # ß written out
        ("ديون", "Schuldnerberatung"),
    ],
)
async def test_search_text_finds_across_spellings_and_scripts(db, searchable, query, expected):
    async with db() as s:
        hits = await search_text(s, searchable, query, 3)
    assert hits and hits[0].offer.title == expected
    assert 0 < hits[0].score <= 100


async def test_search_text_limits_and_empties(db, searchable):
    async with db() as s:
        assert await search_text(s, searchable, "", 5) == []
        assert await search_text(s, searchable, "   ", 5) == []
        assert await search_text(s, searchable, "Xylophon", 5) == []
        assert await search_text(s, searchable + 99, "Deutschkurs", 5) == []
        assert len(await search_text(s, searchable, "kurs", 1)) == 1
        with_expired = [h.offer.title for h in await search_text(s, searchable, "Sommerkurs", 5)]
        without = [
            h.offer.title for h in await search_text(s, searchable, "Sommerkurs", 5, on=TODAY)
        ]
    assert "Sommerkurs Deutsch" in with_expired and "Sommerkurs Deutsch" not in without


# ---------------------------------------------------------------- routing


async def test_routing_to_the_responsible_servicestelle(db):
    async with db() as s, s.begin():
        b, empty = Buendnis(code="t", name="T"), Buendnis(code="e", name="E")
        s.add_all([b, empty])
        await s.flush()
        ga, gb = Gemeinde(buendnis_id=b.id, name="A"), Gemeinde(buendnis_id=b.id, name="B")
        s.add_all([ga, gb])
        await s.flush()
        default = Servicestelle(
            buendnis_id=b.id,
            name="Zentrale",
            is_default=True,
            languages=["de"],
            gemeinde_ids=[],
            need_areas=[],
        )
        local = Servicestelle(
            buendnis_id=b.id,
            name="JMD B",
            languages=["de", "ar"],
            gemeinde_ids=[gb.id],
            need_areas=["sprache", "arbeit"],
        )
        law = Servicestelle(
            buendnis_id=b.id,
            name="Rechtsberatung",
            languages=["fa"],
            gemeinde_ids=[],
            need_areas=["aufenthalt"],
        )
        law_ar = Servicestelle(
            buendnis_id=b.id,
            name="Rechtsberatung arabisch",
            languages=["ar"],
            gemeinde_ids=[],
            need_areas=["aufenthalt"],
        )
        s.add_all([default, local, law, law_ar])
    ids = {"b": b.id, "empty": empty.id, "A": ga.id, "B": gb.id}

    async def route(gemeinde, areas, langs, buendnis="b"):
        async with db() as s:
            st = await responsible_servicestelle(
                s,
                buendnis_id=ids[buendnis],
                gemeinde_id=ids.get(gemeinde),
                need_areas=areas,
                languages=langs,
            )
        return st.name if st else None

    assert await route("B", ["sprache"], ["ar"]) == "JMD B"
    assert await route("B", ["wohnen", "arbeit"], []) == "JMD B"
    assert await route("A", ["sprache"], ["ar"]) == "Zentrale"  # JMD B does not serve A
    assert await route("A", ["wohnen"], []) == "Zentrale"  # nobody specific: the default
    assert await route("A", ["aufenthalt"], ["fa"]) == "Rechtsberatung"
    assert await route("A", ["aufenthalt"], ["ar"]) == "Rechtsberatung arabisch"  # language
    assert await route(None, ["aufenthalt"], ["fa"]) == "Rechtsberatung"  # Gemeinde unknown
    assert await route(None, ["sprache"], ["ar"]) == "Zentrale"
    assert await route("A", ["sprache"], [], buendnis="empty") is None
    with pytest.raises(OfferQueryError):
        await route("A", ["Sprache"], [])


# ---------------------------------------------------------------- demo catalogue


async def test_demo_catalogue_is_complete_marked_and_idempotent(db):
    await load_demo(db)
    again = await load_demo(db)
    assert "added 0 Servicestelle(n), 0 sample offer(s), 0 access rule(s)" in again
    async with db() as s:
        offers = list(await s.scalars(select(Offer)))
        stellen = list(await s.scalars(select(Servicestelle)))
        assert await s.scalar(select(func.count()).select_from(AccessOverride)) == 1
    assert 38 <= len(offers) <= 55
    assert all(o.is_sample and "(Beispiel)" in o.provider for o in offers)
    assert {o.category for o in offers} == set(CATEGORIES)
    assert {a for o in offers for a in o.need_areas} == set(NEED_AREAS)
    assert all(set(o.access) == set(KNOWN_STATUSES) for o in offers)
    assert all(v in ("yes", "no", "ask") for o in offers for v in o.access.values())
    assert len(stellen) == 3
    by_buendnis: dict[int, int] = {}
    for st in stellen:
        by_buendnis[st.buendnis_id] = by_buendnis.get(st.buendnis_id, 0) + st.is_default
    assert set(by_buendnis.values()) == {1}  # exactly one default per demo Bündnis


async def test_demo_intake_finds_offers_for_every_need_area(db):
    await load_demo(db)
    async with db() as s:
        kreis = await s.scalar(select(Buendnis).where(Buendnis.code == "demo-kreis"))
        moers = await s.scalar(select(Gemeinde).where(Gemeinde.name == "Moers"))
        result = await find_offers(
            s,
            buendnis_id=kreis.id,
            gemeinde_id=moers.id,
            need_areas=list(NEED_AREAS),
            status="unknown",
            age_band="18-20",
            languages=["ar"],
            today=TODAY,
        )
        ds = await find_offers(
            s,
            buendnis_id=kreis.id,
            gemeinde_id=moers.id,
            need_areas=["arbeit"],
            status="D",
            age_band="18-20",
            languages=[],
            today=TODAY,
            limit_per_area=None,
        )
    assert all(result[a] for a in NEED_AREAS), {a: len(v) for a, v in result.items()}
    # Jobcenter offers need SGB II receipt: not for Geduldete
    assert not any("Jobcenter" in r.offer.provider for r in ds["arbeit"])


@pytest.mark.parametrize("age_band", ["u16", "16-17"])
async def test_demo_courses_for_working_adults_are_not_shown_to_minors(db, age_band):
    await load_demo(db)
    async with db() as s:
        kreis = await s.scalar(select(Buendnis).where(Buendnis.code == "demo-kreis"))
        found = await find_offers(
            s,
            buendnis_id=kreis.id,
            gemeinde_id=None,
            need_areas=["sprache", "geld"],
            status="unknown",
            age_band=age_band,
            languages=[],
            today=TODAY,
            limit_per_area=None,
        )
    titles = {r.offer.title for area in found.values() for r in area}
    assert titles, "minors still get language offers"
    assert not any("Schichtarbeit" in t or t == "Schuldnerberatung" for t in titles), titles
