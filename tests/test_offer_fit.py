"""Fit as a table: age × status × German level × Gemeinde (× topics) → which offers are shown,
in which order, and which are hidden (offers/eligibility.py, offers/ranking.py), on SQLite and
PostgreSQL through `find_offers`."""

from __future__ import annotations

import datetime as dt

import pytest

from offers.search import find_offers
from offers.taxonomy import KNOWN_STATUSES
from store.models import Buendnis, Gemeinde, Offer

TODAY = dt.date(2026, 11, 23)
ALL = {s: "yes" for s in KNOWN_STATUSES}


def offer(b: int, title: str, area: str, **kw) -> Offer:
    fields = dict(
        buendnis_id=b,
        title=title,
        provider="Träger",
        category="beratung",
        need_areas=[area],
        gemeinde_ids=[],
        languages=["de"],
        access=dict(ALL),
        topics=[],
    )
    fields.update(kw)
    return Offer(**fields)


@pytest.fixture
async def places(db):
    async with db() as s, s.begin():
        b = Buendnis(code="fit", name="Fit-Bündnis")
        s.add(b)
        await s.flush()
        a, other = (
            Gemeinde(buendnis_id=b.id, name="Aheim"),
            Gemeinde(buendnis_id=b.id, name="Bdorf"),
        )
        s.add_all([a, other])
        await s.flush()
        A, B = a.id, other.id
        s.add_all(
            [
                offer(b.id, "Anfänger", "sprache", gemeinde_ids=[A], german_max="a2"),
                offer(b.id, "B1", "sprache", german_min="b1"),
                offer(b.id, "IK", "sprache", access={**ALL, "D": "no"}),
                offer(b.id, "Café B", "sprache", gemeinde_ids=[B]),
                offer(b.id, "Job", "arbeit", age_min=18, topics=["work_permit"]),
                offer(b.id, "Jugend", "arbeit", gemeinde_ids=[A], age_min=12, age_max=17),
                offer(b.id, "Erlaubnis", "arbeit", age_min=16, topics=["no_work_permit"]),
                offer(b.id, "Not A", "wohnen", gemeinde_ids=[A], topics=["no_home"]),
                offer(
                    b.id,
                    "Not Kreis",
                    "wohnen",
                    age_min=16,
                    age_max=26,
                    topics=["no_home"],
                ),
                offer(b.id, "Wohnen A", "wohnen", gemeinde_ids=[A]),
            ]
        )
    return {"b": b.id, "A": A, "B": B}


# age band, status, German level, Gemeinde ("A", "B" or None: unknown town), need area, topics
# → the titles shown, best first (everything else is hidden). The offers: Anfänger (A, up to
# A2), B1 (from B1), IK (closed to Duldung), Café B (only in B), Job (from 18, topic
# work_permit), Jugend (A, 12-17), Erlaubnis (from 16, topic no_work_permit), Not A (A, no
# home), Not Kreis (16-26, no home), Wohnen A (A).
TABLE = [
    # German level against what the offer needs / is meant for
    (("18-20", "D", "a1", "A", "sprache", ()), ["Anfänger", "Café B"]),
    (("18-20", "D", "b1", "A", "sprache", ()), ["B1", "Café B"]),
    (("18-20", "AE", "a1", "A", "sprache", ()), ["Anfänger", "IK", "Café B"]),
    (("18-20", "AE", None, "A", "sprache", ()), ["Anfänger", "B1", "IK", "Café B"]),
    # the person's Gemeinde first, offers elsewhere after
    (("18-20", "D", "a1", "B", "sprache", ()), ["Café B", "Anfänger"]),
    (("21-24", "unknown", "a1", None, "sprache", ()), ["IK", "Anfänger", "Café B"]),
    # age: under 16 no job offers, youth offers instead
    (("u16", "D", "a2", "A", "arbeit", ()), ["Jugend"]),
    (("16-17", "D", "a2", "A", "arbeit", ()), ["Jugend", "Erlaubnis"]),
    (("18-20", "D", "a2", "A", "arbeit", ()), ["Erlaubnis", "Job"]),
    # a follow-up topic brings the offers for it up
    (("18-20", "D", "a2", "A", "arbeit", ("work_permit",)), ["Job", "Erlaubnis"]),
    (("18-20", "AE", "a2", "B", "arbeit", ("no_work_permit",)), ["Erlaubnis", "Job"]),
    # urgency: no home → emergency accommodation first, local before Bündnis-wide
    (("18-20", "AG", "a1", "A", "wohnen", ("no_home",)), ["Not A", "Not Kreis", "Wohnen A"]),
    (("18-20", "AG", "a1", "A", "wohnen", ()), ["Not A", "Wohnen A", "Not Kreis"]),
    (("27plus", "AE", "b2", "A", "wohnen", ("no_home",)), ["Not A", "Wohnen A"]),
    (("u16", "unknown", None, None, "wohnen", ("no_home",)), ["Not A", "Wohnen A"]),
    (("18-20", "AG", "a1", "B", "wohnen", ("no_home",)), ["Not Kreis", "Not A", "Wohnen A"]),
]  # fmt: skip


async def test_fit_table(db, places):
    wrong = []
    async with db() as s:
        for (age, status, german, where, area, topics), expected in TABLE:
            found = await find_offers(
                s,
                buendnis_id=places["b"],
                gemeinde_id=places[where] if where else None,
                need_areas=[area],
                status=status,
                age_band=age,
                languages=["ar"],
                today=TODAY,
                limit_per_area=None,
                german=german,
                topics=topics,
            )
            titles = [r.offer.title for r in found[area]]
            if titles != expected:
                wrong.append(f"{age} {status} {german} {where} {area} {topics}: {titles}")
    assert wrong == [], "\n".join(wrong)


async def test_an_urgent_need_area_comes_first_and_offers_elsewhere_say_so(db, places):
    async with db() as s:
        found = await find_offers(
            s,
            buendnis_id=places["b"],
            gemeinde_id=places["A"],
            need_areas=["sprache", "wohnen"],
            status="D",
            age_band="18-20",
            languages=[],
            today=TODAY,
            german="a1",
            topics=["no_home"],
        )
    assert list(found) == ["wohnen", "sprache"]
    first = found["wohnen"][0]
    assert first.urgent and "urgent:no_home" in first.reasons and not first.elsewhere
    cafe = next(r for r in found["sprache"] if r.offer.title == "Café B")
    assert cafe.elsewhere and not cafe.urgent
    course = found["sprache"][0]
    assert course.offer.title == "Anfänger" and "german_fits" in course.reasons
