"""XLSForm import: a form with skip logic and two languages imports and runs in the engine;
translations go into the catalogs; unsupported things are reported with sheet, cell and column."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from dialogs.buttons import Op, encode
from dialogs.effects import Completed
from dialogs.engine import step
from dialogs.io import Command, Press, State, Text
from dialogs.loader import load_flow
from dialogs.xlsform import XLSFormError, import_xlsform, supported_locale, translate_relevant
from wegweiser import i18n
from wegweiser.catalogs import IMPORTED, is_reviewed, load, merge, po_path
from wegweiser.services import lexicon
from wegweiser.settings import get_settings

L_DE, L_EN, L_AR = "label::Deutsch (de)", "label::English (en)", "label::العربية (ar)"


def form(
    survey_rows: list[list], choices: list[list] | None = None, extra_cols=(), lang=L_EN
) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", L_DE, lang, "required", "relevant", "constraint", *extra_cols])
    for r in survey_rows:
        ws.append(r)
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", L_DE, lang])
    for r in choices if choices is not None else CHOICES:
        ch.append(r)
    st = wb.create_sheet("settings")
    st.append(["form_id", "form_title", "default_language"])
    st.append(["Kurzbefragung", "Kurze Befragung", "Deutsch (de)"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


SURVEY = [
    ["start", "start", None, None, None, None, None],
    ["note", "hallo", "Hallo! Das ist anonym.", "Hello! This is anonymous.", None, None, None],
    ["select_one janein", "kinder", "Hast du Kinder?", "Do you have children?", "yes", None, None],
    [
        "integer",
        "anzahl",
        "Wie viele Kinder?",
        "How many children?",
        "yes",
        "${kinder} = 'ja'",
        ". >= 1 and . <= 10",
    ],
    ["begin group", "g1", None, None, None, None, None],
    ["select_multiple bedarf", "hilfe", "Wobei brauchst du Hilfe?", "Help with?", "no", None, None],
    [
        "decimal",
        "stunden",
        "Wie viele Stunden Deutschkurs pro Woche?",
        "Hours?",
        "no",
        "selected(${hilfe}, 'sprache') and ${kinder} != 'ja'",
        ". >= 0 and . <= 40",
    ],
    ["end group", None, None, None, None, None, None],
    ["text", "sonst", "Was noch?", "Anything else?", "no", None, None],
]
CHOICES = [
    ["janein", "ja", "Ja", "Yes"],
    ["janein", "nein", "Nein", "No"],
    ["bedarf", "sprache", "Deutsch lernen", "Learn German"],
    ["bedarf", "wohnen", "Wohnen", "Housing"],
]


def run(flow, events):
    state = State(locale="de")
    out = step(flow, state, Command("start"), lexicon())
    asked = [r.ask for r in out.replies if r.ask]
    effects = []
    for e in events:
        out = step(flow, out.state, e, lexicon())
        asked += [r.ask for r in out.replies if r.ask]
        effects += out.effects
    return [a for n, a in enumerate(asked) if n == 0 or a != asked[n - 1]], effects


def test_form_with_skip_logic_and_two_languages_imports_and_runs(tmp_path):
    imported = import_xlsform(form(SURVEY))
    assert imported.flow_id == "kurzbefragung"
    assert imported.translations["en"][("kurzbefragung:hilfe", "Wohnen")] == "Housing"
    assert not any("English (en)" in n for n in imported.notes)
    assert any("start" in n and "left out" in n for n in imported.notes)
    path = tmp_path / "kurz.yaml"
    path.write_text(imported.yaml_text, encoding="utf-8")
    flow = load_flow(path)
    assert flow.kind == "survey" and flow.title == "Kurze Befragung"
    assert [i.id for i in flow.items] == ["hallo", "kinder", "anzahl", "hilfe", "stunden", "sonst"]
    assert flow.item("anzahl").when.source == "kinder == ja"
    assert (flow.item("anzahl").min, flow.item("anzahl").max) == (1, 10)
    assert flow.item("stunden").integer is False
    assert flow.item("stunden").when.source == "sprache in hilfe and kinder != ja"
    assert flow.item("kinder").required and not flow.item("hilfe").required
    assert flow.item("hilfe").choices[0].label == "Deutsch lernen"
    v = flow.version
    # "nein": the number of children is skipped, the hours question is asked
    asked, effects = run(
        flow,
        [
            Press(encode(Op.ANSWER, v, "kinder", "nein")),
            Press(encode(Op.TOGGLE, v, "hilfe", "sprache")),
            Press(encode(Op.DONE, v, "hilfe", "")),
            Text("7,5"),
            Text("nichts"),
        ],
    )
    assert asked == ["kinder", "hilfe", "stunden", "sonst"]
    [done] = [e for e in effects if isinstance(e, Completed)]
    assert done.values() == {
        "kinder": "nein",
        "hilfe": ["sprache"],
        "stunden": 7.5,
        "sonst": "nichts",
    }
    # "ja": the number is asked (and checked against the constraint), hours skipped
    asked, effects = run(
        flow,
        [
            Press(encode(Op.ANSWER, v, "kinder", "ja")),
            Text("11"),
            Text("2"),
            Press(encode(Op.SKIP, v, "hilfe", "")),
            Press(encode(Op.SKIP, v, "sonst", "")),
        ],
    )
    assert asked == ["kinder", "anzahl", "hilfe", "sonst"]  # 11 is out of range: asked again
    [done] = [e for e in effects if isinstance(e, Completed)]
    assert done.values()["anzahl"] == 2 and "stunden" not in done.values()


@pytest.mark.parametrize(
    ("row", "where"),
    [
        (["geopoint", "ort", "Wo?", "Where?", None, None, None], "survey!A2 (type)"),
        (["select_one fehlt", "x", "X?", "X?", None, None, None], "survey!A2 (type)"),
        (
            ["integer", "n", "N?", "N?", None, "count-selected(${n}) > 1", None],
            "survey!F2 (relevant)",
        ),
        (["integer", "n", "N?", "N?", None, "${unbekannt} = 1", None], "survey!F2 (relevant)"),
        (["integer", "n", "N?", "N?", None, None, "regex(., '[0-9]')"], "survey!G2 (constraint)"),
        (["integer", "1 bad", "N?", "N?", None, None, None], "survey!B2 (name)"),
        (["text", "t", None, "Only English", None, None, None], "survey!C2"),
    ],
)
def test_unsupported_things_are_named_by_sheet_cell_and_column(row, where):
    with pytest.raises(XLSFormError) as e:
        import_xlsform(form([row]))
    assert any(p.startswith(where) for p in e.value.problems), e.value.problems


def test_bad_choice_name_and_missing_sheet():
    with pytest.raises(XLSFormError) as e:
        import_xlsform(form(SURVEY, [*CHOICES, ["janein", "Weiß nicht", "Weiß nicht", "?"]]))
    assert any(p.startswith("choices!B6 (name)") for p in e.value.problems)
    with pytest.raises(XLSFormError, match="cannot read"):
        import_xlsform(b"not a workbook")


def test_relevant_translation():
    kinds = {"a": "single", "m": "multi", "n": "number"}
    assert translate_relevant("${a} = 'x' or not(${n} >= 3)", kinds) == "a == x or not (n >= 3)"
    assert translate_relevant("selected(${a}, 'x')", kinds) == "a == x"


def test_cli_import_writes_a_checked_flow(tmp_path, monkeypatch):
    from wegweiser.cli import app

    src = tmp_path / "form.xlsx"
    src.write_bytes(form(SURVEY))
    monkeypatch.setenv("WEGWEISER_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("WEGWEISER_FLOWS_DIR", str(tmp_path / "flows"))
    (tmp_path / "flows").mkdir()
    get_settings.cache_clear()  # settings are cached per process
    runner = CliRunner()
    shutil.copytree(i18n.LOCALES_DIR / "en", tmp_path / "locales" / "en")
    catalogs = ["--catalogs", str(tmp_path / "locales")]
    result = runner.invoke(app, ["surveys", "import", str(src), *catalogs])
    assert result.exit_code == 0, result.output
    assert "en: 10 entries (10 new, 0 updated, 0 unchanged)" in result.output
    target = tmp_path / "flows" / "kurzbefragung.yaml"
    assert load_flow(target).id == "kurzbefragung"
    again = runner.invoke(app, ["surveys", "import", str(src), *catalogs])
    assert again.exit_code == 2
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(form([["geopoint", "ort", "Wo?", "Where?", None, None, None]]))
    result = runner.invoke(app, ["surveys", "import", str(bad), *catalogs])
    assert result.exit_code == 1
    assert Path(target).exists()
    get_settings.cache_clear()
    again = runner.invoke(app, ["surveys", "import", str(src), "--force", "--no-translations"])
    assert again.exit_code == 0 and "en: 10 entries not merged" in again.output
    get_settings.cache_clear()


SURVEY_AR = [
    ["select_one janein", "kinder", "Hast du Kinder?", "هل لديك أطفال؟", "yes", None, None],
    [
        "integer",
        "anzahl",
        "Wie viele Kinder?",
        "كم عدد أطفالك؟",
        "yes",
        "${kinder} = 'ja'",
        ". >= 1 and . <= 10",
    ],
    ["text", "sonst", "Was noch?", None, "no", None, None],  # no translation: nothing written
]
CHOICES_AR = [["janein", "ja", "Ja", "نعم"], ["janein", "nein", "Nein", "لا"]]


def test_arabic_column_goes_into_the_catalog_and_renders(tmp_path, monkeypatch):
    data = form(SURVEY_AR, CHOICES_AR, extra_cols=("label::Klingonisch (tlh)",), lang=L_AR)
    imported = import_xlsform(data)
    assert imported.translations == {
        "ar": {
            ("kurzbefragung:kinder", "Hast du Kinder?"): "هل لديك أطفال؟",
            ("kurzbefragung:kinder", "Ja"): "نعم",
            ("kurzbefragung:kinder", "Nein"): "لا",
            ("kurzbefragung:anzahl", "Wie viele Kinder?"): "كم عدد أطفالك؟",
        }
    }
    assert [n for n in imported.notes if "not imported" in n] == [
        "survey: not imported (no supported language): label::Klingonisch (tlh)"
    ]
    assert [supported_locale(c) for c in ("fa-AF", "FA_af", "AR", "de", "tlh")] == [
        "fa_AF",
        "fa_AF",
        "ar",
        None,
        None,
    ]

    root = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES_DIR / "ar", root / "ar")
    before_text = po_path("ar", root).read_text(encoding="utf-8")
    before = {(m.context, m.id): m for m in load("ar", root) if m.id}
    assert merge("ar", imported.translations["ar"], root) == (4, 0)
    after_text = po_path("ar", root).read_text(encoding="utf-8")
    assert after_text.startswith(before_text)  # header, entries and comments as they were
    after = {(m.context, m.id): m for m in load("ar", root) if m.id}
    assert len(after) == len(before) + 4
    for key, m in before.items():
        new = after[key]
        assert (new.string, new.user_comments, new.auto_comments, new.flags) == (
            m.string,
            m.user_comments,
            m.auto_comments,
            m.flags,
        )
    for (context, msgid), text in imported.translations["ar"].items():
        m = after[(context, msgid)]
        assert m.string == text and m.user_comments == [IMPORTED] and not is_reviewed(m)
    assert ("kurzbefragung:sonst", "Was noch?") not in after
    # importing again changes nothing; a changed cell updates the entry
    assert merge("ar", imported.translations["ar"], root) == (0, 0)
    assert po_path("ar", root).read_text(encoding="utf-8") == after_text

    # the imported flow renders in Arabic from the temporary catalog
    from babel.messages.mofile import write_mo

    with po_path("ar", root).with_suffix(".mo").open("wb") as f:
        write_mo(f, load("ar", root))
    monkeypatch.setattr(i18n, "LOCALES_DIR", root)
    i18n.catalog.cache_clear()
    try:
        path = tmp_path / "kurz.yaml"
        path.write_text(imported.yaml_text, encoding="utf-8")
        flow = load_flow(path)
        out = step(flow, State(locale="ar"), Command("start"), lexicon())
        [ask] = [r for r in out.replies if r.ask == "kinder"]
        shown = [i18n.render(p, "ar") for p in ask.parts]
        labels = [i18n.render(b.label, "ar") for b in ask.buttons]
        assert "هل لديك أطفال؟" in shown
        assert "نعم" in labels and "لا" in labels
    finally:
        i18n.catalog.cache_clear()
