"""The Servicestelle's referral pages: queue with filters and counts, detail with the shared
data, notes, a message to the person, status changes and onward referral — each read audited
like the JSON API, each refused form shown again in German with nothing written."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import func, select

from referrals import lifecycle
from store.models import AuditEntry, OutboxMessage, Referral, ReferralEvent
from tests.admin_seed import GOAL, Api, add_referral
from tests.staff_pages import logged_in

PAGES = "/staff/referrals"


async def _new(api: Api, key: str = "A", **kw: object) -> int:
    seed = api.seed
    async with api.sessions() as s, s.begin():
        ref = await add_referral(
            s,
            seed.buendnis["A"],
            seed.stelle[key],
            seed.gemeinde["A"],
            **kw,  # type: ignore[arg-type]
        )
        return ref.id


async def _audit(api: Api, action: str | None = None) -> list[tuple[str, str, int | None]]:
    async with api.sessions() as s:
        q = select(AuditEntry).where(AuditEntry.object_type == "referral").order_by(AuditEntry.id)
        if action:
            q = q.where(AuditEntry.action == action)
        return [(e.action, e.object_id, e.user_id) for e in await s.scalars(q)]


async def _events(api: Api, rid: int) -> list[tuple[str, str | None, str | None]]:
    async with api.sessions() as s:
        rows = await s.scalars(
            select(ReferralEvent).where(ReferralEvent.referral_id == rid).order_by(ReferralEvent.id)
        )
        return [(e.kind, e.to_status, e.note) for e in rows]


async def _outbox(api: Api) -> int:
    async with api.sessions() as s:
        return await s.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def _labels_point_at_unique_ids(page: str) -> None:
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "element ids must be unique (labels point at them)"
    for target in re.findall(r' for="([^"]+)"', page):
        assert target in ids, target


def _seen(page: str) -> str:
    return page.split('name="seen" value="', 1)[1].split('"', 1)[0]


async def test_queue_shows_only_the_own_referrals_with_counts_and_new_highlighted(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    review = await _new(api, status="in_review", needs=("wohnen",))
    await logged_in(api, "servicestelle")
    r = await api.client.get(PAGES)
    assert r.status_code == 200 and 'lang="de"' in r.text
    assert f"{PAGES}/{seed.referral['A']}" in r.text and f"{PAGES}/{review}" in r.text
    for other in ("A2", "B"):
        assert f'{PAGES}/{seed.referral[other]}"' not in r.text
    assert "Neu: 1" in r.text and "In Bearbeitung: 1" in r.text and "Alle: 2" in r.text
    assert r.text.count('class="is-new"') == 1
    assert "Gemeinde A" in r.text and "Arabisch" in r.text and "Wohnen" in r.text
    listed = await _audit(api, "list")
    assert sorted(int(x[1]) for x in listed) == sorted([seed.referral["A"], review])
    assert {x[2] for x in listed} == {seed.user["servicestelle"]}


async def test_queue_filters_work_as_a_plain_get_form(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    wohnen = await _new(api, needs=("wohnen",))
    await logged_in(api, "servicestelle")
    r = await api.client.get(f"{PAGES}?status=&need_area=wohnen&gemeinde=")
    assert f'{PAGES}/{wohnen}"' in r.text and f'{PAGES}/{seed.referral["A"]}"' not in r.text
    r = await api.client.get(f"{PAGES}?status=closed")
    assert "Keine Verweise mit diesen Filtern." in r.text
    r = await api.client.get(f"{PAGES}?gemeinde={seed.gemeinde['A']}&status=new")
    assert f'{PAGES}/{wohnen}"' in r.text and f'{PAGES}/{seed.referral["A"]}"' in r.text
    r = await api.client.get(f"{PAGES}?status=gibtsnicht&gemeinde={seed.gemeinde['B']}")
    assert r.status_code == 422 and r.text.count("Unbekannter Filterwert") == 2
    assert f'{PAGES}/{wohnen}"' in r.text  # the rest of the page still works


async def test_detail_shows_the_shared_data_and_audits_exactly_one_read(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    rid = seed.referral["A"]
    await logged_in(api, "servicestelle")
    before = await _audit(api)
    r = await api.client.get(f"{PAGES}/{rid}")
    assert r.status_code == 200
    assert GOAL in r.text and "0151 2345678" in r.text and "Arabisch" in r.text
    assert (
        "Hilfe bei" in r.text and "Einwilligung erteilt" in r.text and "consent given" not in r.text
    )
    assert r.headers["cache-control"] == "no-store"
    _labels_point_at_unique_ids(r.text)
    after = await _audit(api)
    assert after[len(before) :] == [("read", str(rid), seed.user["servicestelle"])]
    async with api.sessions() as s:  # the log names the object, never the data
        entries = list(await s.scalars(select(AuditEntry)))
    assert all(GOAL not in f"{e.object_id}{e.action}{e.actor}" for e in entries)


async def test_another_servicestelles_referral_is_the_404_page_and_not_audited(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    await logged_in(api, "servicestelle")
    before = await _audit(api)
    for key in ("A2", "B"):
        r = await api.client.get(f"{PAGES}/{seed.referral[key]}")
        assert r.status_code == 404 and "Nicht gefunden" in r.text and GOAL not in r.text
    r = await api.client.get(f"{PAGES}/999999")
    assert r.status_code == 404
    r = await api.client.get(f"{PAGES}/abc")
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]
    assert await _audit(api) == before


async def test_gfs_sees_no_referral_pages(admin_api: Api):
    api = admin_api
    await logged_in(api, "gfs")
    start = await api.client.get("/staff/", follow_redirects=True)  # its own start page
    assert start.status_code == 200 and "/staff/referrals" not in start.text
    for path in (PAGES, f"{PAGES}/{api.seed.referral['A']}"):
        r = await api.client.get(path)
        assert r.status_code == 403 and "Kein Zugriff" in r.text and GOAL not in r.text, path
    assert await _audit(api) == []


async def test_not_logged_in_goes_to_the_login_and_comes_back(admin_api: Api):
    api = admin_api
    r = await api.client.get(f"{PAGES}?status=new")
    assert r.status_code == 303
    assert r.headers["location"] == "/staff/login?next=/staff/referrals%3Fstatus%3Dnew"
    assert await _audit(api) == []


async def test_note_empty_is_refused_in_german_and_a_good_one_is_kept(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    rid = seed.referral["A"]
    csrf = await logged_in(api, "servicestelle")
    before = await _events(api, rid)
    r = await api.client.post(f"{PAGES}/{rid}/notiz", data={"csrf_token": csrf, "text": "   "})
    assert r.status_code == 422 and "Bitte geben Sie einen Text ein." in r.text
    assert await _events(api, rid) == before and await _audit(api, "note") == []
    r = await api.client.post(
        f"{PAGES}/{rid}/notiz", data={"csrf_token": csrf, "text": "Rückruf am Montag"}
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"{PAGES}/{rid}?ok=note")
    assert (await _events(api, rid))[-1] == ("note", None, "Rückruf am Montag")
    assert await _audit(api, "note") == [("note", str(rid), seed.user["servicestelle"])]
    page = await api.client.get(r.headers["location"])
    assert "Die Notiz wurde gespeichert." in page.text and "Rückruf am Montag" in page.text


async def test_forms_without_the_csrf_token_write_nothing(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    rid = seed.referral["A"]
    await logged_in(api, "servicestelle")
    before, outbox = await _events(api, rid), await _outbox(api)
    for path, data in (
        ("notiz", {"text": "x"}),
        ("nachricht", {"text": "x"}),
        ("status", {"to": "in_review", "seen": "1"}),
        ("weitervermittlung", {"addressee": "JMD"}),
    ):
        r = await api.client.post(f"{PAGES}/{rid}/{path}", data=data)
        assert r.status_code == 403 and "Das Formular ist abgelaufen" in r.text, path
        r = await api.client.post(f"{PAGES}/{rid}/{path}", data={**data, "csrf_token": "f" * 43})
        assert r.status_code == 403, path
    assert await _events(api, rid) == before and await _outbox(api) == outbox


async def test_message_is_relayed_and_a_too_long_one_is_kept_in_the_form(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    rid = seed.referral["A"]
    csrf = await logged_in(api, "servicestelle")
    outbox = await _outbox(api)
    long = "Bitte " + "x" * 2100
    r = await api.client.post(f"{PAGES}/{rid}/nachricht", data={"csrf_token": csrf, "text": long})
    assert r.status_code == 422 and "höchstens 2000 Zeichen" in r.text
    assert long in html.unescape(r.text)  # nothing typed is lost
    assert await _outbox(api) == outbox and await _audit(api, "relay") == []
    text = "Bitte bring deinen Ausweis mit."
    r = await api.client.post(f"{PAGES}/{rid}/nachricht", data={"csrf_token": csrf, "text": text})
    assert r.status_code == 303
    assert await _outbox(api) == outbox + 1
    assert (await _events(api, rid))[-1] == ("relay", None, text)
    async with api.sessions() as s:
        row = await s.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    assert row is not None and "Bitte bring deinen Ausweis mit" in row.payload["text"]


async def test_status_path_to_an_appointment_and_closing(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    rid = seed.referral["A"]
    csrf = await logged_in(api, "servicestelle")

    async def post(to: str, **fields: str):
        page = await api.client.get(f"{PAGES}/{rid}")
        data = {"csrf_token": csrf, "to": to, "seen": _seen(page.text), **fields}
        return await api.client.post(f"{PAGES}/{rid}/status", data=data)

    assert (await post("in_review")).status_code == 303
    assert (await post("contacted")).status_code == 303
    r = await post("appointment", date="", time="")
    assert r.status_code == 422 and "Bitte geben Sie Datum und Uhrzeit" in r.text
    r = await post("appointment", date="2020-01-01", time="10:00")
    assert r.status_code == 422 and "Vergangenheit" in r.text
    r = await post("appointment", date="31.02.2099", time="10:00")
    assert r.status_code == 422 and "gültiges Datum" in r.text
    day = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    r = await post("appointment", date=day, time="10:30", place="Hafenweg 2")
    assert r.status_code == 303
    r = await post("closed", note="")
    assert r.status_code == 422 and "Bitte geben Sie das Ergebnis an." in r.text
    assert (
        await post("closed", note="Termin wahrgenommen, Sprachkurs gefunden")
    ).status_code == 303
    events = await _events(api, rid)
    assert [e[1] for e in events if e[0] == "transition"] == [
        "new",
        "in_review",
        "contacted",
        "appointment",
        "closed",
    ]
    shown = dt.date.fromisoformat(day).strftime("%d.%m.%Y")
    assert ("transition", "appointment", f"{shown}, 10:30, Hafenweg 2") in events
    async with api.sessions() as s:
        ref = await s.get(Referral, rid)
        assert ref is not None and ref.status == "closed" and ref.closed_at is not None
    assert [a[0] for a in await _audit(api, "transition")] == ["transition"] * 4
    page = await api.client.get(f"{PAGES}/{rid}")
    assert (
        "Abgeschlossen" in page.text
        and 'action="/staff/referrals/' + str(rid) + '/nachricht"' not in page.text
    )


async def test_illegal_and_stale_status_changes_write_nothing(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    rid = seed.referral["A"]
    csrf = await logged_in(api, "servicestelle")
    page = await api.client.get(f"{PAGES}/{rid}")
    seen = _seen(page.text)
    before = await _events(api, rid)
    # new -> closed is not a lifecycle step
    r = await api.client.post(
        f"{PAGES}/{rid}/status",
        data={"csrf_token": csrf, "to": "closed", "seen": seen, "note": "x"},
    )
    assert r.status_code == 409 and "nicht möglich" in r.text
    r = await api.client.post(
        f"{PAGES}/{rid}/status", data={"csrf_token": csrf, "to": "withdrawn", "seen": seen}
    )
    assert r.status_code == 422
    assert await _events(api, rid) == before
    # someone else moves the referral on; the old form is stale
    ok = await api.client.post(
        f"{PAGES}/{rid}/status", data={"csrf_token": csrf, "to": "in_review", "seen": seen}
    )
    assert ok.status_code == 303
    after = await _events(api, rid)
    r = await api.client.post(
        f"{PAGES}/{rid}/status",
        data={"csrf_token": csrf, "to": "declined", "seen": seen, "note": "Kein Bedarf"},
    )
    assert r.status_code == 409 and "inzwischen geändert" in r.text
    assert "Kein Bedarf" in r.text  # the typed reason is still in the form
    assert await _events(api, rid) == after
    assert len(await _audit(api, "transition")) == 1


async def test_onward_referral_needs_an_addressee_and_is_recorded(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    rid = await _new(api, status="contacted")
    csrf = await logged_in(api, "servicestelle")
    page = await api.client.get(f"{PAGES}/{rid}")
    assert "Weitervermitteln" in page.text
    _labels_point_at_unique_ids(page.text)  # several forms with the same field names
    seen = _seen(page.text)
    r = await api.client.post(
        f"{PAGES}/{rid}/weitervermittlung",
        data={"csrf_token": csrf, "seen": seen, "addressee": " "},
    )
    assert r.status_code == 422 and "an wen Sie die Person weitervermitteln" in r.text
    outbox = await _outbox(api)
    r = await api.client.post(
        f"{PAGES}/{rid}/weitervermittlung",
        data={"csrf_token": csrf, "seen": seen, "addressee": "Integration Point Moers"},
    )
    assert r.status_code == 303
    assert (await _events(api, rid))[-1] == ("transition", "handed_on", "Integration Point Moers")
    assert await _outbox(api) == outbox + 1  # the person is told
    assert await _audit(api, "onward") == [("onward", str(rid), seed.user["servicestelle"])]


async def test_a_withdrawn_referral_shows_no_data_and_takes_nothing(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    rid = seed.referral["A"]
    async with api.sessions() as s, s.begin():
        await lifecycle.transition(s, rid, "withdrawn", actor="person")
    csrf = await logged_in(api, "servicestelle")
    page = await api.client.get(f"{PAGES}/{rid}")
    assert page.status_code == 200 and "Von der Person zurückgezogen" in page.text
    assert GOAL not in page.text and "0151 2345678" not in page.text
    assert (
        "/nachricht" not in page.text and "/notiz" not in page.text and "/status" not in page.text
    )
    before = await _events(api, rid)
    r = await api.client.post(f"{PAGES}/{rid}/notiz", data={"csrf_token": csrf, "text": "x"})
    assert r.status_code == 422 and "abgeschlossen" in r.text
    assert await _events(api, rid) == before


async def test_an_unexpected_error_is_a_german_page_without_internals(admin_api: Api, monkeypatch):
    from referrals import service as referral_service

    async def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(referral_service, "queue", broken)
    await logged_in(admin_api, "servicestelle")
    r = await admin_api.client.get(PAGES)
    assert r.status_code == 500 and "text/html" in r.headers["content-type"]
    assert "Ein Fehler ist aufgetreten" in r.text and "secret internals" not in r.text
    assert r.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_the_pages_follow_the_chosen_language(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    await logged_in(api, "servicestelle")
    await api.client.get("/staff/sprache?to=en&next=/staff/referrals")
    r = await api.client.get(PAGES)
    assert 'lang="en"' in r.text and "New: 1" in r.text and "Help with" in r.text
    r = await api.client.get(f"{PAGES}/{seed.referral['A']}")
    assert "Shared information" in r.text and "consent given" in r.text and GOAL in r.text
    assert "Freigegebene Angaben" not in r.text
