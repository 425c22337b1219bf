"""`wegweiser offers import|export`: CSV and XLSX round trips, row-level validation with
nothing imported on any error (checked in the database), formula neutralisation."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import delete, func, select

from offers.io import export_offers, import_offers
from offers.io_columns import COLUMNS, ImportRefused
from store.demo import load_demo
from store.models import Buendnis, Offer, OfferText
from tests.test_cli import env_for

FIELDS = [c.name for c in Offer.__table__.columns if c.name != "id"]


async def snapshot(db) -> dict[tuple, dict]:
    """Every offer's fields and its translations (language, field, text, source, reviewed)."""
    async with db() as s:
        offers = list(await s.scalars(select(Offer)))
        texts = list(await s.scalars(select(OfferText)))
    return {
        (o.buendnis_id, o.title, o.provider): {f: getattr(o, f) for f in FIELDS}
        | {
            "texts": sorted(
                (t.locale, t.field, t.text, t.source, t.reviewed)
                for t in texts
                if t.offer_id == o.id
            )
        }
        for o in offers
    }


async def count(db) -> int:
    async with db() as s:
        return await s.scalar(select(func.count()).select_from(Offer))


async def export(db, path, **kw) -> int:
    async with db() as s:
        return await export_offers(s, path, **kw)


async def wipe(db) -> None:
    async with db() as s, s.begin():
        await s.execute(delete(Offer))


async def buendnis_id(db, code: str) -> int:
    async with db() as s:
        return await s.scalar(select(Buendnis.id).where(Buendnis.code == code))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
async def test_round_trip(db, tmp_path, suffix):
    await load_demo(db)
    before = await snapshot(db)
    first = tmp_path / f"offers{suffix}"
    assert await export(db, first) == len(before) >= 40
    await wipe(db)
    report = await import_offers(db, first)
    assert (report.created, report.updated) == (len(before), 0)
    assert await snapshot(db) == before
    # importing the same file again updates in place, it does not duplicate
    report = await import_offers(db, first)
    assert (report.created, report.updated) == (0, len(before))
    assert await count(db) == len(before)
    second = tmp_path / f"again{suffix}"
    await export(db, second)
    if suffix == ".csv":
        assert first.read_bytes() == second.read_bytes()
        assert first.read_bytes().startswith(b"\xef\xbb\xbfbuendnis;title;summary;provider;")
    else:
        rows = lambda p: list(load_workbook(p).worksheets[0].iter_rows(values_only=True))  # noqa: E731
        assert rows(first) == rows(second)


async def test_export_of_one_buendnis_and_comma_delimiter(db, tmp_path):
    await load_demo(db)
    path = tmp_path / "stadt.csv"
    n = await export(db, path, buendnis="demo-stadt", delimiter=",")
    text = path.read_text(encoding="utf-8-sig")
    assert n == 12 and text.startswith("buendnis,title,summary,provider,")
    assert "demo-kreis" not in text
    with pytest.raises(ValueError, match="unknown Bündnis"):
        await export(db, tmp_path / "x.csv", buendnis="nope")
    with pytest.raises(ValueError, match=r"use \.csv or \.xlsx"):
        await export(db, tmp_path / "x.ods")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
async def test_formula_cells_are_neutralised_and_restored(db, tmp_path, suffix):
    await load_demo(db)
    b = await buendnis_id(db, "demo-stadt")
    risky = {
        "title": '=HYPERLINK("http://example.org/x","klick")',
        "contact": "+49 0000 000000",
        "address": "@Musterstraße 1",
        "cost": "-5 € Eigenanteil",
        "keywords": ["=1+1", "Deutschkurs"],
    }
    async with db() as s, s.begin():
        s.add(
            Offer(
                buendnis_id=b,
                provider="Test (Beispiel)",
                category="sprache",
                need_areas=["sprache"],
                access={},
                **risky,
            )
        )
    path = tmp_path / f"risky{suffix}"
    await export(db, path, buendnis="demo-stadt")
    if suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        assert "'=HYPERLINK" in text and "'+49 0000 000000" in text and "'@Muster" in text
        assert "'-5 €" in text and "'=1+1" in text
        assert ";=" not in text and ";+" not in text and ";@" not in text
    else:
        ws = load_workbook(path).worksheets[0]
        header = [c.value for c in ws[1]]
        row = next(r for r in ws.iter_rows(min_row=2) if "HYPERLINK" in str(r[1].value))
        cell = row[header.index("title")]
        assert cell.data_type == "s" and cell.value.startswith("'=")
        for r in ws.iter_rows(min_row=2):
            for c in r:
                assert c.data_type != "f"
    await wipe(db)
    await import_offers(db, path)
    async with db() as s:
        back = await s.scalar(select(Offer).where(Offer.provider == "Test (Beispiel)"))
    assert {k: getattr(back, k) for k in risky} == risky


