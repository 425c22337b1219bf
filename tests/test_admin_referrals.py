"""Referral endpoints: the Servicestelle's queue (filters, sort, pages), detail with the shared
data and timeline, transitions, notes, relay, onward referral, statistics — and the audit log
recording every read of personal data. SQLite and PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from referrals import lifecycle
from results.periods import last_month
from results.referral_figures import suppressed
from store.models import AuditEntry, OutboxMessage, Referral, ReferralEvent
from tests.admin_seed import GOAL, Api, add_referral, audit_entries

API = "/api/v1/referrals"


async def _new(api: Api, key: str = "A", **kw: object) -> int:
    seed = api.seed
    b = "B" if key == "B" else "A"
    async with api.sessions() as s, s.begin():
        ref = await add_referral(
            s,
            seed.buendnis[b],
            seed.stelle[key],
            seed.gemeinde[b],
            **kw,  # type: ignore[arg-type]
        )
        return ref.id


async def test_servicestelle_sees_only_its_own_queue(admin_api: Api) -> None:
    api, seed = admin_api, admin_api.seed
    r = await api.client.get(API, headers=api.auth("servicestelle"))
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["items"]] == [seed.referral["A"]]
    item = r.json()["items"][0]
    assert item["need_areas"] == ["sprache", "arbeit"]
    assert item["gemeinde_id"] == seed.gemeinde["A"]
    assert "shared" not in item and "contact_value" not in item
    for other in ("A2", "B"):  # the sibling Servicestelle of the same Bündnis, and another
        r = await api.client.get(f"{API}/{seed.referral[other]}", headers=api.auth("servicestelle"))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await api.client.get(API, headers=api.auth("admin"))
    assert {x["id"] for x in r.json()["items"]} == set(seed.referral.values())
    r = await api.client.get(API, headers=api.auth("gfs"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


async def test_queue_filters_sorts_and_pages(admin_api: Api) -> None:
    api, seed = admin_api, admin_api.seed
    wohnen = await _new(api, needs=("wohnen",))
    review = await _new(api, status="in_review", needs=("sprache",))
    h = api.auth("servicestelle")

    async def ids(query: str) -> list[int]:
        r = await api.client.get(f"{API}?{query}", headers=h)
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["items"]]

    assert await ids("status=in_review") == [review]
    assert set(await ids("status=new&status=in_review")) == {seed.referral["A"], wohnen, review}
    assert await ids("need_area=wohnen") == [wohnen]
    assert set(await ids("need_area=sprache")) == {seed.referral["A"], review}
    assert await ids(f"gemeinde_id={seed.gemeinde['B']}") == []
    assert len(await ids(f"gemeinde_id={seed.gemeinde['A']}")) == 3
    assert await ids("sort=id") == sorted([seed.referral["A"], wohnen, review])
    assert await ids("sort=-id") == sorted([seed.referral["A"], wohnen, review], reverse=True)
    r = await api.client.get(f"{API}?sort=id&limit=2&offset=1", headers=h)
    assert r.json()["total"] == 3 and [x["id"] for x in r.json()["items"]] == [wohnen, review]
    r = await api.client.get(f"{API}?need_area=nonsense", headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "need_area"


async def test_every_personal_data_read_is_audited_without_the_data(admin_api: Api) -> None:
    api, seed = admin_api, admin_api.seed
    rid = seed.referral["A"]
    before = len(await audit_entries(api.sessions))
    r = await api.client.get(f"{API}/{rid}", headers=api.auth("servicestelle"))
    assert r.status_code == 200
    body = r.json()
    assert {"item": "goal", "question": "Ziel", "answer": GOAL} in body["shared"]
    assert body["contact_value"] == "0151 2345678" and body["reachable"] is True
    assert [e["to_status"] for e in body["events"]] == ["new"]
    assert body["allowed"] == ["declined", "in_review"]
    await api.client.get(API, headers=api.auth("servicestelle"))
    await api.client.get(f"{API}/{rid}", headers=api.auth("admin"))
    new = (await audit_entries(api.sessions))[before:]
    assert [(e.actor, e.action, e.object_type, e.object_id) for e in new] == [
        (f"token:{seed.token_id['servicestelle']}", "read", "referral", str(rid)),
        (f"token:{seed.token_id['servicestelle']}", "list", "referral", str(rid)),
        (f"token:{seed.token_id['admin']}", "read", "referral", str(rid)),
    ]
    async with api.sessions() as s:
        stored = [
            (e.actor, e.action, e.object_type, e.object_id)
            for e in await s.scalars(select(AuditEntry))
        ]
    assert not any(GOAL in str(x) or "0151" in str(x) for x in stored)
    # refused reads record nothing
    before = len(await audit_entries(api.sessions))
    await api.client.get(f"{API}/{seed.referral['B']}", headers=api.auth("servicestelle"))
    await api.client.get(f"{API}/{rid}", headers=api.auth("gfs"))
    assert len(await audit_entries(api.sessions)) == before


async def test_transitions_tell_the_person_and_invalid_ones_are_409(admin_api: Api) -> None:
    api = admin_api
    rid = await _new(api)
    h = api.auth("servicestelle")
    before = len(await audit_entries(api.sessions))
    closed = {"to": "closed", "note": "erledigt"}
    r = await api.client.post(f"{API}/{rid}/transitions", json=closed, headers=h)
    assert r.status_code == 409
    assert r.json() == {
        "error": {
            "code": "invalid_transition",
            "message": "cannot go from new to closed; allowed: declined, in_review, withdrawn",
            "field": "to",
        }
    }
    r = await api.client.post(f"{API}/{rid}/transitions", json={"to": "withdrawn"}, headers=h)
    assert r.status_code == 422  # only the person withdraws
    assert len(await audit_entries(api.sessions)) == before
    r = await api.client.post(f"{API}/{rid}/transitions", json={"to": "in_review"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "in_review"
    r = await api.client.post(f"{API}/{rid}/transitions", json={"to": "contacted"}, headers=h)
    r = await api.client.post(f"{API}/{rid}/transitions", json={"to": "appointment"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "note"
    r = await api.client.post(
        f"{API}/{rid}/transitions", json={"to": "appointment", "note": "Di 10 Uhr"}, headers=h
    )
    assert r.status_code == 200
    body = r.json()
    assert [e["to_status"] for e in body["events"]] == [
        "new",
        "in_review",
        "contacted",
        "appointment",
    ]
    assert body["events"][-1]["actor"] == f"token:{api.seed.token_id['servicestelle']}"
    async with api.sessions() as s:
        ref = await s.get(Referral, rid)
        assert ref is not None
        payloads = [
            o.payload["text"]
            for o in await s.scalars(
                select(OutboxMessage).where(OutboxMessage.conversation_id == ref.conversation_id)
            )
        ]
    assert len(payloads) == 2 and "Di 10 Uhr" in payloads[1]  # in review, appointment
    actions = [e.action for e in (await audit_entries(api.sessions))[before:]]
    assert actions == ["transition"] * 3


async def test_notes_relay_and_onward_referral(admin_api: Api) -> None:
    api = admin_api
    rid = await _new(api, status="contacted")
    h = api.auth("servicestelle")
    r = await api.client.post(f"{API}/{rid}/notes", json={"text": "Rückruf Montag"}, headers=h)
    assert r.status_code == 201 and r.json()["kind"] == "note"
    r = await api.client.post(f"{API}/{rid}/messages", json={"text": "Bring den Pass"}, headers=h)
    assert r.status_code == 201 and r.json()["kind"] == "relay"
    async with api.sessions() as s:
        ref = await s.get(Referral, rid)
        assert ref is not None
        out = list(
            await s.scalars(
                select(OutboxMessage).where(OutboxMessage.conversation_id == ref.conversation_id)
            )
        )
    # the note stays internal; the relay message goes out with an answer button
    assert len(out) == 1 and "Bring den Pass" in out[0].payload["text"]
    assert out[0].payload["buttons"] and out[0].payload["rtl"] is True
    r = await api.client.post(
        f"{API}/{rid}/onward", json={"addressee": "Integration Point Moers"}, headers=h
    )
    assert r.status_code == 200 and r.json()["status"] == "handed_on"
    assert r.json()["events"][-1]["note"] == "Integration Point Moers"
    r = await api.client.post(f"{API}/{rid}/onward", json={"addressee": "JMD"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    r = await api.client.post(
        f"{API}/{rid}/transitions", json={"to": "closed", "note": "Kurs begonnen"}, headers=h
    )
    r = await api.client.post(f"{API}/{rid}/messages", json={"text": "Hallo"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "referral_finished"
    unreachable = await _new(api, reachable=False)
    r = await api.client.post(f"{API}/{unreachable}/messages", json={"text": "Hallo"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "unreachable"
    r = await api.client.post(f"{API}/{rid}/messages", json={"text": "   "}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "text"


async def test_withdrawn_referral_shows_only_that_the_person_withdrew(admin_api: Api) -> None:
    api = admin_api
    rid = await _new(api, status="contacted")
    h = api.auth("servicestelle")
    await api.client.post(f"{API}/{rid}/notes", json={"text": "Rückruf Montag"}, headers=h)
    await api.client.post(f"{API}/{rid}/messages", json={"text": "Bring den Pass"}, headers=h)
    async with api.sessions() as s, s.begin():
        await lifecycle.transition(s, rid, "withdrawn", actor=lifecycle.PERSON)
    r = await api.client.get(f"{API}/{rid}", headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "withdrawn"
    assert body["shared"] == [] and body["contact_value"] is None
    assert body["need_areas"] == [] and body["gemeinde_id"] is None
    assert body["reachable"] is False and body["allowed"] == []
    notes = [e["note"] for e in body["events"] if e["note"]]
    assert notes == [lifecycle.WITHDRAWN_NOTE] == ["withdrawn by the person"]
    assert GOAL not in r.text and "Rückruf" not in r.text and "Pass" not in r.text
    r = await api.client.post(f"{API}/{rid}/notes", json={"text": "noch was"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "referral_finished"


async def test_statistics_are_figures_of_the_own_buendnis_only(admin_api: Api) -> None:
    api, seed = admin_api, admin_api.seed
    rid = await _new(api)
    h = api.auth("servicestelle")
    for step in ({"to": "in_review"}, {"to": "contacted"}):
        await api.client.post(f"{API}/{rid}/transitions", json=step, headers=h)
    await api.client.post(f"{API}/{rid}/onward", json={"addressee": "JMD Moers"}, headers=h)
    async with api.sessions() as s, s.begin():  # contact two hours after creation
        ref = await s.get(Referral, rid)
        assert ref is not None
        contacted = await s.scalar(
            select(ReferralEvent).where(
                ReferralEvent.referral_id == rid, ReferralEvent.to_status == "contacted"
            )
        )
        assert contacted is not None
        contacted.at = ref.created_at + dt.timedelta(hours=2)
    other = await _new(api, key="B")
    await api.client.post(
        f"{API}/{other}/transitions", json={"to": "in_review"}, headers=api.auth("ss_b")
    )
    # figures cover one calendar month that is over: all of these fall into the last one
    when = dt.datetime.combine(last_month(dt.date.today()).start, dt.time(10))
    async with api.sessions() as s, s.begin():
        for ref in (await s.scalars(select(Referral))).all():
            ref.created_at = when
        contacted = await s.scalar(
            select(ReferralEvent).where(
                ReferralEvent.referral_id == rid, ReferralEvent.to_status == "contacted"
            )
        )
        contacted.at = when + dt.timedelta(hours=2)  # type: ignore[union-attr]
    for month, status in (("2026-13", 422), (dt.date.today().strftime("%Y-%m"), 409)):
        r = await api.client.get(f"{API}/stats", params={"month": month}, headers=api.auth("gfs"))
        assert r.status_code == status and r.json()["error"]["field"] == "month", month
    r = await api.client.get(f"{API}/stats", params={"month": "gestern"}, headers=api.auth("gfs"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "month"
    before = len(await audit_entries(api.sessions))
    r = await api.client.get(f"{API}/stats", headers=api.auth("gfs"))
    assert r.status_code == 200
    stats = r.json()
    # three referrals (A, A2 of the seed and the new one; none of Bündnis B): all below k
    assert stats["suppression_k"] == 5
    assert stats["total"] == "<5" and set(stats["by_status"].values()) == {"<5"}
    assert stats["contacted"] == "<5" and stats["median_hours_to_first_contact"] is None
    assert stats["onward"] == [{"addressee": "handed_on", "count": "<5"}]
    assert GOAL not in r.text and "0151" not in r.text and "JMD" not in r.text  # no free text
    raw = (
        await api.client.get(
            f"{API}/stats?buendnis_id={seed.buendnis['A']}", headers=api.auth("admin")
        )
    ).json()
    assert raw["suppression_k"] is None and raw["total"] == 3
    assert raw["by_status"]["new"] == 2 and raw["by_status"]["handed_on"] == 1
    assert raw["by_status"]["in_review"] == 0
    assert raw["contacted"] == 1 and raw["median_hours_to_first_contact"] == 2.0
    assert raw["onward"] == [{"addressee": "JMD Moers", "count": 1}]
    r = await api.client.get(
        f"{API}/stats?buendnis_id={seed.buendnis['B']}", headers=api.auth("gfs")
    )
    assert r.json()["total"] == "<5"  # a foreign Bündnis gives nothing (zero, suppressed)
    r = await api.client.get(f"{API}/stats", headers=api.auth("admin"))
    assert r.json()["total"] == 5 and r.json()["by_status"]["in_review"] == 1
    r = await api.client.get(f"{API}/stats", headers=api.auth("servicestelle"))
    assert r.status_code == 403
    assert len(await audit_entries(api.sessions)) == before  # figures are not personal data


def test_referral_figures_for_the_gfs_hide_small_cells_and_what_would_reveal_them():
    by_status = {"new": 7, "in_review": 2, "closed": 9, "declined": 0}
    fig = suppressed(by_status, contacted=6, median_hours=30.0, onward=6, k=5)
    assert fig.total == 18 and fig.by_status["new"] == 7 and fig.by_status["closed"] == 9
    assert fig.by_status["in_review"] == "<5" and fig.by_status["declined"] == "<5"
    assert fig.contacted == 6 and fig.median_hours_to_first_contact == 30.0
    assert fig.onward == [("handed_on", 6)]  # one count, never the typed addressee
    # one small status alone would follow from the total: a second figure is hidden with it
    fig = suppressed({"new": 7, "in_review": 2, "closed": 9}, 4, 3.0, 0, k=5)
    assert fig.by_status["in_review"] == "<5"
    assert "x" in (fig.by_status["new"], fig.by_status["closed"], fig.total)
    assert fig.contacted == "<5" and fig.median_hours_to_first_contact is None
    assert suppressed({"new": 1}, 0, None, 0, k=1).k == 3  # never below 3
