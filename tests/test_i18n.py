"""Catalogs: complete, consistent with the source, compiled, reviewed-status marked, RTL-safe."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural

from base import i18n, rtl
from base.catalogs import (
    GOAL_LOCALES,
    entries,
    is_reviewed,
    is_translated,
    load,
    po_path,
    status,
    template,
)
from base.normalize import normalize, parse_number
from dialogs.babel_flows import flow_messages
from dialogs.buttons import Op, encode
from dialogs.engine import step
from dialogs.intake_messages import IM
from dialogs.io import Command, Msg, Press, State, Text
from dialogs.lexicon import Lexicon
from dialogs.registry import load_registry
from tests.conftest import FLOWS_DIR

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")
RTL_LOCALES = sorted(i18n.RTL)
GOLDEN_LOCALES = ["de", "ar", "fa", "uk", "ti"]


def _key(m):
    return (m.context, m.id)


@pytest.mark.parametrize("locale", GOAL_LOCALES)
def test_catalog_is_complete_and_marked(locale):
    s = status(locale)
    assert s.total > 0 and s.missing == 0 and s.fuzzy == 0, s
    for m in entries(load(locale)):
        assert any(c.startswith("review:") for c in m.user_comments), (
            f"{locale}: {m.context}/{m.id[:40]!r} has no '# review: …' comment"
        )


@pytest.mark.parametrize("locale", GOAL_LOCALES)
def test_placeholders_match_source(locale):
    for m in entries(load(locale)):
        if m.pluralizable:  # a form may spell the number out ("one day"), nothing else
            wanted = set(PLACEHOLDER.findall(m.id[0]))
            for form in m.string:
                found = set(PLACEHOLDER.findall(form))
                assert found <= wanted and wanted - found <= {"n"}, f"{locale}: {m.id[0][:50]!r}"
            continue
        assert sorted(PLACEHOLDER.findall(m.string)) == sorted(PLACEHOLDER.findall(m.id)), (
            f"{locale}: placeholders differ in {m.id[:50]!r}"
        )


@pytest.mark.parametrize("locale", ["de", "en", "ru", "uk", "ar"])
def test_plural_forms_follow_the_number(locale):
    forms = {n: i18n.render(IM.CONSENT_KEEP.with_(n=n), locale) for n in (1, 2, 5, 21, 90)}
    assert "90" in forms[90] and "21" in forms[21]  # small numbers may be spelled out
    distinct = {text.replace(str(n), "#") for n, text in forms.items()}
    assert len(distinct) >= 2, f"{locale}: one form for every number: {forms}"


@pytest.mark.parametrize("locale", GOAL_LOCALES)
def test_typed_word_lists_are_clean(locale):
    for m in entries(load(locale)):
        if "|" in m.id or (m.context or "").startswith("@words:"):
            words = m.string.split("|")
            assert all(w.strip() for w in words), f"{locale}: empty form in {m.context}"


@pytest.mark.parametrize("locale", GOAL_LOCALES)
def test_plural_rules_follow_the_locale(locale):
    cat = load(locale)
    expected = get_plural(Locale.parse(locale))
    assert cat.num_plurals == expected.num_plurals
    assert cat.plural_expr.replace(" ", "") == expected.plural_expr.replace(" ", "")


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt not installed")
@pytest.mark.parametrize("locale", GOAL_LOCALES)
def test_msgfmt_check_passes(locale):
    r = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(po_path(locale))],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("locale", GOAL_LOCALES)
def test_compiled_catalog_is_not_stale(locale):
    mo = po_path(locale).with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run `make messages` (or `make setup`)"
    buf = io.BytesIO()
    write_mo(buf, load(locale))
    assert mo.read_bytes() == buf.getvalue(), f"{mo} is stale: run `make messages`"


def test_template_is_up_to_date_with_the_code():
    method_map = [
        ("**.py", "python"),
        ("flows/*.yaml", "dialogs.babel_flows.extract"),
        ("data/helplines.yaml", "dialogs.helplines.extract"),
    ]
    found = set()
    for pkg in (
        "bot",
        "dialogs",
        "entries",
        "offers",
        "results",
        "store",
        "admin_api",
        "wegweiser",
    ):
        for _f, _l, msg, _c, ctx in extract_from_dir(
            ROOT / pkg,
            method_map,
            keywords={**DEFAULT_KEYWORDS, "N_": None, "NC_": ((1, "c"), 2), "NP_": (1, 2)},
        ):
            found.add((ctx, msg))
    pot = {_key(m) for m in entries(template())}
    assert found == pot, f"run `make messages`: new {found - pot}, gone {pot - found}"


def test_every_flow_text_is_translated_everywhere():
    flows = load_registry(FLOWS_DIR)
    for locale in GOAL_LOCALES:
        cat = {_key(m): m for m in entries(load(locale))}
        for flow in flows.values():
            for _line, ctx, msgid, _c in flow_messages(flow):
                m = cat.get((ctx, msgid))
                assert m is not None and is_translated(m), f"{locale}: {ctx} {msgid[:40]!r}"


@pytest.mark.parametrize("locale", RTL_LOCALES)
def test_rtl_output_has_no_bare_left_to_right_run(locale):
    sample = {"max": "500", "min": "14", "answer": "JMD Moers", "question": "Q 1.1"}
    for m in entries(template()):
        msgid, plural = (m.id, None) if isinstance(m.id, str) else m.id
        params = {
            name: sample.get(name, "Kamp-Lintfort 47475") for name in PLACEHOLDER.findall(msgid)
        }
        text = i18n.render(Msg(msgid, m.context, params, plural), locale)
        assert rtl.bare_ltr(text) == [], f"{locale}: bare LTR in {text!r}"


def test_reviewed_status_is_read_from_translator_comments(tmp_path):
    (tmp_path / "xx" / "LC_MESSAGES").mkdir(parents=True)
    entries_ = "".join(f'msgid "{x}"\nmsgstr ""\n\n' for x in "ABC")
    (tmp_path / "messages.pot").write_text('msgid ""\nmsgstr ""\n\n' + entries_)
    (tmp_path / "xx" / "LC_MESSAGES" / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '# review: reviewed by A. B., 2026-11-01\nmsgid "A"\nmsgstr "a"\n\n'
        '# review: machine-draft\nmsgid "B"\nmsgstr "b"\n\n'
        '#, fuzzy\nmsgid "C"\nmsgstr "c"\n'
    )
    s = status("xx", tmp_path)
    assert (s.total, s.translated, s.reviewed, s.missing, s.fuzzy) == (3, 2, 1, 1, 1)


def test_missing_translation_falls_back_to_german_and_is_counted():
    before = i18n.missing_translations["ar"]
    assert i18n.translate("ar", None, "Ganz neuer Satz ohne Übersetzung.") == (
        "Ganz neuer Satz ohne Übersetzung."
    )
    assert i18n.missing_translations["ar"] == before + 1
    assert is_reviewed  # the status helpers are importable for the CLI


def test_language_picker_lists_every_locale_with_native_names():
    names = dict(i18n.languages())
    assert list(names) == list(i18n.LOCALE_ORDER)
    assert names["de"] == "Deutsch" and names["ar"] == "العربية" and names["fa_AF"] == "دری"
    assert names["uk"] == "Українська" and names["ti"] == "ትግርኛ"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("١٩", 19.0), ("۲۱", 21.0), (" 19 ", 19.0), ("19,5", 19.5), ("nineteen", None), ("", None)],
)
def test_numbers_in_any_digit_system(typed, expected):
    assert parse_number(typed) == expected


def test_normalisation_of_letter_variants_and_marks():
    assert normalize("يك") == normalize("یک")
    assert normalize("مدرسة") == normalize("مدرسه")
    assert normalize("نَعَم") == normalize("نعم")
    assert normalize("کتـــاب") == normalize("کتاب")
    assert normalize("  JA\u200b ") == "ja"


@pytest.mark.parametrize("locale", i18n.LOCALE_ORDER)
def test_demo_flow_completes_in_every_locale_with_typed_yes(locale):
    flow = load_registry(FLOWS_DIR)["demo"]
    lex = Lexicon(i18n.translate, i18n.languages())
    yes_words = sorted(lex._word_set("@words:yes", "ja|jo|jep|ok|okay|klar|gerne", locale))
    native_yes = i18n.translate(locale, "@words:yes", "ja|jo|jep|ok|okay|klar|gerne").split("|")[0]
    state = State()
    events = [
        Command("start"),
        Press(encode(Op.LANGUAGE, "", "", locale)),
        Text("٢٢"),
        Press(encode(Op.ANSWER, flow.version, "housing", "shared")),
        Text(native_yes),
        Press(encode(Op.DONE, flow.version, "needs", "")),
    ]
    done = None
    for e in events:
        r = step(flow, state, e, lex)
        state = r.state
        done = done or next(iter(r.effects), None)
    assert yes_words and done is not None, f"{locale}: demo did not complete"
    assert done.values()["housing_help"] == "yes" and done.values()["age"] == 22
