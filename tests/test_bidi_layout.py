"""Right-to-left text as it is shown: laid out by a real implementation of the Unicode
Bidirectional Algorithm (python-bidi), brackets must pair up and Latin runs (names, times,
§-references, phone numbers, URLs) must stay whole and in order — in every reply of every
golden conversation and in every message of the catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from base import i18n, rtl
from dialogs.io import Msg
from tests.bidi_support import has_rtl_letter, lines_of, problems, visual
from tests.test_i18n import PLACEHOLDER, entries, template

GOLDENS = sorted((Path(__file__).resolve().parent / "goldens").glob("*.yaml"))
RTL_LOCALES = sorted(i18n.RTL)


def _shown(golden: dict[str, Any]) -> list[str]:
    """Every text and button label the person sees in a golden conversation."""
    out = []
    for step in golden["steps"]:
        for reply in step.get("out") or []:
            out += lines_of(reply.get("text", ""))
            out += [label.removeprefix("✓ ") for label in reply.get("buttons") or []]
    return out


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_every_reply_of_a_golden_lays_out_in_order(path: Path) -> None:
    golden = yaml.safe_load(path.read_text(encoding="utf-8"))
    rtl = i18n.is_rtl(golden.get("locale"))
    checked = 0
    for line in _shown(golden):
        if not (rtl or has_rtl_letter(line)):
            continue
        # A messenger sets the direction by the first strong letter; the web chat shows a
        # right-to-left conversation right to left.
        for base in (None, "R") if rtl else (None,):
            assert problems(line, base) == [], f"{path.name}: {line!r}"
        checked += 1
    assert checked, f"{path.name}: nothing right-to-left to check"


@pytest.mark.parametrize("locale", RTL_LOCALES)
def test_every_catalog_message_lays_out_in_order(locale: str) -> None:
    """Every message with values that are hard to lay out filled in."""
    values = [
        "Mo–Fr 8:00–12:00",
        "§ 24",
        "+49 151 2345678",
        "https://wegweiser.example/chat?c=x1",
        "JMD Moers (Caritas)",
        "14",
    ]
    for m in entries(template()):
        msgid, plural = (m.id, None) if isinstance(m.id, str) else m.id
        for value in values:
            params = {name: value for name in PLACEHOLDER.findall(msgid)}
            if "n" in params:
                params["n"] = "3"
            text = i18n.render(Msg(msgid, m.context, params, plural), locale)
            for line in lines_of(text):
                assert problems(line, "R") == [], f"{locale} {m.context}: {line!r}"


@pytest.mark.parametrize(
    ("template_text", "params", "expected"),
    [
        ("({n} من {total})", {"n": 1, "total": 2}, "(2 نم 1)"),
        ("تصريح إقامة (§ 24)", {}, "(§ 24) ةماقإ حيرصت"),
        ("الأوقات: {hours}", {"hours": "Mo–Fr 8:00–12:00"}, "Mo–Fr 8:00–12:00 :تاقوألا"),
        ("اتصل: {phone}", {"phone": "+49 151 2345678"}, "+49 151 2345678 :لصتا"),
    ],
)
def test_the_known_hard_cases_read_right(
    template_text: str, params: dict[str, Any], expected: str
) -> None:
    """Placeholders isolated as they are filled in: a bracket pair of the translation stays a
    pair, a dash stays inside its time range (`render` of an untranslated msgid shows the msgid
    itself, so the msgid here is the Arabic text)."""
    text = i18n.render(Msg(template_text, None, params), "ar")
    assert visual(text, "R") == expected
    assert problems(text, "R") == []


def test_the_check_sees_what_isolating_the_finished_text_did() -> None:
    """The layouts reported for isolates put in by a pattern over the finished text."""
    assert problems("(\u20681\u2069 من \u20682)\u2069", "R")  # shown as "2) نم 1)"
    assert problems("تصريح (§ \u206824)\u2069", "R")  # shown as "24) §) …"
    assert problems("الأوقات \u2068Mo\u2069–\u2068Fr 8:00\u2069–\u206812:00\u2069", "R")
    assert problems("اتصل +49 151 2345678", "R")  # a phone number without an isolate


def test_an_isolated_picker_line_keeps_its_full_stop_at_its_end() -> None:
    line = rtl.isolate("Bitte wähle deine Sprache.")
    assert visual(line, "R") == "Bitte wähle deine Sprache."
    assert visual("Bitte wähle deine Sprache.", "R") == ".Bitte wähle deine Sprache"


@pytest.mark.parametrize("locale", ["ar", "fa", "fa_AF", "ps", "ur", "ckb"])
def test_lists_use_the_locales_separators(locale: str) -> None:
    names = ["Moers", "Münster", "Kamp-Lintfort"]
    text = i18n.render(Msg.join(names), locale)
    assert "," not in text, text  # no Latin comma in right-to-left lists
    assert text.count("\u2068") == 3  # each item its own isolate
    if locale != "ar":  # Arabic joins with "و" only (CLDR)
        assert "،" in text
    assert problems(text, "R") == []


def test_german_and_english_lists_read_naturally() -> None:
    assert i18n.render(Msg.join(["Sprache", "Arbeit", "Wohnen"]), "de") == (
        "Sprache, Arbeit und Wohnen"
    )
    assert i18n.render(Msg.join(["A", "B"]), "en") == "A and B"
    assert i18n.render(Msg.join(["A", "B"], " · "), "de") == "A · B"
