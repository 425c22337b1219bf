"""The one taxonomy shared by intake, offers and results (DOMAIN.md).

Codes are stable and language-independent; the German names are catalogue data for staff
pages and exports (texts for young people are translated in the bot).
"""

from __future__ import annotations

from typing import Final, Literal

# ---------------------------------------------------------------- Aufenthaltsstatus (item 1.1)

#: Status codes in the order of the Arbeitshilfe item 1.1, plus the additions in DOMAIN.md.
STATUSES: Final[dict[str, str]] = {
    "AG": "Aufenthaltsgestattung",
    "D": "Duldung",
    "AE": "Aufenthaltserlaubnis",
    "NE": "Niederlassungserlaubnis",
    "P24": "Aufenthaltserlaubnis nach §24 AufenthG (Ukraine)",
    "EU": "EU-Bürger/in",
    "other": "anderer Status",
    "unknown": "weiß nicht",
}
UNKNOWN_STATUS: Final = "unknown"
#: Every status a person who answered "weiß nicht" might actually have.
KNOWN_STATUSES: Final[tuple[str, ...]] = tuple(s for s in STATUSES if s != UNKNOWN_STATUS)

# ---------------------------------------------------------------- access values

Access = Literal["yes", "no", "ask"]
ACCESS_VALUES: Final[tuple[str, ...]] = ("yes", "no", "ask")
#: Order of certainty: a combination of conditions is as open as its least open part.
ACCESS_RANK: Final[dict[str, int]] = {"no": 0, "ask": 1, "yes": 2}

# ---------------------------------------------------------------- age bands (item 1.2)

#: Age band code -> (youngest, oldest), both inclusive.
AGE_BANDS: Final[dict[str, tuple[int, int]]] = {
    "16-17": (16, 17),
    "18-20": (18, 20),
    "21-24": (21, 24),
    "25-26": (25, 26),
}

#: Age answers of the Erstberatung outside the survey's bands: under 16 and 27 or older. An
#: offer is compared with the span the person may be in (an offer from 16 does not fit "u16").
PERSON_AGE_BANDS: Final[dict[str, tuple[int, int]]] = {
    "u16": (14, 15),
    **AGE_BANDS,
    "27plus": (27, 30),
}

# ---------------------------------------------------------------- German (CEFR levels)

#: How well a person speaks German, lowest first; offers may need at least (`german_min`) or
#: be meant for at most (`german_max`) a level. "none" is not yet A1.
GERMAN_LEVELS: Final[dict[str, str]] = {
    "none": "noch keine Deutschkenntnisse",
    "a1": "A1",
    "a2": "A2",
    "b1": "B1",
    "b2": "B2",
    "c1": "C1 oder höher",
}
GERMAN_RANK: Final[dict[str, int]] = {code: n for n, code in enumerate(GERMAN_LEVELS)}

# ---------------------------------------------------------------- need areas (Handlungsfelder)

NEED_AREAS: Final[dict[str, str]] = {
    "sprache": "Sprache",
    "schule": "Schule/Schulabschluss",
    "ausbildung": "Ausbildung/Studium",
    "arbeit": "Arbeit",
    "beratung": "Beratung/Orientierung",
    "aufenthalt": "Aufenthalt/Recht",
    "wohnen": "Wohnen",
    "gesundheit": "Gesundheit (inkl. psychosozial)",
    "familie": "Familie/Kinderbetreuung",
    "geld": "Geld/Leistungen",
    "freizeit": "Freizeit/Teilhabe",
    "mobilitaet": "Mobilität",
}

# ---------------------------------------------------------------- topics within a need area

