"""Eligibility (status × access → shown / hidden / "ask"), overrides, age, validity, and the
Gemeinde matcher — pure functions, no database."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from offers.eligibility import access, assess
from offers.fuzzy import match_gemeinde, normalize
from offers.taxonomy import (
    ACCESS_VALUES,
    AGE_BANDS,
    CATEGORIES,
    CATEGORY_NEED_AREAS,
    KNOWN_STATUSES,
    NEED_AREAS,
    STATUSES,
)
from store.models import AccessOverride, Offer

ON = dt.date(2026, 11, 23)


def offer(access_map=None, **kw) -> Offer:
    fields = dict(
        id=1,
        buendnis_id=1,
        title="Jugendintegrationskurs",
        provider="VHS (Beispiel)",
        category="sprache",
        need_areas=["sprache"],
        gemeinde_ids=[],
        languages=["de"],
        keywords=[],
        access=dict(access_map or {}),
        age_min=None,
        age_max=None,
        valid_from=None,
        valid_to=None,
    )
    fields.update(kw)
    return Offer(**fields)


def rule(**kw) -> AccessOverride:
    fields = dict(
        id=10, buendnis_id=1, offer_id=None, category=None, valid_from=None, valid_to=None
    )
    fields.update(kw)
    return AccessOverride(**fields)


# ---------------------------------------------------------------- the eligibility table

SHOWN = {"yes": "shown", "ask": "shown as ask", "no": "hidden"}


@pytest.mark.parametrize("status", KNOWN_STATUSES)
@pytest.mark.parametrize("value", ACCESS_VALUES)
def test_known_status_gets_the_offers_value(status, value):
    # every other status has the opposite answer, so the right column must be read
    others = {s: ("no" if value != "no" else "yes") for s in KNOWN_STATUSES}
    o = offer({**others, status: value})
    assert access(o, status, on=ON) == value
    assert assess(o, status, on=ON).shown is (value != "no")


@pytest.mark.parametrize("status", KNOWN_STATUSES)
def test_missing_or_garbage_value_means_ask_never_hidden(status):
    assert access(offer({}), status, on=ON) == "ask"
    assert access(offer({status: "vielleicht"}), status, on=ON) == "ask"
    assert access(offer({status: True}), status, on=ON) == "ask"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({s: "yes" for s in KNOWN_STATUSES}, "yes"),  # open to all: status does not matter
        ({s: "no" for s in KNOWN_STATUSES}, "no"),  # nobody: hidden
        ({s: "ask" for s in KNOWN_STATUSES}, "ask"),
        ({**{s: "no" for s in KNOWN_STATUSES}, "EU": "yes"}, "ask"),  # one status could use it
        ({**{s: "no" for s in KNOWN_STATUSES}, "D": "ask"}, "ask"),
        ({**{s: "yes" for s in KNOWN_STATUSES}, "AG": "no"}, "ask"),
    ],
)
def test_unknown_status_table(values, expected):
    assert access(offer(values), "unknown", on=ON) == expected


def test_unknown_status_never_hides_an_offer_some_status_could_use():
    """Exhaustively: every combination of yes/no/ask over the seven known statuses."""
    for combo in itertools.product(ACCESS_VALUES, repeat=len(KNOWN_STATUSES)):
        o = offer(dict(zip(KNOWN_STATUSES, combo, strict=True)))
        usable = any(access(o, s, on=ON) != "no" for s in KNOWN_STATUSES)
        result = access(o, "unknown", on=ON)
        assert (result != "no") is usable, combo
        if result == "yes":
            assert set(combo) == {"yes"}


def test_unknown_input_codes_are_refused_clearly():
    with pytest.raises(ValueError, match="unknown status 'Duldung'"):
        access(offer(), "Duldung", on=ON)
    with pytest.raises(ValueError, match="unknown age band '18-27'"):
        access(offer(), "AE", on=ON, age_band="18-27")


# ---------------------------------------------------------------- overrides (data, per Bündnis)


def test_category_override_changes_the_answer_for_its_status_only():
    o = offer({"D": "no", "AE": "yes"})
    rules = [rule(category="sprache", status="D", access="ask")]
    assert access(o, "D", rules, ON) == "ask"
    assert access(o, "AE", rules, ON) == "yes"
    d = assess(o, "D", rules, ON)
    assert "override:10" in d.reasons


def test_offer_override_beats_category_override_and_latest_date_wins():
    o = offer({"D": "no"})
    rules = [
        rule(id=11, offer_id=1, status="D", access="yes", valid_from=dt.date(2025, 1, 1)),
        rule(id=12, category="sprache", status="D", access="ask", valid_from=dt.date(2026, 6, 1)),
        rule(id=13, offer_id=1, status="D", access="no", valid_from=dt.date(2024, 1, 1)),
    ]
    assert access(o, "D", rules, ON) == "yes"  # offer-specific, newest of those
    assert access(o, "D", rules, dt.date(2024, 6, 1)) == "no"  # only rule 13 in force then


def test_override_outside_its_dates_or_of_another_buendnis_or_category_is_ignored():
    o = offer({"D": "no"})
    assert (
        access(
            o,
            "D",
            [rule(category="sprache", status="D", access="yes", valid_from=dt.date(2027, 1, 1))],
            ON,
        )
        == "no"
    )
    assert (
        access(
            o,
            "D",
            [rule(category="sprache", status="D", access="yes", valid_to=dt.date(2026, 1, 1))],
            ON,
        )
        == "no"
    )
    assert (
        access(o, "D", [rule(buendnis_id=2, category="sprache", status="D", access="yes")], ON)
        == "no"
    )
    assert access(o, "D", [rule(category="beratung", status="D", access="yes")], ON) == "no"
    assert access(o, "D", [rule(offer_id=2, status="D", access="yes")], ON) == "no"


def test_override_opens_an_offer_for_unknown_status():
    o = offer({s: "no" for s in KNOWN_STATUSES})
    assert access(o, "unknown", on=ON) == "no"
    assert access(o, "unknown", [rule(category="sprache", status="D", access="yes")], ON) == "ask"


def test_override_can_close_an_offer():
    o = offer({s: "yes" for s in KNOWN_STATUSES})
    rules = [rule(offer_id=1, status="AG", access="no", note="nicht für Landeseinrichtungen")]
    assert access(o, "AG", rules, ON) == "no"
    assert access(o, "unknown", rules, ON) == "ask"


# ---------------------------------------------------------------- age bands and validity


@pytest.mark.parametrize(
    ("age_min", "age_max", "band", "expected"),
    [
        (None, None, "16-17", "yes"),
        (12, 27, "25-26", "yes"),  # JMD up to 27
        (18, 20, "18-20", "yes"),
        (18, 20, "21-24", "no"),
        (18, 20, "16-17", "no"),
        (27, None, "25-26", "no"),  # MBE: adults from 27
        (16, 24, "21-24", "yes"),
        (16, 21, "21-24", "ask"),  # only part of the band fits
        (19, None, "18-20", "ask"),
        (18, 20, None, "ask"),  # age not known: shown, to be checked
        (16, 26, None, "yes"),
        (30, None, None, "no"),
    ],
)
def test_age_range_against_age_band(age_min, age_max, band, expected):
    o = offer({s: "yes" for s in KNOWN_STATUSES}, age_min=age_min, age_max=age_max)
    assert access(o, "AE", on=ON, age_band=band) == expected


def test_age_and_status_combine_to_the_least_open_answer():
    o = offer({"AE": "ask"}, age_min=16, age_max=24)
    assert access(o, "AE", on=ON, age_band="18-20") == "ask"
    assert access(o, "AE", on=ON, age_band="25-26") == "no"


def test_validity_dates():
    o = offer({"AE": "yes"}, valid_from=dt.date(2026, 7, 1), valid_to=dt.date(2026, 8, 31))
    assert access(o, "AE", on=dt.date(2026, 6, 30)) == "no"
    assert access(o, "AE", on=dt.date(2026, 7, 1)) == "yes"
    assert access(o, "AE", on=dt.date(2026, 8, 31)) == "yes"
    d = assess(o, "AE", on=dt.date(2026, 9, 1))
    assert d.access == "no" and "expired" in d.reasons
    assert "not_yet_valid" in assess(o, "unknown", on=dt.date(2026, 1, 1)).reasons


# ---------------------------------------------------------------- taxonomy


def test_taxonomy_is_consistent():
    assert len(NEED_AREAS) == 12 and "mobilitaet" in NEED_AREAS
    assert set(KNOWN_STATUSES) == {"AG", "D", "AE", "NE", "P24", "EU", "other"}
    assert "unknown" in STATUSES
    assert list(AGE_BANDS) == ["16-17", "18-20", "21-24", "25-26"]
    assert set(CATEGORY_NEED_AREAS) == set(CATEGORIES)
    assert all(a in NEED_AREAS for areas in CATEGORY_NEED_AREAS.values() for a in areas)


# ---------------------------------------------------------------- Gemeinde matching

NAMES = ["Moers", "Kamp-Lintfort", "Neukirchen-Vluyn", "Rheinberg", "Münster"]


@pytest.mark.parametrize(
    "typed", ["Münster", "münster", "Muenster", "MUENSTER", "Munster", " münster ", "Mü nster"]
)
def test_muenster_in_every_spelling(typed):
    name, score, _ = match_gemeinde(NAMES, typed)
    assert name == "Münster" and score >= 85


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("moers", "Moers"),
        ("Mörs", "Moers"),
        ("kamp lintfort", "Kamp-Lintfort"),
        ("Kamp-Lintfordt", "Kamp-Lintfort"),
        ("rheinbreg", "Rheinberg"),
    ],
)
def test_typos_and_spellings(typed, expected):
    assert match_gemeinde(NAMES, typed)[0] == expected


def test_unclear_input_gives_suggestions_not_a_guess():
    name, score, suggestions = match_gemeinde(NAMES, "Neukirchen")
    assert name is None and suggestions == ["Neukirchen-Vluyn"] and score < 85
    assert match_gemeinde(NAMES, "Berlin") == (None, match_gemeinde(NAMES, "Berlin")[1], [])
    assert match_gemeinde(NAMES, "") == (None, 0.0, [])
    assert match_gemeinde([], "Moers") == (None, 0.0, [])


def test_two_equally_close_names_are_not_guessed():
    name, score, suggestions = match_gemeinde(["Rheinberg", "Rheinbergen", "Moers"], "Rheinberge")
    assert name is None and score > 90
    assert suggestions == ["Rheinbergen", "Rheinberg"]


def test_normalize_other_scripts():
    assert normalize("دورة لغة") == normalize("دوره لغه")
    assert normalize("ёлка") == normalize("елка")
    assert normalize("Straße") == "strasse"
    assert normalize("Café") == "cafe"
