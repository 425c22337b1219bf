"""Survey waves and results through the admin API (SQLite and PostgreSQL): a gfs token runs a
wave and exports its results; figures are suppressed with the Bündnis' k; gap signals use the
same k; another Bündnis's wave answers 404; servicestellen get 403."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

from sqlalchemy import func, select

from results.periods import last_month
from store.models import Conversation, IntakeNeedCount, OfferGap, OutboxMessage, SurveyWave
from surveys.waves import participation_marker
from tests.admin_seed import SECRET, Api, audit_entries
from tests.results_data import seed_wave

API = "/api/v1"
FLOW = "befragung-lebenslage"


async def _people_wave(api: Api, n: int = 12) -> int:
    """An open wave of Bündnis A with `n` responses: 9 aged 18-20, the rest 21-24."""
    flows = api.client._transport.app.state.surveys.flows  # type: ignore[attr-defined]
    people = [
        {"1.2": "18-20" if i < 9 else "21-24", "1.3": "w" if i % 2 else "m", "2.2": ["sprache"]}
        for i in range(n)
    ]
    return await seed_wave(api.sessions, flows[FLOW], people, buendnis="buendnis-a")


async def test_gfs_runs_a_wave_from_create_to_close(admin_api: Api) -> None:
    api = admin_api
    h = api.auth("gfs")
    r = await api.client.post(
        f"{API}/waves", json={"title": "Frühjahr 2027", "code": "fj27"}, headers=h
    )
    assert r.status_code == 201, r.text
    wave = r.json()
    assert wave["status"] == "draft" and wave["code"] == "fj27" and wave["responses"] == 0
    assert wave["buendnis_id"] == api.seed.buendnis["A"] and wave["flow_id"] == FLOW
    wid = wave["id"]
    r = await api.client.post(f"{API}/waves", json={"title": "x", "code": "fj27"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "code_taken"
    r = await api.client.post(
        f"{API}/waves", json={"title": "x", "flow_id": "erstberatung"}, headers=h
    )
    assert r.status_code == 404 and r.json()["error"]["field"] == "flow_id"  # no survey flow
    r = await api.client.post(f"{API}/waves/{wid}/invitations", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "wave_not_open"
    r = await api.client.post(f"{API}/waves/{wid}/close", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    r = await api.client.post(f"{API}/waves/{wid}/open", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "open"
    assert r.json()["opened_on"] == dt.date.today().isoformat()
    # invitations: opted in, not opted out, not taken part, own Bündnis only
    async with api.sessions() as s, s.begin():
        convs = {
            name: Conversation(
                pseudonym=f"pn-{name}",
                channel="web",
                address=f"a-{name}",
                locale="de",
                buendnis_id=api.seed.buendnis[b],
                invitations=inv,
                opted_out=out,
            )
            for name, b, inv, out in (
                ("yes", "A", True, False),
                ("took-part", "A", True, False),
                ("no", "A", False, False),
                ("stopped", "A", True, True),
                ("foreign", "B", True, False),
            )
        }
        s.add_all(convs.values())
        from store.models import ParticipationMarker

        s.add(
            ParticipationMarker(
                marker=participation_marker(SECRET, wid, "pn-took-part"), wave_id=wid
            )
        )
    r = await api.client.post(f"{API}/waves/{wid}/invitations", headers=h)
    assert r.status_code == 200 and r.json() == {"queued": 1}
    async with api.sessions() as s:
        out = list(await s.scalars(select(OutboxMessage)))
    assert [o.address for o in out] == ["a-yes"] and "/start fj27" in out[0].payload["text"]
    assert out[0].priority == 1
    r = await api.client.get(f"{API}/waves", headers=h)
    assert [w["id"] for w in r.json()["items"]] == [api.seed.wave["A"], wid]
    r = await api.client.post(f"{API}/waves/{wid}/close", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    actions = [
        (e.action, e.object_type)
        for e in await audit_entries(api.sessions)
        if e.object_type == "survey_wave"
    ]
    assert actions == [
        ("create", "survey_wave"),
        ("open", "survey_wave"),
        ("invite", "survey_wave"),
        ("closed", "survey_wave"),
    ]


async def test_results_are_suppressed_with_the_buendnis_k(admin_api: Api) -> None:
    api = admin_api
    wid = await _people_wave(api)
    h = api.auth("gfs")
    r = await api.client.get(f"{API}/waves/{wid}", headers=h)
    assert r.json()["responses"] == 12
    r = await api.client.get(f"{API}/waves/{wid}/results/frequencies?item=1.2", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["n"] == 12 and body["suppression_k"] == 5 and "n = 12" in body["notice"]
    (table,) = body["tables"]
    figures = dict(zip([c["code"] for c in table["columns"]], table["cells"][0], strict=True))
    assert figures["18-20"] == 9
    assert figures["21-24"] == "<5" and figures["16-17"] == "<5"  # 3 and 0
    r = await api.client.get(f"{API}/waves/{wid}/results/crosstabs?item=1.2&by=1.3", headers=h)
    assert r.status_code == 200
    assert {t["by"] for t in r.json()["tables"]} == {"1.3"}
    for row in r.json()["tables"][0]["cells"]:
        assert all(isinstance(c, str) or c >= 5 for c in row)
    # exports
    r = await api.client.get(f"{API}/waves/{wid}/export?format=csv&sep=;", headers=h)
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert any("n = 12" in cell for cell in rows[0])
    r = await api.client.get(f"{API}/waves/{wid}/export?format=json", headers=h)
    assert json.loads(r.content)["suppression_k"] == 5
    r = await api.client.get(f"{API}/waves/{wid}/export?format=floip", headers=h)
    assert json.loads(r.content)["profile"] == "flow-results-package"
    r = await api.client.get(f"{API}/waves/{wid}/export?format=xlsx", headers=h)
    assert r.status_code == 200 and zipfile.is_zipfile(io.BytesIO(r.content))
    exports = [e for e in await audit_entries(api.sessions) if e.action == "export"]
    assert len(exports) == 4 and {e.object_id for e in exports} == {str(wid)}


async def test_crosstabs_of_any_item_by_any_item(admin_api: Api) -> None:
    api = admin_api
    wid = await _people_wave(api, 20)
    h = api.auth("gfs")
    url = f"{API}/waves/{wid}/results/crosstabs"
    r = await api.client.get(url, params={"item": "1.3", "by": "2.2"}, headers=h)
    assert r.status_code == 200, r.text
    (table,) = r.json()["tables"]
    assert table["by"] == "2.2" and table["rows"][0] == {
        "code": "sprache",
        "label": "Deutsch lernen",
    }
    assert table["total"] == 20 and table["row_totals"][0] == 20  # everyone named "sprache"
    r = await api.client.get(url, params={"by": "1.3"}, headers=h)
    assert {(t["item"], t["by"]) for t in r.json()["tables"]} == {("1.2", "1.3"), ("2.2", "1.3")}
    r = await api.client.get(url, params={"item": "1.2"}, headers=h)
    assert [t["by"] for t in r.json()["tables"]] == ["1.3"]  # the breakdowns with answers
    for params in ({"item": "1.2", "by": "1.2"}, {"item": "2.18", "by": "1.2"}, {"by": "9.9"}):
        r = await api.client.get(url, params=params, headers=h)
        assert r.status_code == 200 and r.json()["tables"] == [], params


async def test_waves_are_scoped_to_the_buendnis(admin_api: Api) -> None:
    api = admin_api
    wid = await _people_wave(api)
    for path in (
        f"/waves/{wid}",
        f"/waves/{wid}/results/frequencies",
        f"/waves/{wid}/export?format=json",
    ):
        r = await api.client.get(API + path, headers=api.auth("gfs_b"))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
        r = await api.client.get(API + path, headers=api.auth("servicestelle"))
        assert r.status_code == 403, path
        r = await api.client.get(API + path, headers=api.auth("admin"))
        assert r.status_code == 200, path
    running = api.seed.wave["A"]
    r = await api.client.post(f"{API}/waves/{running}/close", headers=api.auth("gfs_b"))
    assert r.status_code == 404
    async with api.sessions() as s:
        assert (await s.get(SurveyWave, running)).status == "open"  # type: ignore[union-attr]
    r = await api.client.get(f"{API}/waves", headers=api.auth("gfs_b"))
    assert [w["id"] for w in r.json()["items"]] == [api.seed.wave["B"]]
    r = await api.client.post(
        f"{API}/waves",
        json={"title": "fremd", "buendnis_id": api.seed.buendnis["A"]},
        headers=api.auth("gfs_b"),
    )
    assert r.status_code == 404


async def test_gap_signals_use_the_same_suppression(admin_api: Api) -> None:
    api, seed = admin_api, admin_api.seed
    ga, gb = seed.gemeinde["A"], seed.gemeinde["B"]
    day = dt.date(2026, 3, 1)
    async with api.sessions() as s, s.begin():
        a, b = seed.buendnis["A"], seed.buendnis["B"]
        for key, gem, area, n in (
            (a, ga, "sprache", 7),
            (a, ga, "wohnen", 2),
            (a, ga, "sprache", 1),  # a second row for the same key: summed
            (b, gb, "arbeit", 50),
        ):
            s.add(
                IntakeNeedCount(buendnis_id=key, gemeinde_id=gem, need_area=area, day=day, count=n)
            )
        for _ in range(6):
            s.add(OfferGap(buendnis_id=a, gemeinde_id=ga, need_area="wohnen", day=day))
    r = await api.client.get(f"{API}/gaps", params={"month": "2026-03"}, headers=api.auth("gfs"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["month"] == "2026-03"
    assert body["suppression_k"] == 5
    needs = body["needs"]
    assert needs["need_areas"] == ["sprache", "wohnen"]
    assert needs["gemeinden"] == [{"code": f"g{ga}", "name": "Gemeinde A"}]
    cells = {a: row[0] for a, row in zip(needs["need_areas"], needs["cells"], strict=True)}
    assert cells["wohnen"] == "<5"
    # 10 (all needs in Gemeinde A) and 8 (sprache) together would give wohnen away: secondary
    # suppression hides one of them wherever it appears
    published = [
        *[c for row in needs["cells"] for c in row],
        *needs["row_totals"],
        *needs["column_totals"],
        needs["total"],
    ]
    assert not (8 in published and 10 in published)
    assert "x" in published
    gaps = body["gaps"]
    assert dict(zip(gaps["need_areas"], [row[0] for row in gaps["cells"]], strict=True)) == {
        "sprache": "<5",  # 0, like every figure below k
        "wohnen": "x",  # 6 would equal the published column total minus 0
    }
    assert gaps["row_totals"][1] in ("x", "<5") or gaps["column_totals"][0] in ("x", "<5")
    assert "arbeit" not in r.text  # Bündnis B's figures never appear
    r = await api.client.get(f"{API}/gaps?month=2026-04", headers=api.auth("gfs"))
    assert r.json()["needs"]["need_areas"] == []  # fixed months: March's figures stay there
    r = await api.client.get(f"{API}/gaps", headers=api.auth("gfs"))
    assert r.json()["month"] == last_month(dt.date.today()).label
    this_month = dt.date.today().strftime("%Y-%m")
    for month, status in ((this_month, 409), ("2026-3", 422), ("2026-03-02", 422)):
        r = await api.client.get(f"{API}/gaps", params={"month": month}, headers=api.auth("gfs"))
        assert r.status_code == status and r.json()["error"]["field"] == "month", month
    r = await api.client.get(
        f"{API}/gaps?buendnis_id={seed.buendnis['B']}", headers=api.auth("gfs")
    )
    assert r.status_code == 404
    r = await api.client.get(f"{API}/gaps", headers=api.auth("admin"))
    assert r.status_code == 409 and r.json()["error"]["field"] == "buendnis_id"  # admin names one
    r = await api.client.get(
        f"{API}/gaps?buendnis_id={seed.buendnis['B']}&month=2026-03", headers=api.auth("admin")
    )
    assert r.json()["needs"]["cells"] == [[50]]
    async with api.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OfferGap)) == 6


async def test_a_running_wave_publishes_nothing_a_closed_one_everything(admin_api: Api) -> None:
    """Two exports of a running wave, before and after one more person, would be the
    attack: a running wave gives no figures at all, only its response count."""
    api = admin_api
    wid = await _people_wave(api)
    async with api.sessions() as s, s.begin():
        (await s.get(SurveyWave, wid)).status = "open"  # type: ignore[union-attr]
    h = api.auth("gfs")
    for path in ("results/frequencies", "results/crosstabs", "export?format=json"):
        r = await api.client.get(f"{API}/waves/{wid}/{path}", headers=h)
        assert r.status_code == 409 and r.json()["error"]["code"] == "wave_not_closed", path
    r = await api.client.get(f"{API}/waves/{wid}", headers=h)
    assert r.status_code == 200 and r.json()["responses"] > 0
    r = await api.client.post(f"{API}/waves/{wid}/close", headers=h)
    assert r.status_code == 200
    r = await api.client.get(f"{API}/waves/{wid}/results/frequencies", headers=h)
    assert r.status_code == 409  # the last held answers may still come: not yet
    async with api.sessions() as s, s.begin():
        wave = await s.get(SurveyWave, wid)
        wave.closed_on -= dt.timedelta(days=2)  # type: ignore[union-attr,operator]
    r = await api.client.get(f"{API}/waves/{wid}/results/frequencies", headers=h)
    assert r.status_code == 200 and r.json()["tables"]