# ---------------------------------------------------------------- invalid files

GOOD_ROW = {
    "title": "Neues Angebot",
    "provider": "Neuer Träger (Beispiel)",
    "category": "sprache",
    "need_areas": "sprache",
    "access_AG": "yes",
}


def write_csv(path, header, rows, delimiter=";") -> None:
    lines = [delimiter.join(header)]
    lines += [delimiter.join(str(r.get(h, "")) for h in header) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def test_any_invalid_row_means_nothing_is_imported(db, tmp_path):
    await load_demo(db)
    before = await snapshot(db)
    existing = next(k for k in before if k[1] == "Jugendintegrationskurs")
    header = [
        "buendnis",
        "title",
        "provider",
        "category",
        "need_areas",
        "gemeinden",
        "access_D",
        "age_min",
        "age_max",
        "valid_from",
        "valid_to",
        "languages",
        "cost",
    ]
    rows = [
        {**GOOD_ROW, "buendnis": "demo-kreis", "gemeinden": "Moers"},  # valid: would be created
        {
            "buendnis": "demo-kreis",
            "title": existing[1],
            "provider": existing[2],  # valid update
            "category": "sprache",
            "need_areas": "sprache",
            "cost": "geändert",
        },
        {**GOOD_ROW, "buendnis": "demo-kreis", "title": "B", "access_D": "vielleicht"},  # row 4
        {**GOOD_ROW, "buendnis": "demo-kreis", "title": "C", "gemeinden": "Mörs"},  # row 5
        {**GOOD_ROW, "buendnis": "demo-kreis", "title": "D", "age_min": 20, "age_max": 18},
        {**GOOD_ROW, "buendnis": "demo-kreis", "title": "E", "valid_from": "31.02.2026"},
        {
            **GOOD_ROW,
            "buendnis": "demo-kreis",
            "title": "F",
            "category": "Kochkurs",
            "need_areas": "sprache|Wohnungen",
            "languages": "de|Arabisch",
        },  # row 8
        {**GOOD_ROW, "buendnis": "nowhere", "title": "G"},  # row 9
        {**GOOD_ROW, "buendnis": "demo-kreis", "gemeinden": "Moers"},  # row 10: same as row 2
        {**GOOD_ROW, "buendnis": "demo-kreis", "title": "", "provider": "x" * 201},  # row 11
        {**GOOD_ROW, "buendnis": "demo-kreis", "title": "H", "need_areas": ""},  # row 12
    ]
    path = tmp_path / "bad.csv"
    write_csv(path, header, rows)
    with pytest.raises(ImportRefused) as caught:
        await import_offers(db, path)
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {
        (4, "access_D"),
        (5, "gemeinden"),
        (6, "age_max"),
        (7, "valid_from"),
        (8, "category"),
        (8, "need_areas"),
        (8, "languages"),
        (9, "buendnis"),
        (10, "title"),
        (11, "title"),
        (11, "provider"),
        (12, "need_areas"),
    }
    messages = {(e.row, e.column): str(e) for e in caught.value.errors}
    assert "did you mean Moers?" in messages[(5, "gemeinden")]
    assert messages[(4, "access_D")] == (
        "row 4, column access_D: 'vielleicht' is not one of yes/no/ask"
    )
    assert "same title and provider as row 2" in messages[(10, "title")]
    # the database is exactly as before: the valid rows were not written either
    assert await snapshot(db) == before


async def test_buendnis_option_and_row_codes(db, tmp_path):
    await load_demo(db)
    n = await count(db)
    path = tmp_path / "rows.csv"
    write_csv(
        path,
        ["buendnis", *GOOD_ROW],
        [{**GOOD_ROW, "buendnis": "demo-kreis"}, {**GOOD_ROW, "title": "Zweites"}],
    )
    with pytest.raises(ImportRefused) as caught:
        await import_offers(db, path, buendnis="demo-stadt")
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "buendnis")]
    with pytest.raises(ImportRefused) as caught:
        await import_offers(db, path)  # row 3 has no Bündnis and there is no default
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "buendnis")]
    with pytest.raises(ImportRefused, match="1 problem"):
        await import_offers(db, path, buendnis="no-such")
    assert await count(db) == n
    report = await import_offers(db, path, buendnis="demo-kreis")
    assert report.created == 2 and await count(db) == n + 2


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "x.csv",
            b"titel;anbieter\nA;B\n",
            {
                (1, "titel"),
                (1, "anbieter"),
                (1, "title"),
                (1, "provider"),
                (1, "category"),
                (1, "need_areas"),
            },
        ),
        ("x.csv", b"title;provider;category;need_areas;title\n", {(1, "title")}),
        ("x.csv", b"", {(1, "")}),
        ("x.csv", "title;provider\nK\xf6ln;x\n".encode("latin-1"), {(0, "")}),
        ("x.txt", b"title\n", {(0, "")}),
        ("x.xlsx", b"not a zip file", {(0, "")}),
        ("x.csv", b"title;provider;category;need_areas\nA;B;sprache;sprache;extra\n", {(2, "")}),
    ],
)
async def test_unreadable_files_and_bad_headers(db, tmp_path, name, content, expected):
    await load_demo(db)
    n = await count(db)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportRefused) as caught:
        await import_offers(db, path, buendnis="demo-kreis")
    assert {(e.row, e.column) for e in caught.value.errors} == expected
    assert await count(db) == n


