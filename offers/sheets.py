"""Reading an uploaded CSV or XLSX table within hard bounds, whatever the file claims.

An XLSX is a zip of XML files: every member's decompressed size is checked before anything is
opened (the zip module then never inflates more than the declared size), the sheet's own
`<dimension>` is ignored, and rows are streamed (openpyxl's read-only mode) with the row and
column caps and a deadline checked while reading. CSV is streamed the same way. A file past any
bound is refused with `SheetRefused`; nothing larger than the caps is ever materialised.
The reading runs in a process of its own (`run_apart`), with a memory limit.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from base.workers import uploads

MIB = 1024 * 1024
MAX_MEMBER_BYTES = 32 * MIB  # one XML file inside the XLSX, decompressed
MAX_ZIP_BYTES = 64 * MIB  # all of them together
MAX_MEMBERS = 200  # a workbook from Excel or LibreOffice has about 10 to 30
MAX_TABLE_ROWS = 20_000  # rows read, blank ones included (the import allows 10,000 offers)
MAX_COLUMNS = 256  # the import knows about 150 columns
READ_SECONDS = 20.0  # reading stops after this long
T = TypeVar("T")


class SheetRefused(Exception):
    """The table cannot be read within the bounds; `kind` is a stable reason code."""

    def __init__(self, kind: str, reason: str, value: str = "") -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.value = value

    def __reduce__(self) -> tuple[type[SheetRefused], tuple[str, str, str]]:
        return SheetRefused, (self.kind, self.reason, self.value)


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _bounded(rows: Iterable[Iterable[Any]], deadline: float) -> list[list[Any]]:
    """The rows, each without trailing empty cells, refusing as soon as a bound is passed."""
    table: list[list[Any]] = []
    for row in rows:
        if len(table) >= MAX_TABLE_ROWS:
            raise SheetRefused(
                "too_many_rows", f"more than {MAX_TABLE_ROWS} rows", str(MAX_TABLE_ROWS)
            )
        if time.monotonic() > deadline:
            raise SheetRefused(
                "too_slow", f"reading took longer than {READ_SECONDS:.0f} s", f"{READ_SECONDS:.0f}"
            )
        values = [_cell(v) for v in row]
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        if len(values) > MAX_COLUMNS:
            raise SheetRefused(
                "too_many_columns", f"more than {MAX_COLUMNS} columns", str(MAX_COLUMNS)
            )
        table.append(values)
    return table


def check_zip(path: Path) -> None:
    """Refuse an XLSX whose members would inflate past the caps (before opening any)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SheetRefused("bad_xlsx", "not a readable XLSX file (BadZipFile)") from None
    if len(members) > MAX_MEMBERS:
        raise SheetRefused("too_large_unpacked", f"more than {MAX_MEMBERS} parts in the file")
    largest = max((m.file_size for m in members), default=0)
    total = sum(m.file_size for m in members)
    if largest > MAX_MEMBER_BYTES or total > MAX_ZIP_BYTES:
        raise SheetRefused(
            "too_large_unpacked",
            f"unpacks to more than {MAX_ZIP_BYTES // MIB} MB",
            str(MAX_ZIP_BYTES // MIB),
        )


def read_xlsx(path: Path, deadline: float) -> list[list[Any]]:
    """The first sheet's rows (values, not formulas)."""
    from openpyxl import load_workbook

    check_zip(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise SheetRefused("bad_xlsx", f"not a readable XLSX file ({type(e).__name__})") from None
    try:
        if not wb.worksheets:
            return []
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # the claimed <dimension> is ignored
        return _bounded(ws.iter_rows(values_only=True), deadline)
    except SheetRefused:
        raise
    except Exception as e:  # a damaged sheet is found only while reading it
        raise SheetRefused("bad_xlsx", f"not a readable XLSX file ({type(e).__name__})") from None
    finally:
        wb.close()


def read_csv(data: bytes, deadline: float) -> list[list[Any]]:
    """The rows of UTF-8 CSV text; `;` or `,` as the first line suggests."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SheetRefused(
            "not_utf8", f"not UTF-8 text (byte {e.start}); save the file as CSV UTF-8"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows: Iterator[list[str]] = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _bounded(rows, deadline)
    except csv.Error as e:
        raise SheetRefused("bad_csv", f"not a readable CSV file: {e}") from None


def read_table(path: Path) -> list[list[Any]]:
    """The rows of a `.csv` or `.xlsx` file, within the bounds above (blocking and CPU-heavy:
    call it through `run_apart`)."""
    deadline = time.monotonic() + READ_SECONDS
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path, deadline)
    return read_csv(path.read_bytes(), deadline)


# ---------------------------------------------------------------- a process of its own


async def run_apart(fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` in the upload process (`base.workers.uploads`, 1 GiB of address space):
    reading untrusted files takes CPU (and, in Python, the interpreter lock) that the event
    loop and its other requests must keep. `fn` must be importable and its result and
    exceptions picklable."""
    try:
        return await uploads.run(fn, *args)
    except BrokenProcessPool:  # the process died (memory limit): a fresh one next time
        raise SheetRefused("too_large_unpacked", "reading the file needs too much memory") from None
