"""The XLSForm corpus: what each form is expected to do (tests/xlsforms/expected.yaml).

A form pyxform refuses is refused with pyxform's message. A form pyxform converts either imports
(and is then played in the chat and judged against its XForm) or is refused with exactly the
recorded lines; `skipped` records what `--skip-unsupported` leaves of a refused form.

`python -m tests.xlsforms.corpus` records the current results into expected.yaml (read the
diff before committing it).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import yaml
from pyxform.xls2xform import convert

from base.i18n import LOCALE_ORDER
from dialogs.xlsform import XLSFormError, import_file

HERE = Path(__file__).parent
EXPECTED = HERE / "expected.yaml"
SUFFIXES = (".xls", ".xlsx")


def forms() -> list[Path]:
    return sorted(p for d in ("pyxform", "public") for p in (HERE / d).iterdir()
                  if p.suffix in SUFFIXES)  # fmt: skip


def xform(path: Path) -> str | None:
    """pyxform's XForm, or None when pyxform refuses the form."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: unknown extensions in old workbooks
        try:
            return convert(path.read_bytes(), file_type=path.suffix).xform
        except Exception:
            return None


def outcome(path: Path, skip: bool = False) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = import_file(path, locales=LOCALE_ORDER, skip_unsupported=skip)
        except XLSFormError as e:
            return {"refused": e.problems}
    return {"imports": result.yaml_text.count("\n- id: "), "notes": result.notes}


def record() -> None:
    expected: dict[str, Any] = {}
    for path in forms():
        name = f"{path.parent.name}/{path.name}"
        entry = outcome(path)
        if "refused" in entry and xform(path) is not None:
            entry["skipped"] = outcome(path, skip=True)
        expected[name] = entry
    EXPECTED.write_text(
        "# Recorded by `python -m tests.xlsforms.corpus`; checked by tests/test_xlsform_corpus.py\n"
        + yaml.safe_dump(expected, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8",
    )


if __name__ == "__main__":
    record()