#: What a person may name after choosing a need area (the Erstberatung's follow-ups); an offer
#: lists the topics it is for (`offer.topics`) and comes first for people who named one.
TOPICS: Final[dict[str, tuple[str, str]]] = {
    "hsa": ("schule", "Hauptschulabschluss"),
    "for": ("schule", "Mittlerer Schulabschluss (FOR)"),
    "fhr": ("schule", "Fachhochschulreife oder Abitur"),
    "dual": ("ausbildung", "Ausbildung"),
    "prep": ("ausbildung", "Vorbereitung auf eine Ausbildung"),
    "study": ("ausbildung", "Studium"),
    "recognition": ("ausbildung", "Anerkennung eines Abschlusses"),
    "work_permit": ("arbeit", "Arbeit mit Arbeitserlaubnis"),
    "no_work_permit": ("arbeit", "keine Arbeitserlaubnis"),
    "procedure": ("aufenthalt", "Asylverfahren"),
    "family": ("aufenthalt", "Familiennachzug"),
    "perspective": ("aufenthalt", "Bleiben durch Ausbildung oder Arbeit"),
    "no_home": ("wohnen", "ohne Wohnung, kein Schlafplatz"),
    "shared": ("wohnen", "wohnt in einer Unterkunft"),
    "body": ("gesundheit", "Körper, Krankheit"),
    "mind": ("gesundheit", "Sorgen, Stress, Schlaf"),
    "disability": ("gesundheit", "Behinderung"),
    "insurance": ("gesundheit", "Krankenversicherung"),
    "childcare": ("familie", "Kita- oder Schulplatz für ein Kind"),
    "parents": ("familie", "Hilfe für Eltern"),
    "benefits": ("geld", "Geld vom Amt"),
    "debts": ("geld", "Schulden"),
    "contracts": ("geld", "Konto, Handy, Verträge"),
    "sport": ("freizeit", "Sport"),
    "culture": ("freizeit", "Musik, Kunst, Kultur"),
    "volunteer": ("freizeit", "Ehrenamt"),
    "meet": ("freizeit", "Leute treffen"),
    "ticket": ("mobilitaet", "Ticket für Bus und Bahn"),
    "license": ("mobilitaet", "Führerschein"),
    "bike": ("mobilitaet", "Fahrrad"),
}
#: Topics that make a situation urgent: offers for them come before everything else.
URGENT_TOPICS: Final[frozenset[str]] = frozenset({"no_home"})

# ---------------------------------------------------------------- Arbeitshilfe categories


#: Offer categories of the Arbeitshilfe, parts 4-7 (DOMAIN.md): code -> German name.
CATEGORIES: Final[dict[str, str]] = {
    "sprache": "Sprache",
    "schulabschluesse": "Schulabschlüsse",
    "arbeitsfoerderung": "Arbeitsförderung/Ausbildung (SGB II/III)",
    "jugendhilfe": "Jugendhilfe (SGB VIII)",
    "beratung": "Beratung",
    "teilhabe": "Teilhabe",
}

#: The kinds of offer the Arbeitshilfe lists per category (for staff guidance and exports).
CATEGORY_EXAMPLES: Final[dict[str, tuple[str, ...]]] = {
    "sprache": (
        "Allgemeine Sprachkurse",
        "Berufsbezogene/fachsprachliche Kurse",
        "Integrationskurse/Jugendintegrationskurse",
        "Angebote für unregelmäßige Arbeitszeiten",
        "Ehrenamtliche Angebote",
    ),
    "schulabschluesse": (
        "Hauptschulabschluss nach Klasse 9",
        "Hauptschulabschluss nach Klasse 10",
        "Fachoberschulreife",
        "Fachhochschulreife",
        "Abitur",
    ),
    "arbeitsfoerderung": (
        "Leistungen §16b-i SGB II",
        "Berufsberatung für Zugewanderte",
        "Berufsvorbereitende Bildungsmaßnahme (BvB)",
        "Einstiegsqualifizierung (EQ)",
        "Assistierte Ausbildung (AsA)",
        "Berufsausbildungsbeihilfe (BAB)",
        "Außerbetriebliche Ausbildung (BaE)",
        "Durchstarten in Ausbildung und Arbeit",
    ),
    "jugendhilfe": ("Hilfen für junge Volljährige", "Jugendsozialarbeit", "Jugendwerkstatt"),
    "beratung": (
        "Jugendmigrationsdienst (JMD)",
        "Migrationsberatung für Erwachsene (MBE)",
        "Flüchtlingsberatung",
        "Integration Point",
        "Ausländerbehörde",
        "Schuldnerberatung",
        "Psychosoziales Zentrum",
    ),
    "teilhabe": ("Sport", "Kultur", "Ehrenamt", "Treffpunkte/Cafés"),
}

#: Need areas an offer of a category usually serves (a default for staff, not a rule).
CATEGORY_NEED_AREAS: Final[dict[str, tuple[str, ...]]] = {
    "sprache": ("sprache",),
    "schulabschluesse": ("schule",),
    "arbeitsfoerderung": ("ausbildung", "arbeit"),
    "jugendhilfe": ("beratung", "wohnen", "familie"),
    "beratung": ("beratung", "aufenthalt"),
    "teilhabe": ("freizeit",),
}


def age_band_range(band: str) -> tuple[int, int]:
    """(youngest, oldest) of an age band code (survey bands, "u16", "27plus"); ValueError
    names the known codes."""
    try:
        return PERSON_AGE_BANDS[band]
    except KeyError:
        known = ", ".join(PERSON_AGE_BANDS)
        raise ValueError(f"unknown age band {band!r}; known: {known}") from None
