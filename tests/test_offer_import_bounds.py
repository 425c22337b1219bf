"""Hostile spreadsheets are refused within bounds, off the event loop (`offers/sheets.py`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from offers import io_rows
from offers.io import export_offers, import_offers
from offers.sheets import MAX_COLUMNS, MAX_TABLE_ROWS, MAX_ZIP_BYTES
from store.demo import load_demo
from store.models import Offer
from tests import hostile_files
from tests.admin_seed import Api
from tests.staff_pages import logged_in

IMPORT = "/api/v1/offers/import?format=xlsx"


async def offer_count(api: Api) -> int:
    async with api.sessions() as s:
        return await s.scalar(select(func.count()).select_from(Offer)) or 0


@pytest.mark.parametrize(
    ("build", "kind", "reason"),
    [
        (hostile_files.claimed_dimension, "rows", f"more than {MAX_TABLE_ROWS} rows"),
        (hostile_files.wide_row, "columns", f"more than {MAX_COLUMNS} columns"),
        (
            lambda: hostile_files.decompression_bomb(40),
            "unpacked",
            f"unpacks to more than {MAX_ZIP_BYTES // 2**20} MB",
        ),
    ],
    ids=["claimed-dimension", "wide-row", "decompression-bomb"],
)
async def test_a_hostile_xlsx_gets_a_clear_error_and_imports_nothing(
    admin_api: Api, build: Callable[[], bytes], kind: str, reason: str
) -> None:
    api = admin_api
    before = await offer_count(api)
    data = build()
    assert len(data) < 200 * 1024  # small on the wire
    r = await api.client.post(IMPORT, content=data, headers=api.auth("gfs"))
    assert r.status_code == 422, r.text
    answer = r.json()
    assert answer["error"]["code"] == "import_refused"
    assert answer["problems"] == [{"row": 0, "column": "", "reason": reason}], kind
    assert await offer_count(api) == before


async def test_the_staff_page_names_the_bound_in_german(admin_api: Api) -> None:
    token = await logged_in(admin_api, "gfs")
    r = await admin_api.client.post(
        "/staff/offers/import",
        data={"csrf_token": token},
        files={"file": ("angebote.xlsx", hostile_files.decompression_bomb(40), "x/y")},
    )
    assert r.status_code == 422
    assert "Die Datei ist entpackt zu groß (höchstens 64 MB)." in r.text


async def test_health_answers_while_a_large_sheet_is_read(admin_api: Api) -> None:
    """The sheet is read in a process of its own: /health keeps answering meanwhile."""
    api = admin_api
    r = await api.client.post(IMPORT, content=hostile_files.wide_row(), headers=api.auth("gfs"))
    assert r.status_code == 422  # the reading process is started
    data = hostile_files.many_rows()
    upload = asyncio.create_task(api.client.post(IMPORT, content=data, headers=api.auth("gfs")))
    latencies: list[float] = []
    await asyncio.sleep(0.05)  # the upload is on its way
    while not upload.done():
        start = time.perf_counter()
        r = await api.client.get("/health")
        latencies.append(time.perf_counter() - start)
        assert r.status_code == 200
        await asyncio.sleep(0.02)
    r = await upload
    assert r.status_code == 422
    assert r.json()["problems"][0]["reason"] == f"more than {MAX_TABLE_ROWS} rows"
    assert len(latencies) >= 5, latencies  # the reading took a while and /health got through
    assert max(latencies) < 1.5, max(latencies)  # on the event loop it was 4-8 s; load-tolerant


async def test_rows_are_checked_in_the_reading_process(db, tmp_path, monkeypatch) -> None:
    """Checking the rows is CPU work like parsing them: it happens in the reading process,
    never on the event loop, which here could not check a single row."""
    await load_demo(db)
    path = tmp_path / "offers.csv"
    async with db() as s:
        exported = await export_offers(s, path)
    assert exported >= 40

    def on_the_loop(*args: object, **kwargs: object) -> None:
        raise AssertionError("a row was checked on the event loop")

    monkeypatch.setattr(io_rows.Row, "text", on_the_loop)  # every check reads cells with it
    report = await import_offers(db, path)
    assert (report.created, report.updated) == (0, exported)
