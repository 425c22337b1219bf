"""Entry points: `wegweiser entry …`, the GfS page (list, create, posters; GfS and admin only,
CSRF), posters whose QR codes read back as the deep link and the web chat link, and scans
counted per entry point without a link to anyone (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from base.settings import get_settings
from entries import points
from entries.points import Links
from entries.poster import HEIGHT, POSTER_LOCALES, WIDTH, Poster, draw, lines
from entries.scans import SCAN
from store.models import AuditEntry, EntryPoint
from tests.admin_seed import Api
from tests.conftest import settings_for
from tests.intake_support import Chat, seed
from tests.staff_pages import logged_in
from wegweiser.cli import app
from wegweiser.services import build

LINKS = Links("WegweiserTestBot", "https://wegweiser.example")


async def login(api: Api, account: str) -> str:
    """Log `account` in (after logging out whoever was); returns its CSRF token."""
    api.client.cookies.clear()
    return await logged_in(api, account)


def read_codes(data: bytes) -> set[str]:
    return {r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))}


# ---------------------------------------------------------------- command line


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("WEGWEISER_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("WEGWEISER_TELEGRAM_BOT_USERNAME", "@WegweiserTestBot")
    monkeypatch.setenv("WEGWEISER_PUBLIC_URL", "https://wegweiser.example/")
    monkeypatch.delenv("WEGWEISER_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    assert invoke("db", "upgrade").exit_code == 0
    assert invoke("demo", "load").exit_code == 0
    yield invoke
    get_settings.cache_clear()


def test_cli_creates_an_entry_point_and_writes_its_poster(cli, tmp_path):
    r = cli(
        "entry", "create", "--buendnis", "demo-kreis", "--flow", "erstberatung",
        "--source", "Plakat Jobcenter",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    code = re.search(r"demo-kreis-[0-9a-f]{8}", r.output).group(0)
    assert f"https://t.me/WegweiserTestBot?start={code}" in r.output
    assert f"https://wegweiser.example/chat?start={code}" in r.output
    assert "[erstberatung]" in r.output and "scans 0" in r.output
    assert code in cli("entry", "list", "--buendnis", "demo-kreis").output
    r = cli("entry", "poster", code, "-o", str(tmp_path / "plakat.png"))
    assert r.exit_code == 0, r.output
    assert read_codes((tmp_path / "plakat.png").read_bytes()) == {
        f"https://t.me/WegweiserTestBot?start={code}",
        f"https://wegweiser.example/chat?start={code}",
    }
    assert cli("entry", "poster", code, "-o", str(tmp_path / "p.pdf")).exit_code == 0
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--buendnis", "nope", "--flow", "erstberatung", "--source", "X"), 1, "no Bündnis"),
        (("--buendnis", "demo-kreis", "--flow", "nope", "--source", "X"), 1, "unknown flow"),
        (("--buendnis", "demo-kreis", "--flow", "befragung-lebenslage", "--source", "X"), 1,
         "unknown flow"),  # a survey starts through a wave
        (("--buendnis", "demo-kreis", "--flow", "99", "--source", "X"), 1, "no survey wave 99"),
        (("--buendnis", "demo-kreis", "--flow", "erstberatung", "--source", " "), 1, "source"),
        (("--buendnis", "demo-kreis", "--flow", "erstberatung"), 2, "--source"),
    ],
)  # fmt: skip
def test_cli_refuses_bad_input_with_one_line(cli, args, code, message):
    r = cli("entry", "create", *args)
    assert r.exit_code == code and message in r.output and "Traceback" not in r.output


def test_cli_entry_for_a_wave_and_a_poster_of_an_unknown_code(cli, tmp_path):
    assert cli("surveys", "create", "demo-kreis", "Frühjahr", "--code", "fj").exit_code == 0
    r = cli("entry", "create", "--buendnis", "demo-kreis", "--flow", "1", "--source", "Schule")
    assert r.exit_code == 0 and "[wave 1]" in r.output, r.output
    r = cli("entry", "poster", "nope", "-o", str(tmp_path / "x.pdf"))
    assert r.exit_code == 1 and "no entry point with code 'nope'" in r.output
    r = cli("entry", "poster", "fj", "-o", str(tmp_path / "x.svg"))
    assert r.exit_code == 2 and ".pdf or .png" in r.output


# ---------------------------------------------------------------- the poster


def test_poster_is_an_a4_page_whose_codes_open_the_links():
    poster = Poster(
        "Bündnis Kreis Wesel", "wesel-0a1b2c3d", LINKS.telegram("wesel-0a1b2c3d"),
        LINKS.webchat("wesel-0a1b2c3d"),
    )  # fmt: skip
    png = draw(poster, "png")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
    assert abs(WIDTH / HEIGHT - 210 / 297) < 0.002  # A4
    assert read_codes(png) == {
        "https://t.me/WegweiserTestBot?start=wesel-0a1b2c3d",
        "https://wegweiser.example/chat?start=wesel-0a1b2c3d",
    }
    pdf = draw(poster, "pdf")
    box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf)
    assert pdf.startswith(b"%PDF") and box is not None
    assert abs(float(box.group(1)) - 595.3) < 1 and abs(float(box.group(2)) - 841.9) < 1
    only_telegram = draw(Poster("B", "c", LINKS.telegram("c"), None))
    assert read_codes(only_telegram) == {"https://t.me/WegweiserTestBot?start=c"}


def test_poster_text_is_translated_into_the_main_languages():
    shown = {loc: lines(loc) for loc in POSTER_LOCALES}
    assert all(shown.values()), [loc for loc, text in shown.items() if not text]
    assert shown["ar"] != shown["fa"] != lines("de")


# ---------------------------------------------------------------- scans


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key="e" * 40))
    yield s
    await s.close()


async def scans_of(services, entry_id: int) -> int:
    async with services.sessions() as s:
        return int(await s.scalar(select(EntryPoint.scans).where(EntryPoint.id == entry_id)))


async def test_a_start_with_the_code_counts_a_scan_outside_the_persons_transaction(services):
    ids = await seed(services.sessions)
    async with services.sessions() as s, s.begin():
        entry = await points.create(s, ids["buendnis"], "erstberatung", "Plakat", services.flows)
        entry_id, code = entry.id, entry.code
    for n in range(4):
        await Chat(services, user=f"p{n}").start(link=code)
    await Chat(services, user="other").start(link="no-such-code")
    assert len(services.holding.waiting(SCAN)) == 4 and await scans_of(services, entry_id) == 0
    assert await services.holding.flush() == 0  # fewer than k together: nothing says when
    # The poster's link opens the Erstberatung, whatever the server's default flow is.
    await Chat(services, user="p4", flow=None).start(link=code)  # type: ignore[arg-type]
    assert (await services.runtime.state_of("telegram", "p4"))["flow_id"] == "erstberatung"
    assert services.settings.default_flow != "erstberatung"
    assert await services.holding.flush() == 5
    assert await scans_of(services, entry_id) == 5
    # The count is a number on the entry point: no day, no person, no conversation.
    assert {c.name for c in inspect(EntryPoint).columns} == {
        "id", "code", "buendnis_id", "source", "flow_id", "wave_id", "scans",
    }  # fmt: skip
    async with services.sessions() as s:
        attributed = await s.scalar(select(func.count()).select_from(EntryPoint))
    assert attributed == 2  # the seeded test link and the new one; no row per scan


# ---------------------------------------------------------------- the GfS page


async def test_gfs_lists_creates_and_prints_entry_points_of_its_buendnis(admin_api: Api):
    api = admin_api
    token = await login(api, "gfs")
    r = await api.client.get("/staff/entries")
    assert r.status_code == 200 and 'href="/staff/entries"' in r.text
    r = await api.client.post(
        "/staff/entries",
        data={"csrf_token": token, "source": "Plakat Jobcenter", "flow": "erstberatung"},
    )
    assert r.status_code == 303, r.text
    async with api.sessions() as s:
        entry = await s.scalar(select(EntryPoint).where(EntryPoint.source == "Plakat Jobcenter"))
        audited = await s.scalar(
            select(func.count()).where(
                AuditEntry.object_type == "entry_point", AuditEntry.action == "create"
            )
        )
    assert entry.buendnis_id == api.seed.buendnis["A"] and entry.flow_id == "erstberatung"
    assert audited == 1
    page = await api.client.get(r.headers["location"])
    assert entry.code in page.text and "Plakat Jobcenter" in page.text
    assert f"https://t.me/WegweiserTestBot?start={entry.code}" in page.text
    poster = await api.client.get(f"/staff/entries/{entry.id}/poster.png")
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/png"
    assert f"https://t.me/WegweiserTestBot?start={entry.code}" in read_codes(poster.content)
    pdf = await api.client.get(f"/staff/entries/{entry.id}/poster.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    # Another Bündnis' GfS neither sees nor prints it.
    await login(api, "gfs_b")
    assert entry.code not in (await api.client.get("/staff/entries")).text
    assert (await api.client.get(f"/staff/entries/{entry.id}/poster.pdf")).status_code == 404


async def test_entry_form_refuses_bad_input_and_forged_posts(admin_api: Api):
    api = admin_api
    token = await login(api, "gfs")
    before = await _entries(api)
    r = await api.client.post(
        "/staff/entries", data={"csrf_token": token, "source": "", "flow": "erstberatung"}
    )
    assert r.status_code == 422 and "höchstens 120 Zeichen" in r.text
    r = await api.client.post(
        "/staff/entries", data={"csrf_token": token, "source": "X", "flow": "befragung-lebenslage"}
    )
    assert r.status_code == 422 and "womit das Gespräch beginnt" in r.text
    foreign_wave = str(api.seed.wave["B"])
    r = await api.client.post(
        "/staff/entries", data={"csrf_token": token, "source": "X", "flow": foreign_wave}
    )
    assert r.status_code == 422
    r = await api.client.post(
        "/staff/entries", data={"csrf_token": "forged", "source": "X", "flow": "erstberatung"}
    )
    assert r.status_code == 403
    assert await _entries(api) == before
    r = await api.client.post(
        "/staff/entries",
        data={"csrf_token": token, "source": "Schule", "flow": str(api.seed.wave["A"])},
    )
    assert r.status_code == 303
    assert await _entries(api) == before + 1


async def test_only_gfs_and_admin_reach_the_entry_pages(admin_api: Api):
    api = admin_api
    r = await api.client.get("/staff/entries")
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
    token = await login(api, "servicestelle")
    for path in ("/staff/entries", "/staff/entries/1/poster.pdf"):
        assert (await api.client.get(path)).status_code == 403, path
    r = await api.client.post(
        "/staff/entries", data={"csrf_token": token, "source": "X", "flow": "erstberatung"}
    )
    assert r.status_code == 403
    token = await login(api, "admin")
    r = await api.client.post(
        "/staff/entries", data={"csrf_token": token, "source": "X", "flow": "erstberatung"}
    )
    assert r.status_code == 422 and "Bitte ein Bündnis auswählen." in r.text
    r = await api.client.post(
        "/staff/entries",
        data={
            "csrf_token": token,
            "source": "Flyer",
            "flow": "erstberatung",
            "buendnis_id": str(api.seed.buendnis["B"]),
        },
    )
    assert r.status_code == 303


async def _entries(api: Api) -> int:
    async with api.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(EntryPoint)))
