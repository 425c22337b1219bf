"""Forms nobody has seen yet: whatever a workbook holds, the import either returns a flow that
the bot loads (every registry check) and that plays as pyxform's XForm says, or refuses with
lines naming cells (or pyxform's own words) — never another error."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pyxform.xls2xform import convert

from base.i18n import LOCALE_ORDER
from dialogs.loader import load_flow
from dialogs.registry import check_flow
from dialogs.xlsform import XLSFormError, import_xlsform
from tests.xlsform_oracle import Player, XForm, judge
from tests.xlsforms.build_public import workbook

TYPES = [
    "text", "integer", "decimal", "note", "select_one yn", "select_multiple yn",
    "select_one yn or_other", "select_one colours", "select_multiple colours", "calculate",
    "geopoint", "date", "start", "range", "acknowledge", "image", "hidden",
]  # fmt: skip
CONDITIONS = [
    "${X} = 'yes'", "${X} != 'yes'", "${X} != ''", "${X} = ''", "selected(${X}, 'red')",
    "not(selected(${X}, 'yes'))", "${X} > 2", "${X} + 1 >= 3", "count-selected(${X}) > 1",
    "string-length(${X}) > 3", "today() > 1", "${X} = 'yes' or ${X} > 1",
]  # fmt: skip
CONSTRAINTS = [
    ". > 0", ". >= 1 and . <= 9", ". < ${X}", "regex(., '^[0-9]+$')",
    "not(selected(., 'yes') and count-selected(.) > 1)", ". != 'x'",
]  # fmt: skip
LABELS = ["Label", "**Bold** and ${X}", "{braces} _here_", "# Head\nline", "ملصق", "Q ${X}?"]
HEADER = (
    *("type", "name", "label", "label::Arabic (ar)", "hint", "required", "relevant"),
    *("constraint", "choice_filter", "default", "calculation", "parameters", "appearance"),
)
CHOICES = (
    ("list_name", "name", "label", "colour"),
    [("yn", "yes", "Yes"), ("yn", "no", "No"), ("colours", "red", "Red", "yes"),
     ("colours", "blue", None, "no"), ("colours", "Green", "Green", "yes")],
)  # fmt: skip


def _filled(draw: st.DrawFn, template: str | None, names: list[str]) -> str | None:
    """The template with ${X} an earlier question (or one that does not exist)."""
    if template is None:
        return None
    return template.replace("${X}", "${" + draw(st.sampled_from(names or ["missing"])) + "}")


@st.composite
def forms(draw: st.DrawFn) -> list[tuple]:
    rows: list[tuple] = []
    names: list[str] = []
    open_group = False
    for n in range(draw(st.integers(1, 10))):
        if not open_group and draw(st.integers(0, 5)) == 0:
            relevant = draw(st.sampled_from([None, *CONDITIONS])) if names else None
            rows.append(("begin_group", f"g{n}", *[None] * 4, _filled(draw, relevant, names)))
            open_group = True
        kind = draw(st.sampled_from(TYPES))
        label = _filled(draw, draw(st.sampled_from(LABELS)), names) if names else "Label"
        relevant = _filled(draw, draw(st.sampled_from([None, None, *CONDITIONS])), names)
        constraint = _filled(draw, draw(st.sampled_from([None, None, *CONSTRAINTS])), names)
        required = draw(st.sampled_from([None, "yes", "no", "${q0} = 'yes'"]))
        choice_filter = None
        if kind.endswith("colours"):
            choice_filter = draw(st.sampled_from([None, "colour = 'yes'", "name != 'red'"]))
        default = {"integer": "3", "select_one yn": "no", "text": "hello"}.get(kind)
        calculation = None
        if kind == "calculate":
            calculation = _filled(draw, "${X} * 2", names) if names else "1"
        parameters = "start=1 end=5 step=2" if kind == "range" else None
        name = f"q{n}"
        rows.append((kind, name, None if kind in ("calculate", "start", "hidden") else label,
                     "ترجمة", draw(st.sampled_from([None, "A hint"])), required, relevant,
                     constraint, choice_filter, draw(st.sampled_from([None, default])),
                     calculation, parameters, None))  # fmt: skip
        names.append(name)
        if open_group and draw(st.booleans()):
            rows.append(("end_group",))
            open_group = False
    if open_group:
        rows.append(("end_group",))
    return rows


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=forms(), skip=st.booleans())
def test_any_workbook_imports_cleanly_or_is_refused_with_cells(rows, skip):
    data = workbook((HEADER, rows), CHOICES, {"form_id": "fuzz"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = import_xlsform(data, locales=LOCALE_ORDER, skip_unsupported=skip)
        except XLSFormError as e:
            event("refused by pyxform" if "pyxform" in e.problems[0] else "refused")
            assert 1 <= len(e.problems) <= 21
            assert all(p.startswith(("survey", "pyxform refuses")) for p in e.problems)
            return
        xml = convert(data, file_type=".xlsx").xform
    event("imported")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_text(result.yaml_text, encoding="utf-8")
        flow = load_flow(path)
    assert check_flow(flow) == []
    for seed in range(3):  # a form no one can finish (say, `. < ${text}`) need not finish
        found = judge(flow, XForm(xml), Player(flow, seed).play())
        assert [f for f in found if f != "the chat did not finish"] == []
