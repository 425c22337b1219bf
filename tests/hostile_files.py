"""Hostile spreadsheets, built by hand as an attacker would (small on the wire, huge when
believed or unpacked). Used by the import tests and `bench/hostile.py`."""

from __future__ import annotations

import io
import zipfile

OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Types xmlns="{PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OOXML}.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Relationships xmlns="{PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{OFFICE}">'
    '<sheets><sheet name="Angebote" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Relationships xmlns="{PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
HEADER = ("title", "provider", "category", "need_areas")


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header_row() -> str:
    cells = "".join(_cell(f"{chr(65 + i)}1", name) for i, name in enumerate(HEADER))
    return f'<row r="1">{cells}</row>'


def _sheet(dimension: str, rows: str, padding: int = 0) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData>'
        + " " * padding  # whitespace: compresses about 1000:1
        + "</worksheet>"
    ).encode()


def xlsx(sheet: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def claimed_dimension() -> bytes:
    """A header and one cell in the last row: claims (and spans) A1:XFD1048576."""
    rows = _header_row() + f'<row r="1048576">{_cell("A1048576", "x")}</row>'
    return xlsx(_sheet("A1:XFD1048576", rows))


def wide_row() -> bytes:
    """A value in the last column Excel has (XFD = 16384)."""
    rows = _header_row() + f'<row r="2">{_cell("XFD2", "x")}</row>'
    return xlsx(_sheet("A1:XFD2", rows))


def decompression_bomb(unpacked_mib: int = 100) -> bytes:
    """A valid sheet padded to `unpacked_mib` MiB of XML, about 100 KiB as a file."""
    return xlsx(_sheet("A1:D1", _header_row(), padding=unpacked_mib * 1024 * 1024))


def many_rows(rows: int = 20_500, columns: int = 12) -> bytes:
    """Real work for the parser (rows full of numbers), refused only after 20,000 rows."""
    body = [_header_row()]
    for r in range(2, rows + 2):
        cells = "".join(f'<c r="{chr(65 + c)}{r}"><v>{c}</v></c>' for c in range(columns))
        body.append(f'<row r="{r}">{cells}</row>')
    return xlsx(_sheet(f"A1:L{rows + 1}", "".join(body)))
