"""The Bedarfsübersicht of an export: need signals per Arbeitshilfe section, built only from
figures the frequency tables already publish (no new counts, so no new disclosure)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from results.codebook import NEEDS
from results.tables import Cell, Report

# Arbeitshilfe sections (004, Annex 3) and the need areas (role `needs`) that belong to them.
SECTIONS: dict[str, str] = {
    "1": "I. Datenlage",
    "2": "II. Rahmenbedingungen / Lebenslage",
    "3": "III. Beratung",
    "4": "IV. Sprachförderung",
    "5": "V. Schulische Bildung",
    "6": "V. Arbeitsförderung und Ausbildung",
    "7": "VI. Jugendhilfe",
    "8": "VII. Entwicklungsbedarf (Lücken)",
}
NEED_SECTION: dict[str, str] = {
    "sprache": "4",
    "schule": "5",
    "ausbildung": "6",
    "arbeit": "6",
    "beratung": "3",
    "aufenthalt": "3",
    "geld": "3",
    "wohnen": "2",
    "gesundheit": "2",
    "familie": "2",
    "freizeit": "2",
    "mobilitaet": "2",
}
# Further answers that speak to a section, per flow (data: they name items of that flow).
SIGNALS_FILE = Path(__file__).resolve().parent / "need_signals.yaml"


@cache
def item_signals(flow_id: str) -> list[tuple[str, str, str]]:
    """(section, item id, answer code that signals a need) for one flow."""
    data = yaml.safe_load(SIGNALS_FILE.read_text(encoding="utf-8")) or {}
    return [(str(s["section"]), str(s["item"]), str(s["code"])) for s in data.get(flow_id, [])]


BEDARF_HEADER = ["Abschnitt", "Arbeitshilfe", "Item:Code", "Bedarf", "Anzahl", "Basis (n)"]


def figure(cell: Cell) -> int | str:
    """A published figure: the number, or its suppression sign."""
    return cell.value if cell.value is not None else cell.shown


def bedarfsuebersicht(report: Report) -> list[list[Any]]:
    """Need signals per Arbeitshilfe section, reusing figures already published (no new
    counts): the need areas (role `needs`) and single answers that signal a need."""
    freq = {t.item.id: t for t in report.frequencies}
    rows: list[list[Any]] = []
    needs = next((t for t in report.frequencies if t.item.role == NEEDS), None)
    if needs is not None:
        for (code, label), cell in zip(needs.cols, needs.cells[0], strict=True):
            if code in NEED_SECTION:
                sec = NEED_SECTION[code]
                rows.append(
                    [
                        sec,
                        SECTIONS[sec],
                        f"{needs.item.id}:{code}",
                        label,
                        figure(cell),
                        figure(needs.total),
                    ]
                )
    for sec, item_id, code in item_signals(report.codebook.flow_id):
        table = freq.get(item_id)
        if table is None:
            continue
        for (c, label), cell in zip(table.cols, table.cells[0], strict=True):
            if c == code:
                text = f"{table.item.question} – {label}"
                rows.append(
                    [
                        sec,
                        SECTIONS[sec],
                        f"{item_id}:{code}",
                        text,
                        figure(cell),
                        figure(table.total),
                    ]
                )
    rows.sort(key=lambda r: (r[0], r[2]))
    rows.append(
        [
            "8",
            SECTIONS["8"],
            "",
            "Lückensignale der Erstberatung: in dieser "
            "Auswertung nicht enthalten (nur Befragungsdaten)",
            "",
            "",
        ]
    )
    return rows
