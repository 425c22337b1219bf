"""The staff pages' catalog (domain `staff`): up to date with templates and code, complete and
review-marked for English, compiled, placeholders intact; pages really render from it."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from admin_api.web.i18n import S_, translations
from admin_api.web.templating import env

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "admin_api" / "web"
POT = ROOT / "locales" / "staff.pot"
EN_PO = ROOT / "locales" / "en" / "LC_MESSAGES" / "staff.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def test_template_is_up_to_date_with_pages_and_code():
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}
    found = {
        msg
        for _f, _l, msg, _c, _ctx in extract_from_dir(
            WEB, method_map, options, keywords={"S_": None, "_": None}
        )
    }
    pot = {m.id for m in _read(POT) if m.id}
    assert found and found == pot, (
        f"run `make staff-messages`: new {found - pot}, gone {pot - found}"
    )


def test_english_is_complete_marked_and_keeps_placeholders():
    pot = {m.id for m in _read(POT) if m.id}
    cat = _read(EN_PO, "en")
    entries = {m.id: m for m in cat if m.id}
    assert set(entries) == pot
    for msgid, m in entries.items():
        assert m.string and m.string.strip() and not m.fuzzy, f"untranslated: {msgid[:50]!r}"
        assert any(c.startswith("review:") for c in m.user_comments), msgid[:50]
        assert sorted(PLACEHOLDER.findall(m.string)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_compiled_english_catalog_is_not_stale():
    mo = EN_PO.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run `make staff-messages` (or `make setup`)"
    buf = io.BytesIO()
    write_mo(buf, _read(EN_PO, "en"))
    assert mo.read_bytes() == buf.getvalue(), f"{mo} is stale: run `make staff-messages`"


def test_pages_render_from_the_catalog():
    assert translations("en").gettext(S_("Anmelden")) == "Log in"
    assert translations("de").gettext(S_("Anmelden")) == "Anmelden"
    env.install_gettext_translations(translations("en"), newstyle=True)  # type: ignore[attr-defined]
    html = env.get_template("error.html").render(
        request=None,
        lang="en",
        languages=("de", "en"),
        user=None,
        nav=[],
        section="",
        csrf_token="",
        here="/staff/",
        status=404,
        title="Nicht gefunden",
        message="Diese Seite gibt es nicht, oder sie gehört nicht zu Ihrem Bereich.",
    )
    assert "Not found" in html and "Skip to content" in html and "Nicht gefunden" not in html
