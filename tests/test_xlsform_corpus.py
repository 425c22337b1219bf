"""The corpus (tests/xlsforms/: pyxform's own test forms, rebuilt public forms; SOURCES.md):
every form pyxform converts either imports and then runs in the chat with ODK's meaning —
judged against pyxform's XForm by libxml2 (tests/xlsform_oracle.py) over several scripted
conversations — or is refused with exactly the recorded cell-level lines. What
`--skip-unsupported` leaves of a refused form runs with ODK's meaning too."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pytest
import yaml

from base.i18n import LOCALE_ORDER
from dialogs.loader import load_flow
from dialogs.xlsform import XLSFormError, import_file
from tests.xlsform_oracle import Player, XForm, judge
from tests.xlsforms.corpus import EXPECTED, forms, outcome, xform

SEEDS = range(8)
RECORDED = yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))
FORMS = forms()


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _flow(path: Path, skip: bool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = import_file(path, locales=LOCALE_ORDER, skip_unsupported=skip)
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / f"{result.flow_id}.yaml"
        file.write_text(result.yaml_text, encoding="utf-8")
        return load_flow(file)


def _plays_as_odk_would(path: Path, xml: str, skip: bool) -> None:
    flow, odk = _flow(path, skip), XForm(xml)
    asked: set[str] = set()
    for seed in SEEDS:
        record = Player(flow, seed).play()
        assert judge(flow, odk, record) == [], f"{_name(path)} seed {seed}"
        asked |= {*record.asked, *record.infos}
    assert asked, "nothing was ever shown"


def test_the_corpus_is_what_the_brief_asks_for():
    public = [p for p in FORMS if p.parent.name == "public"]
    assert len(public) >= 10 and len(FORMS) - len(public) >= 40
    assert sorted(RECORDED) == sorted(_name(p) for p in FORMS)
    sources = (EXPECTED.parent / "SOURCES.md").read_text(encoding="utf-8")
    assert all(p.name in sources for p in public)


@pytest.mark.parametrize("path", FORMS, ids=_name)
def test_each_form_imports_with_odk_s_meaning_or_is_refused_as_recorded(path):
    expected = RECORDED[_name(path)]
    xml = xform(path)
    got = outcome(path)
    if xml is None:  # pyxform refuses it: so do we, in pyxform's words
        assert got == expected and got["refused"][0].startswith("pyxform refuses the form:")
        return
    assert got == {k: v for k, v in expected.items() if k != "skipped"}
    for line in got.get("refused", []):
        assert line.startswith(("survey", "choices")) and len(got["refused"]) <= 20
    if "imports" in got:
        _plays_as_odk_would(path, xml, skip=False)
    elif "imports" in expected["skipped"]:
        assert outcome(path, skip=True) == expected["skipped"]
        _plays_as_odk_would(path, xml, skip=True)


def test_the_judge_notices_a_changed_meaning(tmp_path):
    """The oracle is not a rubber stamp: a flow whose relevant was changed is caught."""
    path = EXPECTED.parent / "public" / "msna_household.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = import_file(path, locales=LOCALE_ORDER)
    changed = result.yaml_text.replace("${hh_size} > 1", "${hh_size} > 2")
    changed = changed.replace("selected(${priority_needs}, 'other')", "true()")
    assert changed != result.yaml_text
    file = tmp_path / "msna_hh.yaml"
    file.write_text(changed, encoding="utf-8")
    flow, odk = load_flow(file), XForm(xform(path) or "")
    found = [p for seed in SEEDS for p in judge(flow, odk, Player(flow, seed).play())]
    assert any(p.startswith("priority_needs_other: shown") for p in found), found


def test_a_refused_form_stays_refused():
    path = EXPECTED.parent / "public" / "iom_dtm_site_assessment.xlsx"
    with pytest.raises(XLSFormError) as e:
        import_file(path, locales=LOCALE_ORDER)
    assert e.value.problems == RECORDED[_name(path)]["refused"]