async def test_german_spreadsheet_conventions(db, tmp_path):
    """Comma CSV, header case, German names for categories and need areas, ja/nein, dates
    as DD.MM.YYYY, XLSX with real date and number cells."""
    await load_demo(db)
    path = tmp_path / "de.csv"
    path.write_text(
        "Buendnis,TITLE,Provider,Category,Need_Areas,Gemeinden,access_d,access_ag,"
        "opening_possible,valid_from,age_min\n"
        'demo-kreis,Neu,Träger (Beispiel),Sprache,"Sprache | Freizeit/Teilhabe",'
        "moers | Rheinberg,nein,fragen,ja,01.02.2026,16\n",
        encoding="utf-8",
    )
    await import_offers(db, path)
    wb = Workbook()
    ws = wb.active
    ws.append(["buendnis", "title", "provider", "category", "need_areas", "valid_to", "age_max"])
    ws.append(
        [
            "demo-stadt",
            "XLSX",
            "Träger (Beispiel)",
            "teilhabe",
            "freizeit",
            dt.datetime(2027, 3, 31),
            26.0,
        ]
    )
    xlsx = tmp_path / "de.xlsx"
    wb.save(xlsx)
    await import_offers(db, xlsx)
    async with db() as s:
        neu = await s.scalar(select(Offer).where(Offer.title == "Neu"))
        x = await s.scalar(select(Offer).where(Offer.title == "XLSX"))
    assert neu.category == "sprache" and neu.need_areas == ["sprache", "freizeit"]
    assert len(neu.gemeinde_ids) == 2 and neu.opening_possible is True
    assert neu.access["D"] == "no" and neu.access["AG"] == "ask" and neu.access["AE"] == "ask"
    assert neu.valid_from == dt.date(2026, 2, 1) and neu.age_min == 16
    assert x.valid_to == dt.date(2027, 3, 31) and x.age_max == 26 and not x.is_sample
    assert set(COLUMNS) >= {"access_P24", "what_to_bring", "last_checked"}


# ---------------------------------------------------------------- the command


@pytest.mark.slow
def test_cli_import_reports_rows_and_export_writes(tmp_path):
    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "wegweiser", *args],
            env=env_for(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )

    (tmp_path / "instance").mkdir()
    r = cli("offers", "export", "early.csv")  # database not migrated yet
    assert r.returncode == 1 and "wegweiser db upgrade" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "early.csv").exists()
    assert cli("db", "upgrade").returncode == 0
    assert cli("demo", "load").returncode == 0
    r = cli("offers", "export", "all.xlsx")
    assert r.returncode == 0 and "54 offer(s) written" in r.stdout
    bad = tmp_path / "bad.csv"
    write_csv(bad, list(GOOD_ROW), [GOOD_ROW, {**GOOD_ROW, "title": "X", "access_AG": "?"}])
    r = cli("offers", "import", "bad.csv", "--buendnis", "demo-kreis")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "bad.csv: row 3, column access_AG: '?' is not one of yes/no/ask" in r.stderr
    assert "nothing imported" in r.stderr
    r = cli("offers", "import", "all.xlsx")
    assert r.returncode == 0 and "0 created, 54 updated" in r.stdout
