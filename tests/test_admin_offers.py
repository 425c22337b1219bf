"""Offer catalogue endpoints: filters, search, the "not checked for 6 months" list."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from offers.service import months_before
from store.models import Offer, today
from tests.admin_seed import Api


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 3, 15), 6) == dt.date(2025, 9, 15)
    assert months_before(dt.date(2024, 8, 31), 6) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2026, 1, 1), 13) == dt.date(2024, 12, 1)


async def _offer(api: Api, **kw) -> int:
    base = {"buendnis_id": api.seed.buendnis["A"], "provider": "Träger", "category": "Beratung"}
    async with api.sessions() as s, s.begin():
        o = Offer(**(base | kw))
        s.add(o)
        await s.flush()
        return o.id


async def test_filters_and_search(admin_api: Api):
    api = admin_api
    g = api.seed.gemeinde["A"]
    jmd = await _offer(
        api,
        title="Jugendmigrationsdienst",
        need_areas=["Beratung/Orientierung"],
        keywords=["JMD", "Aufenthalt"],
        gemeinde_ids=[g],
        last_checked=today(),
    )
    elsewhere = await _offer(
        api, title="Schuldnerberatung", need_areas=["Geld/Leistungen"], gemeinde_ids=[g + 1000]
    )

    async def ids(**params) -> list[int]:
        r = await api.client.get("/api/v1/offers", params=params, headers=api.auth("gfs"))
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["items"]]

    assert await ids(q="jmd") == [jmd]
    assert await ids(q="migrationsdienst aufenthalt") == [jmd]
    assert await ids(q="VHS deutsch") == [api.seed.offer["A"]]
    assert await ids(need_area="beratung/orientierung") == [jmd]
    assert await ids(category="Beratung") == [jmd, elsewhere]
    # an offer without Gemeinden is open to the whole Bündnis
    assert await ids(gemeinde_id=g) == [api.seed.offer["A"], jmd]
    assert await ids(unchecked_months=6) == [api.seed.offer["A"], elsewhere]
    r = await api.client.get(
        "/api/v1/offers", params={"limit": 1, "offset": 1}, headers=api.auth("gfs")
    )
    assert r.json()["total"] == 3 and [o["id"] for o in r.json()["items"]] == [jmd]


async def test_unchecked_list_oldest_first_and_marking_checked(admin_api: Api):
    api = admin_api
    never = await _offer(api, title="Nie geprüft")
    recent = await _offer(api, title="Frisch", last_checked=today() - dt.timedelta(days=40))
    r = await api.client.get("/api/v1/offers/unchecked", headers=api.auth("gfs"))
    assert [o["id"] for o in r.json()["items"]] == [never, api.seed.offer["A"]]
    assert recent not in [o["id"] for o in r.json()["items"]]
    r = await api.client.get(
        "/api/v1/offers/unchecked", params={"months": 1}, headers=api.auth("gfs")
    )
    assert recent in [o["id"] for o in r.json()["items"]]
    r = await api.client.post(f"/api/v1/offers/{never}/checked", headers=api.auth("gfs"))
    assert r.status_code == 200 and r.json()["last_checked"] == today().isoformat()
    r = await api.client.get("/api/v1/offers/unchecked", headers=api.auth("gfs"))
    assert [o["id"] for o in r.json()["items"]] == [api.seed.offer["A"]]


async def test_patch_changes_only_what_was_sent_and_can_clear_dates(admin_api: Api):
    api = admin_api
    url = f"/api/v1/offers/{api.seed.offer['A']}"
    r = await api.client.patch(
        url, json={"age_min": 18, "access": {"AG": "yes", "D": "ask"}}, headers=api.auth("gfs")
    )
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "Sprachkurs A" and body["age_min"] == 18
    assert body["access"] == {"AG": "yes", "D": "ask"}
    r = await api.client.patch(url, json={"last_checked": None}, headers=api.auth("gfs"))
    assert r.json()["last_checked"] is None and r.json()["age_min"] == 18
    r = await api.client.patch(url, json={"age_max": 10}, headers=api.auth("gfs"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "age_min"
    r = await api.client.patch(url, json={"colour": "red"}, headers=api.auth("gfs"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "colour"
    r = await api.client.get(url, headers=api.auth("gfs"))
    assert r.json()["age_max"] is None  # refused changes left nothing behind


async def _count(api: Api) -> int:
    async with api.sessions() as s:
        return len((await s.scalars(select(Offer))).all())


async def test_catalogue_export_and_all_or_nothing_import(admin_api: Api):
    api = admin_api
    await _offer(api, title="Sprachcafé", need_areas=["sprache"], last_checked=today())
    await _offer(api, title="Fremdes Angebot", buendnis_id=api.seed.buendnis["B"])
    gfs = api.auth("gfs")
    r = await api.client.get("/api/v1/offers/export?format=csv", headers=gfs)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    csv_text = r.content.decode("utf-8-sig")
    assert "Sprachcafé" in csv_text and "Fremdes Angebot" not in csv_text  # own Bündnis only
    foreign = await api.client.get(
        f"/api/v1/offers/export?buendnis_id={api.seed.buendnis['B']}", headers=gfs
    )
    assert foreign.status_code == 404
    staff = await api.client.get("/api/v1/offers/export", headers=api.auth("servicestelle"))
    assert staff.status_code == 403
    xlsx = await api.client.get("/api/v1/offers/export?format=xlsx", headers=gfs)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    before = await _count(api)
    lines = csv_text.splitlines()
    bad = lines[1].replace("Sprachcafé", "Neues Angebot").split(";")
    bad[lines[0].split(";").index("category")] = "keine Kategorie"
    body = ("\ufeff" + "\n".join([*lines, ";".join(bad)]) + "\n").encode()
    r = await api.client.post("/api/v1/offers/import?format=csv", content=body, headers=gfs)
    assert r.status_code == 422 and r.json()["error"]["code"] == "import_refused"
    problems = r.json()["problems"]
    assert problems and all(p["row"] == len(lines) + 1 for p in problems)
    assert await _count(api) == before  # nothing imported

    r = await api.client.post("/api/v1/offers/import?format=csv", content=r"", headers=gfs)
    assert r.status_code == 422 and r.json()["error"]["field"] == "body"
    same = ("\ufeff" + csv_text).encode()
    r = await api.client.post("/api/v1/offers/import?format=csv", content=same, headers=gfs)
    assert r.status_code == 200 and r.json() == {"created": 0, "updated": len(lines) - 1}
    assert await _count(api) == before


async def test_imports_are_limited_per_account(admin_api: Api):
    """A script sending catalogues in a loop is held after `IMPORTS_PER_MINUTE` (each one is
    parsed in the reading process); another account is not affected."""
    from offers.file_service import IMPORTS_PER_MINUTE

    api = admin_api
    bad = b"title;provider\n;\n"
    url = "/api/v1/offers/import?format=csv"
    for _ in range(IMPORTS_PER_MINUTE):
        r = await api.client.post(url, content=bad, headers=api.auth("gfs"))
        assert r.status_code == 422, r.text
    r = await api.client.post(url, content=bad, headers=api.auth("gfs"))
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(r.headers["retry-after"]) <= 60
    r = await api.client.post(url, content=bad, headers=api.auth("admin"))
    assert r.status_code == 422
