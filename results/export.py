"""Exports of a suppressed `Report`: CSV, XLSX, JSON, a FLOIP Flow Results package, each with
the Bedarfsübersicht (results/needs_overview.py). Every export carries the notice
"selbstselektierte Stichprobe, n, k".

Only published figures reach this module (suppressed ones are "<k" or "x" already); free
text arrives scrubbed and GfS-approved. Every text cell is neutralised against spreadsheet
formula injection.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from base.spreadsheet import neutralise
from results.needs_overview import BEDARF_HEADER, bedarfsuebersicht, figure
from results.tables import Report, Table
from results.texts import TextAnswer

FORMATS = ("csv", "xlsx", "json", "floip")


def _text(value: Any) -> Any:
    return neutralise(value)


def _long_rows(table: Table) -> Iterator[list[Any]]:
    title = table.title
    for (rc, rl), row, rt in zip(table.rows, table.cells, table.row_totals, strict=True):
        for (cc, cl), cell in zip(table.cols, row, strict=True):
            yield [title, table.item.id, table.by or "", rc, rl, cc, cl, figure(cell)]
        if table.by is not None:
            yield [title, table.item.id, table.by, rc, rl, "gesamt", "Gesamt", figure(rt)]
    if table.by is not None:
        for (cc, cl), cell in zip(table.cols, table.col_totals, strict=True):
            yield [title, table.item.id, table.by, "gesamt", "Gesamt", cc, cl, figure(cell)]
    yield [
        title,
        table.item.id,
        table.by or "",
        "gesamt",
        "Gesamt",
        "gesamt",
        "Gesamt",
        figure(table.total),
    ]


LONG_HEADER = [
    "Tabelle",
    "Item",
    "nach",
    "Zeile (Code)",
    "Zeile",
    "Spalte (Code)",
    "Spalte",
    "Anzahl",
]


def _meta_rows(report: Report) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["Hinweis", report.notice],
        ["Note", report.notice_en],
        ["Bündnis", report.buendnis],
        ["Welle", f"{report.wave_id} – {report.wave_title}"],
        ["Fragebogen", f"{report.codebook.flow_id} (Version {report.codebook.flow_version})"],
    ]
    for name, group in sorted(report.merged.items()):
        rows.append(["Zusammengefasst", f"{name} → {group} (zu wenige Antworten)"])
    return rows


def to_csv(report: Report, texts: list[TextAnswer], sep: str = ",") -> bytes:
    if sep not in (",", ";"):
        raise ValueError("separator must be ',' or ';'")
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    for row in _meta_rows(report):
        w.writerow([_text(v) for v in row])
    w.writerow([])
    w.writerow(LONG_HEADER)
    for table in [*report.frequencies, *report.crosstabs]:
        for row in _long_rows(table):
            w.writerow([_text(v) for v in row])
    w.writerow([])
    w.writerow(["Bedarfsübersicht"])
    w.writerow(BEDARF_HEADER)
    for row in bedarfsuebersicht(report):
        w.writerow([_text(v) for v in row])
    if report.dropouts:
        w.writerow([])
        w.writerow(["Abbrüche (abgebrochene Befragungen je letzter Frage)"])
        for item, cell in report.dropouts:
            w.writerow([_text(item), figure(cell)])
    w.writerow([])
    w.writerow(["Freitext (bereinigt und geprüft)", "Item", "Text"])
    for t in texts:
        w.writerow(["", _text(t.item_id), _text(t.text)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _table_json(table: Table) -> dict[str, Any]:
    return {
        "item": table.item.id,
        "question": table.item.question,
        "by": table.by,
        "rows": [{"code": c, "label": label} for c, label in table.rows],
        "columns": [{"code": c, "label": label} for c, label in table.cols],
        "cells": [[figure(c) for c in row] for row in table.cells],
        "row_totals": [figure(c) for c in table.row_totals],
        "column_totals": [figure(c) for c in table.col_totals],
        "total": figure(table.total),
    }


def to_json(report: Report, texts: list[TextAnswer]) -> bytes:
    doc = {
        "notice": report.notice,
        "notice_en": report.notice_en,
        "self_selected_sample": True,
        "buendnis": report.buendnis,
        "wave": {"id": report.wave_id, "title": report.wave_title},
        "flow": {"id": report.codebook.flow_id, "version": report.codebook.flow_version},
        "n": report.n,
        "suppression_k": report.k,
        "suppressed_marks": {f"<{report.k}": "below k", "x": "hidden to protect other cells"},
        "merged_gemeinden": report.merged,
        "codebook": [
            {
                "item": it.id,
                "section": it.section,
                "question": it.question,
                "kind": it.kind,
                "choices": [{"code": c, "label": label} for c, label in it.choices],
            }
            for it in report.codebook.items
        ],
        "frequencies": [_table_json(t) for t in report.frequencies],
        "crosstabs": [_table_json(t) for t in report.crosstabs],
        "bedarfsuebersicht": [
            dict(zip(BEDARF_HEADER, r, strict=True)) for r in bedarfsuebersicht(report)
        ],
        "dropouts": {item: figure(cell) for item, cell in report.dropouts},
        "free_text": [{"item": t.item_id, "text": t.text} for t in texts],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


_FLOIP_TYPES = {
    "single": "select_one",
    "yesno": "select_one",
    "consent": "select_one",
    "multi": "select_many",
    "number": "numeric",
    "text": "text",
}


def to_floip(report: Report) -> bytes:
    """A FLOIP Flow Results package (datapackage.json) at aggregate level: the questions
    schema as the specification defines it, an empty per-response resource (Wegweiser does not
    hand out responses) and the suppressed counts as an additional resource."""
    questions = {
        it.id: {
            "type": _FLOIP_TYPES.get(it.kind, "text"),
            "label": it.question,
            "type_options": {"choices": [c for c, _ in it.choices]} if it.choices else {},
        }
        for it in report.codebook.items
    }
    counts = [
        {
            "question_id": t.item.id,
            "by": t.by or "",
            "row": rc,
            "response": cc,
            "count": figure(cell),
        }
        for t in [*report.frequencies, *report.crosstabs]
        for (rc, _), row in zip(t.rows, t.cells, strict=True)
        for (cc, _), cell in zip(t.cols, row, strict=True)
    ]
    name = f"{report.codebook.flow_id}-welle-{report.wave_id}"
    doc = {
        "profile": "flow-results-package",
        "flow-results-specification": "1.0.0-rc1",
        "name": name,
        "title": f"{report.codebook.title} – {report.wave_title}",
        "description": report.notice,
        "resources": [
            {
                "name": f"{name}-data",
                "profile": "tabular-data-resource",
                "schema": {
                    "language": "deu",
                    "fields": [
                        {"name": "timestamp", "type": "datetime"},
                        {"name": "row_id", "type": "string"},
                        {"name": "contact_id", "type": "string"},
                        {"name": "session_id", "type": "string"},
                        {"name": "question_id", "type": "string"},
                        {"name": "response", "type": "any"},
                        {"name": "response_metadata", "type": "object"},
                    ],
                    "questions": questions,
                },
                "data": [],
            },
            {
                "name": f"{name}-aggregates",
                "profile": "data-resource",
                "description": f"Suppressed counts; {report.notice_en}",
                "data": counts,
            },
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def xlsx_with_charts(report: Report, texts: list[TextAnswer]) -> bytes:
    """`to_xlsx` with a PNG chart per item (seconds of CPU for a large survey: the server
    runs it in its file process, `base.workers.files`)."""
    from results.charts import charts

    return to_xlsx(report, texts, charts(report, "png"))


def to_xlsx(
    report: Report, texts: list[TextAnswer], charts: dict[str, bytes] | None = None
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "Hinweise"
    for row in _meta_rows(report):
        ws.append([_text(v) for v in row])
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 18, 110

    book = wb.create_sheet("Codebuch")
    book.append(["Item", "Abschnitt", "Frage", "Art", "Code", "Antwort"])
    for it in report.codebook.items:
        if not it.choices:
            book.append([_text(it.id), it.section, _text(it.question), it.kind, "", ""])
        for code, label in it.choices:
            book.append(
                [_text(it.id), it.section, _text(it.question), it.kind, _text(code), _text(label)]
            )
    book.append([])
    book.append(
        [
            "Zeichen",
            "",
            f"<{report.k}: weniger als {report.k} Antworten; "
            "x: verdeckt, damit kleine Zahlen nicht ausgerechnet werden können",
        ]
    )

    by_item: dict[str, list[Table]] = {}
    for t in [*report.frequencies, *report.crosstabs]:
        by_item.setdefault(t.item.id, []).append(t)
    for item_id, tables in by_item.items():
        sheet = wb.create_sheet(_sheet_name(item_id, wb.sheetnames))
        sheet.append([_text(report.notice)])
        for t in tables:
            sheet.append([])
            sheet.append([_text(t.title)])
            sheet.cell(sheet.max_row, 1).font = bold
            header = [t.by_label or ""] + [_text(label) for _, label in t.cols]
            sheet.append(header + (["Gesamt"] if t.by else ["Basis (n)"]))
            for (_, rl), row, rt in zip(t.rows, t.cells, t.row_totals, strict=True):
                sheet.append([_text(rl)] + [figure(c) for c in row] + [figure(rt)])
            if t.by:
                sheet.append(["Gesamt"] + [figure(c) for c in t.col_totals] + [figure(t.total)])
        sheet.column_dimensions["A"].width = 34
        if charts and item_id in charts:
            from openpyxl.drawing.image import Image

            img = Image(io.BytesIO(charts[item_id]))
            sheet.add_image(img, f"{get_column_letter(len(tables[0].cols) + 4)}2")

    need = wb.create_sheet("Bedarfsübersicht")
    need.append([_text(report.notice)])
    need.append(BEDARF_HEADER)
    for row in bedarfsuebersicht(report):
        need.append([_text(v) for v in row])
    if report.dropouts:
        drop = wb.create_sheet("Abbrüche")
        drop.append(["Frage, bei der abgebrochen wurde", "Anzahl"])
        for item, cell in report.dropouts:
            drop.append([_text(item), figure(cell)])
    free = wb.create_sheet("Freitext")
    free.append(["Bereinigt (Kontaktdaten entfernt) und von der GfS freigegeben"])
    free.append(["Item", "Text"])
    for answer in texts:
        free.append([_text(answer.item_id), _text(answer.text)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_name(item_id: str, taken: list[str]) -> str:
    base = "".join(ch for ch in item_id if ch not in "[]:*?/\\")[:28] or "Item"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}~{n}", n + 1
    return name


def write(
    report: Report,
    texts: list[TextAnswer],
    fmt: str,
    path: Path,
    sep: str = ",",
    charts: dict[str, bytes] | None = None,
) -> None:
    if fmt == "csv":
        data = to_csv(report, texts, sep)
    elif fmt == "xlsx":
        data = to_xlsx(report, texts, charts)
    elif fmt == "json":
        data = to_json(report, texts)
    elif fmt == "floip":
        data = to_floip(report)
    else:
        raise ValueError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    path.write_bytes(data)
