"""XLSForm import: read by pyxform as KoBo reads it, ODK's meaning kept in the chat, refusals
one line per root cause naming the cell, nothing written that the bot could not load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from base import i18n
from base.catalogs import IMPORTED, is_reviewed, load, merge, po_path
from base.i18n import LOCALE_ORDER
from base.settings import get_settings
from dialogs.buttons import Op, encode
from dialogs.effects import Completed
from dialogs.engine import step
from dialogs.io import Command, Press, State, Text
from dialogs.lexicon import GERMAN_ONLY
from dialogs.loader import load_flow
from dialogs.xlsform import XLSFormError, import_xlsform, supported_locale
from tests.xlsforms.build_public import workbook
from wegweiser.services import lexicon

L_DE, L_EN, L_AR = "label::Deutsch (de)", "label::English (en)", "label::العربية (ar)"
SURVEY_HEAD = ("type", "name", L_DE, L_EN, "required", "relevant", "constraint")
SURVEY = [
    ("start", "start"),
    ("note", "hallo", "Hallo! Das ist **anonym**.", "Hello! This is anonymous."),
    ("select_one janein", "kinder", "Hast du Kinder?", "Do you have children?", "yes"),
    ("integer", "anzahl", "Wie viele Kinder?", "How many children?", "yes", "${kinder} = 'ja'",
     ". >= 1 and . <= 10"),
    ("begin group", "g1"),
    ("select_multiple bedarf", "hilfe", "Wobei brauchst du Hilfe?", "Help with?", "no"),
    ("decimal", "stunden", "Wie viele Stunden Deutschkurs pro Woche?", "Hours?", "no",
     "selected(${hilfe}, 'sprache') and ${kinder} != 'ja'", ". >= 0 and . <= 40"),
    ("end group",),
    ("text", "sonst", "Was noch?", "Anything else?", "no"),
]  # fmt: skip
CHOICES = [
    ("janein", "ja", "Ja", "Yes"),
    ("janein", "nein", "Nein", "No"),
    ("bedarf", "sprache", "Deutsch lernen", "Learn German"),
    ("bedarf", "wohnen", "Wohnen", "Housing"),
]
SETTINGS = {"form_id": "Kurzbefragung", "form_title": "Kurze Befragung"}


def form(rows=SURVEY, choices=CHOICES, head=SURVEY_HEAD, choice_head=None, settings=SETTINGS):
    choice_head = choice_head or ("list_name", "name", *head[2:4])
    return workbook((head, rows), (choice_head, choices), settings)


def imported(data: bytes, **kw):
    return import_xlsform(data, locales=LOCALE_ORDER, **kw)


def flow_of(tmp_path: Path, result) -> object:
    path = tmp_path / f"{result.flow_id}.yaml"
    path.write_text(result.yaml_text, encoding="utf-8")
    return load_flow(path)


def run(flow, events):
    """Questions asked (in order) and the answers completed."""
    out = step(flow, State(locale="de"), Command("start"), GERMAN_ONLY)
    asked = [r.ask for r in out.replies if r.ask]
    shown = [p for r in out.replies for p in r.parts]
    done = None
    for e in events:
        out = step(flow, out.state, e, GERMAN_ONLY)
        asked += [r.ask for r in out.replies if r.ask]
        shown += [p for r in out.replies for p in r.parts]
        done = next((x for x in out.effects if isinstance(x, Completed)), done)
    asked = [a for n, a in enumerate(asked) if n == 0 or a != asked[n - 1]]
    return asked, (done.values() if done else None), [i18n.render(p, "de") for p in shown]


def press(flow, op, item, code=""):
    return Press(encode(op, flow.version, item, code))


def test_form_with_skip_logic_and_two_languages_imports_and_runs(tmp_path):
    result = imported(form())
    assert result.flow_id == "kurzbefragung"
    assert result.translations["en"][("kurzbefragung:hilfe", "Wohnen")] == "Housing"
    assert any("'start'" in n and n.startswith("left out: survey!A2 (type)") for n in result.notes)
    flow = flow_of(tmp_path, result)
    assert flow.kind == "survey" and flow.title == "Kurze Befragung"
    assert [i.id for i in flow.items] == ["hallo", "kinder", "anzahl", "hilfe", "stunden", "sonst"]
    assert flow.item("hallo").text == "Hallo! Das ist anonym."  # markdown as plain text
    assert flow.item("anzahl").when.source == "${kinder} = 'ja'"
    assert (flow.item("anzahl").min, flow.item("anzahl").max) == (1, 10)
    assert flow.item("anzahl").constraint is None  # the bounds say it all
    assert flow.item("stunden").integer is False
    assert flow.item("kinder").required and not flow.item("hilfe").required
    asked, done, _ = run(
        flow,
        [
            press(flow, Op.ANSWER, "kinder", "nein"),
            press(flow, Op.TOGGLE, "hilfe", "sprache"),
            press(flow, Op.DONE, "hilfe"),
            Text("7,5"),
            Text("nichts"),
        ],
    )
    assert asked == ["kinder", "hilfe", "stunden", "sonst"]
    assert done == {"kinder": "nein", "hilfe": ["sprache"], "stunden": 7.5, "sonst": "nichts"}
    asked, done, _ = run(
        flow,
        [
            press(flow, Op.ANSWER, "kinder", "ja"),
            Text("11"),
            Text("2"),
            press(flow, Op.SKIP, "hilfe"),
            press(flow, Op.SKIP, "sonst"),
        ],
    )
    assert asked == ["kinder", "anzahl", "hilfe", "sonst"]  # 11 is out of range: asked again
    assert done["anzahl"] == 2 and "stunden" not in done


# --- the causes seen in real forms ---------------------------------------------------------


KOBO_HEAD = ("type", "name", "label::English (en)", "label::Arabic (ar)", "hint::English (en)",
             "required", "relevant", "constraint", "constraint_message::English (en)",
             "required_message::English (en)", "default", "choice_filter")  # fmt: skip
KOBO = [
    ("select_one yn", "consent", "Do you agree to *take part*?", "هل توافق؟", None, "yes"),
    ("begin_group", "main", "Main", None, None, None, "${consent} = 'yes'"),
    ("select_one yn", "worked", "Did you **work** last week?", None, "Any paid work", "yes"),
    ("integer", "hours", "How many hours did you work, ${name_q}?", None, None, None,
     "${worked} = 'yes'", ". >= 0", "Hours cannot be negative."),
    ("text", "name_q", "What is your first name?", None, None, "no"),
    ("text", "comment", "Anything else about your work?", None, None, "no"),
    ("end_group",),
    ("begin_group", "other_g", None, None, None, None, "${consent} = 'yes'"),
    ("text", "comment", "Anything else about your household?", None, None, "no"),
    ("end_group",),
    ("select_one status or_other", "status", "What is your status?", None, None, None,
     "${consent} = 'yes'"),
    ("note", "bye", "Since you did not give consent, we will not proceed.", None, None, None,
     "${consent} = 'no'"),
    ("select_one yn", "follow", "Can we contact you again?", None, None,
     "${status} = 'Refugee'", "${consent} = 'yes' and ${status} != 'Refugee'", None, None,
     "We need this for refugees.", "no"),
]  # fmt: skip
KOBO_CHOICES = [
    ("yn", "yes", "Yes", "نعم"),
    ("yn", "no", "No", "لا"),
    ("status", "Refugee", "Refugee", "لاجئ"),
    ("status", "Asylum_Seeker", "Asylum seeker", "طالب لجوء"),
]


def kobo(rows=KOBO, **kw):
    head = ("list name", "name", "label::English (en)", "label::Arabic (ar)")
    return form(rows, KOBO_CHOICES, KOBO_HEAD, head, {"form_id": "kobo"}, **kw)


def test_a_kobo_form_without_german_imports_with_odk_s_meaning(tmp_path):
    # only `label::English (en)`, `list name`, the same name in two groups, or_other, a group's
    # relevant, `${x} != '…'` on an unanswered question, required as an expression, hints,
    # messages, defaults, `${q}` in a label, markdown, choice names with capitals
    result = imported(kobo())
    assert result.notes[0].startswith("no German column: the flow's source texts are English (en)")
    flow = flow_of(tmp_path, result)
    ids = [i.id for i in flow.items]
    assert ids == [
        "consent", "worked", "hours", "name_q", "main.comment", "other_g.comment", "status",
        "status_other", "bye", "follow",
    ]  # fmt: skip
    assert flow.item("consent").text == "Do you agree to take part?"
    assert flow.item("worked").hint == "Any paid work"
    hours = flow.item("hours")
    assert hours.text == "How many hours did you work, {name_q}?"
    assert (hours.min, hours.max, hours.constraint) == (0, None, None)  # one-sided: no 999
    assert hours.constraint_message == "Hours cannot be negative."
    assert [c.code for c in flow.item("status").choices] == ["Refugee", "Asylum_Seeker", "other"]
    follow = flow.item("follow")
    assert follow.required_if is not None
    assert follow.required_message == "We need this for refugees."
    assert follow.default == "no"
    assert result.translations["ar"][("kobo:consent", "Do you agree to take part?")] == "هل توافق؟"

    # no consent: the note, and nothing of the groups after it
    asked, done, texts = run(flow, [press(flow, Op.ANSWER, "consent", "no")])
    assert asked == ["consent"] and "Since you did not give consent, we will not proceed." in texts
    assert done == {"consent": "no"}

    # consent; "other" status asks for it; follow is asked since '' != 'Refugee'... no: status
    # is 'other' here, so `${status} != 'Refugee'` holds and follow is optional
    asked, done, texts = run(
        flow,
        [
            press(flow, Op.ANSWER, "consent", "yes"),
            press(flow, Op.ANSWER, "worked", "no"),  # hours not asked
            Text("Amal"),
            press(flow, Op.SKIP, "main.comment"),
            Text("Alles gut"),
            press(flow, Op.ANSWER, "status", "other"),
            Text("Geduldet"),
            press(flow, Op.SKIP, "follow"),
        ],
    )
    assert asked == [
        "consent", "worked", "name_q", "main.comment", "other_g.comment", "status",
        "status_other", "follow",
    ]  # fmt: skip
    assert done["status"] == "other" and done["status_other"] == "Geduldet"
    assert "follow" not in done or done["follow"] is None


def test_a_label_shows_the_earlier_answer(tmp_path):
    rows = [KOBO[0], KOBO[1], KOBO[4], KOBO[2], KOBO[3], KOBO[6]]  # name first, then hours
    flow = flow_of(tmp_path, imported(kobo(rows)))
    _, _, texts = run(
        flow,
        [
            press(flow, Op.ANSWER, "consent", "yes"),
            Text("Amal"),
            press(flow, Op.ANSWER, "worked", "yes"),
        ],
    )
    assert "How many hours did you work, Amal?" in texts


def test_the_refugee_branch_requires_follow_up_and_says_why(tmp_path):
    flow = flow_of(tmp_path, imported(kobo()))
    asked, done, texts = run(
        flow,
        [
            press(flow, Op.ANSWER, "consent", "yes"),
            press(flow, Op.ANSWER, "worked", "yes"),
            Text("-3"),
            Text("20"),
            press(flow, Op.SKIP, "name_q"),
            press(flow, Op.SKIP, "main.comment"),
            press(flow, Op.SKIP, "other_g.comment"),
            press(flow, Op.ANSWER, "status", "Refugee"),
        ],
    )
    assert "Die Zahl muss mindestens 0 sein." in texts
    assert asked[-1] == "status" and done is not None and "follow" not in done  # not relevant
    assert done["status"] == "Refugee" and done["hours"] == 20


LANGUAGES = ("type", "name", "label::English", "label::français", "label::Kurdish (Sorani)",
             "label::Swahili (sw)")  # fmt: skip


def test_languages_by_code_or_name_and_the_ones_we_lack_reported_once():
    rows = [("text", f"q{n}", f"Q{n}?", f"Q{n} ?", f"پ{n}؟", f"Swali {n}?") for n in range(30)]
    result = imported(form(rows, [], LANGUAGES, ("list_name", "name", "label::English")))
    assert sorted(result.translations) == ["ckb", "fr"]
    assert result.translations["fr"][(f"{result.flow_id}:q3", "Q3?")] == "Q3 ?"
    unknown = [n for n in result.notes if "without a Wegweiser locale" in n]
    assert unknown == ["languages without a Wegweiser locale, not imported: Swahili (sw)"]
    codes = ("fa-AF", "FA_af", "AR", "de", "tlh", "Arabic (ar)", "Dari (prs)", "français")
    assert [supported_locale(c, LOCALE_ORDER) for c in codes] == [
        "fa_AF", "fa_AF", "ar", None, None, "ar", "fa_AF", "fr",
    ]  # fmt: skip


# --- refusals ------------------------------------------------------------------------------


def refusal(data: bytes) -> list[str]:
    with pytest.raises(XLSFormError) as e:
        imported(data)
    return e.value.problems


def test_one_line_per_root_cause_naming_the_cells():
    rows = [("text", "intro", "Name?", "Name?")]
    rows += [("geopoint", f"gps{n}", "Wo?", "Where?") for n in range(40)]
    rows += [("date", f"d{n}", "Wann?", "When?") for n in range(25)]
    rows += [("integer", "n", "N?", "N?", None, "${gps3} != ''")]  # depends on a refused one
    rows += [("integer", "m", "M?", "M?", None, "today() > 1")]
    rows += [("calculate", "score", *[None] * 6, "${m} * 2"), ("note", "show", "Score: ${score}")]
    problems = refusal(form(rows, CHOICES, (*SURVEY_HEAD, "choice_filter", "calculation")))
    assert problems == [
        "survey!A3, A4, A5, A6, A7, A8 and 34 more (type): 'geopoint': locations are not asked "
        "in a chat",
        "survey!A43, A44, A45, A46, A47, A48 and 19 more (type): 'date': dates and times are "
        "not asked in a chat",
        "survey!F69 (relevant): function 'today()' is not supported: it depends on the date",
        "survey!A70 (type): 'calculate': used by later questions, but a chat does not compute it",
    ]


def test_many_kinds_of_problems_are_capped_at_twenty_lines():
    rows = [("integer", f"n{k}", "N?", "N?", None, f"{f}() > 1") for k, f in enumerate(
        ["today", "now", "random", "uuid", "once", "position", "count", "sum", "date",
         "format-date", "decimal-date-time", "indexed-repeat", "pulldata", "instance",
         "jr:choice-name", "foo", "bar", "baz", "qux", "quux", "corge", "grault"])]  # fmt: skip
    problems = refusal(form(rows, CHOICES))
    assert len(problems) == 20 and problems[-1] == "… and 3 more kinds of problems"


def test_what_pyxform_refuses_is_said_in_pyxform_s_words():
    assert refusal(form([("select_one fehlt", "x", "X?", "X?")])) == [
        "pyxform refuses the form: [row : 2] List name not in choices sheet: fehlt"
    ]
    [line] = refusal(b"not a workbook")
    assert line.startswith("pyxform refuses the form:")


@pytest.mark.parametrize(
    ("rows", "choices", "expected"),
    [
        (
            [("select_one janein", "kinder", "K?", "K?")],
            [*CHOICES, ("janein", "weiß nicht", "Weiß nicht", "?")],
            "choices!B6 (name): choice name 'weiß nicht' cannot be an answer code",
        ),
        (
            [("select_one janein", "x" * 60, "K?", "K?")],
            CHOICES,
            "survey!B2 (name): item id longer than 48 bytes: its buttons do not fit",
        ),
        (
            [("integer", "a", "A?", "A?"), ("integer", "b", "B?", "B?", None, "${c} > 1"),
             ("integer", "c", "C?", "C?")],
            CHOICES,
            "survey!F3 (relevant): relevant: item 'c' is not always asked before 'b'",
        ),
        (
            [("select_one janein", "q", "Q?", "Q?", None, None, None, "nope = ${q}")],
            CHOICES,
            "survey!H2 (choice_filter): 'nope' is no column of the choices",
        ),
    ],
)  # fmt: skip
def test_cell_level_refusals(rows, choices, expected):
    head = (*SURVEY_HEAD, "choice_filter")
    problems = refusal(form(rows, choices, head))
    assert any(p.startswith(expected) for p in problems), problems


def test_skip_unsupported_imports_the_rest_and_lists_what_was_left_out(tmp_path):
    rows = [
        ("text", "intro", "Name?", "Name?"),
        ("geopoint", "gps", "Wo?", "Where?"),
        ("integer", "n", "N?", "N?", None, "${gps} != ''"),
        ("integer", "m", "M?", "M?"),
        ("start", "start"),
    ]
    result = imported(form(rows, CHOICES), skip_unsupported=True)
    assert [i.id for i in flow_of(tmp_path, result).items] == ["intro", "m"]
    assert result.left_out == [
        "left out: survey!A3 (type): 'geopoint': locations are not asked in a chat",
        "left out: survey!B4 (name): depends on a question that is left out",
        "left out: survey!A6 (type): 'start': Wegweiser records no times, devices or locations",
    ]


# --- the command ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("WEGWEISER_INSTANCE_DIR", str(tmp_path))
    flows = tmp_path / "flows"
    shutil.copytree(i18n.LOCALES_DIR.parent / "dialogs" / "flows", flows)
    monkeypatch.setenv("WEGWEISER_FLOWS_DIR", str(flows))
    get_settings.cache_clear()  # settings are cached per process
    shutil.copytree(i18n.LOCALES_DIR / "en", tmp_path / "locales" / "en")
    yield tmp_path, ["--catalogs", str(tmp_path / "locales")]
    get_settings.cache_clear()


def cli(*args):
    from wegweiser.cli import app

    return CliRunner().invoke(app, list(args))


def test_cli_import_writes_a_flow_the_bot_loads(cli_env):
    tmp_path, catalogs = cli_env
    src = tmp_path / "form.xlsx"
    src.write_bytes(form())
    result = cli("surveys", "import", str(src), *catalogs)
    assert result.exit_code == 0, result.output
    assert "en: 10 entries (10 new, 0 updated, 0 unchanged)" in result.output
    target = tmp_path / "flows" / "kurzbefragung.yaml"
    assert load_flow(target).id == "kurzbefragung"
    assert cli("surveys", "import", str(src), *catalogs).exit_code == 2  # exists
    again = cli("surveys", "import", str(src), "--force", "--no-translations")
    assert again.exit_code == 0 and "en: 10 entries not merged" in again.output
    assert cli("flows", "check", str(target)).exit_code == 0


def test_cli_refuses_and_writes_nothing(cli_env):
    tmp_path, catalogs = cli_env
    before = sorted(p.name for p in (tmp_path / "flows").iterdir())
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(form([("geopoint", "ort", "Wo?", "Where?"), ("text", "t", "T?", "T?")]))
    result = cli("surveys", "import", str(bad), *catalogs)
    assert result.exit_code == 1
    assert "survey!A2 (type): 'geopoint': locations are not asked in a chat" in result.output
    assert "--skip-unsupported imports the rest" in result.output
    # a flow id already used by another file would stop that flow (or this one) from loading
    taken = tmp_path / "taken.xlsx"
    taken.write_bytes(form(settings={"form_id": "demo", "form_title": "Demo"}))
    result = cli("surveys", "import", str(taken), "--out", str(tmp_path / "flows" / "x.yaml"))
    assert result.exit_code == 1 and "duplicate flow id 'demo'" in result.output
    assert sorted(p.name for p in (tmp_path / "flows").iterdir()) == before
    skipped = cli("surveys", "import", str(bad), "--skip-unsupported", *catalogs)
    assert skipped.exit_code == 0, skipped.output
    assert "note: left out: survey!A2 (type): 'geopoint'" in skipped.output


def test_flows_check_takes_files_and_folders_and_refuses_a_missing_path(cli_env):
    tmp_path, _ = cli_env
    flows = tmp_path / "flows"
    ok = cli("flows", "check", str(flows / "demo.yaml"), str(flows))
    assert ok.exit_code == 0 and ok.output.count("demo:") == 1
    missing = cli("flows", "check", str(tmp_path / "no" / "such.yaml"))
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    (flows / "broken.yaml").write_text("id: broken\ntitle: B\nitems: []\n", encoding="utf-8")
    broken = cli("flows", "check")
    assert broken.exit_code == 1 and "broken.yaml:3: 'items' must be a non-empty list" in (
        broken.output
    )


def test_serving_skips_a_broken_flow_file_with_a_log_line(cli_env, caplog):
    from wegweiser.services import build

    tmp_path, _ = cli_env
    (tmp_path / "flows" / "zz-broken.yaml").write_text(
        "id: zz\ntitle: Z\nitems:\n  - id: " + "q" * 60 + "\n    kind: text\n    text: Q?\n",
        encoding="utf-8",
    )
    services = build(get_settings())
    assert "demo" in services.flows and "zz" not in services.flows
    [line] = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert "zz-broken.yaml skipped: 1 problem(s)" in line and "item id longer than" in line


# --- translations -------------------------------------------------------------------------


SURVEY_AR = [
    ("select_one janein", "kinder", "Hast du Kinder?", "هل لديك أطفال؟", "yes"),
    ("integer", "anzahl", "Wie viele Kinder?", "كم عدد أطفالك؟", "yes", "${kinder} = 'ja'",
     ". >= 1 and . <= 10"),
    ("text", "sonst", "Was noch?", None, "no"),  # no translation: nothing written
]  # fmt: skip
CHOICES_AR = [("janein", "ja", "Ja", "نعم"), ("janein", "nein", "Nein", "لا")]


def test_arabic_column_goes_into_the_catalog_and_renders(tmp_path, monkeypatch):
    head = ("type", "name", L_DE, L_AR, "required", "relevant", "constraint")
    result = imported(form(SURVEY_AR, CHOICES_AR, head))
    assert result.translations == {
        "ar": {
            ("kurzbefragung:kinder", "Hast du Kinder?"): "هل لديك أطفال؟",
            ("kurzbefragung:kinder", "Ja"): "نعم",
            ("kurzbefragung:kinder", "Nein"): "لا",
            ("kurzbefragung:anzahl", "Wie viele Kinder?"): "كم عدد أطفالك؟",
        }
    }
    root = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES_DIR / "ar", root / "ar")
    before_text = po_path("ar", root).read_text(encoding="utf-8")
    before = {(m.context, m.id): m for m in load("ar", root) if m.id}
    assert merge("ar", result.translations["ar"], root) == (4, 0)
    after_text = po_path("ar", root).read_text(encoding="utf-8")
    assert after_text.startswith(before_text)  # header, entries and comments as they were
    after = {(m.context, m.id): m for m in load("ar", root) if m.id}
    assert len(after) == len(before) + 4
    for (context, msgid), text in result.translations["ar"].items():
        m = after[(context, msgid)]
        assert m.string == text and m.user_comments == [IMPORTED] and not is_reviewed(m)
    assert merge("ar", result.translations["ar"], root) == (0, 0)

    from babel.messages.mofile import write_mo

    with po_path("ar", root).with_suffix(".mo").open("wb") as f:
        write_mo(f, load("ar", root))
    monkeypatch.setattr(i18n, "LOCALES_DIR", root)
    i18n.catalog.cache_clear()
    try:
        flow = flow_of(tmp_path, result)
        out = step(flow, State(locale="ar"), Command("start"), lexicon())
        [ask] = [r for r in out.replies if r.ask == "kinder"]
        assert "هل لديك أطفال؟" in [i18n.render(p, "ar") for p in ask.parts]
        assert {"نعم", "لا"} <= {i18n.render(b.label, "ar") for b in ask.buttons}
    finally:
        i18n.catalog.cache_clear()


def test_the_same_name_in_two_groups_is_left_out_only_where_its_group_is(tmp_path):
    rows = [
        ("text", "intro", "Name?", "Name?"),
        ("begin group", "g1", None, None, None, "today() > 1"),
        ("text", "comment", "Kommentar 1?", "Comment 1?"),
        ("end group",),
        ("begin group", "g2", None, None, None, "${intro} != ''"),
        ("text", "comment", "Kommentar 2?", "Comment 2?"),
        ("end group",),
    ]
    assert refusal(form(rows, CHOICES)) == [
        "survey!F3 (relevant): function 'today()' is not supported: it depends on the date"
    ]
    result = imported(form(rows, CHOICES), skip_unsupported=True)
    flow = flow_of(tmp_path, result)
    assert [i.id for i in flow.items] == ["intro", "g2.comment"]
    assert flow.item("g2.comment").when.source == "${intro} != ''"
    assert "left out: survey!B4 (name): its group is left out" in result.left_out
