"""The web chat over HTTP (ASGI transport) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from base.i18n import render
from bot.webchat import Limits, build_webchat_router
from bot.webchat.chat import page_text
from bot.webchat.messages import W
from dialogs.buttons import Op, encode
from dialogs.messages import M
from results.storage import stored_answers
from store.models import (
    Base,
    Conversation,
    InboundSeen,
    OutboxMessage,
    SurveyResponse,
)
from tests.conftest import settings_for
from wegweiser.services import build


class Clock:
    """The wall clock, moved ahead by `ahead` seconds (the rate limits' storage reads it)."""

    def __init__(self, real) -> None:
        self.real = real
        self.ahead = 0.0

    def __call__(self) -> float:
        return self.real() + self.ahead


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key="w" * 40))
    yield s
    await s.close()


def make_client(services, **router_args) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(build_webchat_router(services.runtime, **router_args))
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://chat.test")


@pytest.fixture
async def client(services):
    async with make_client(services) as c:
        yield c


class Person:
    """One browser: a token and a counter for message keys."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.token, self.n = client, token, 0

    async def say(self, key: str | None = None, **action) -> httpx.Response:
        self.n += 1
        body = {"token": self.token, "key": key or f"key-{self.n:04d}", **action}
        return await self.client.post("/chat/api/messages", json=body)


async def new_person(client: httpx.AsyncClient) -> Person:
    r = await client.post("/chat/api/token")
    assert r.status_code == 201
    return Person(client, r.json()["token"])


def texts(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return [m["text"] for m in r.json()["messages"]]


def button(r: httpx.Response, label: str) -> str:
    for m in r.json()["messages"]:
        for b in m["buttons"]:
            if b["label"] == label:
                return b["data"]
    raise AssertionError(f"no button {label!r}")


# ---------------------------------------------------------------- the demo flow


async def test_demo_flow_completes_through_the_web_channel(services, client):
    p = await new_person(client)
    r = await p.say(command="start")
    [picker] = texts(r)
    # Each line of the picker is isolated, so it lays out in its own direction.
    assert picker.startswith("\u2068Bitte wähle deine Sprache.\u2069\n\u2068Please choose")
    r = await p.say(button=button(r, "Deutsch"))
    assert r.json()["locale"] == "de" and r.json()["rtl"] is False
    assert texts(r)[-1].startswith("Wie alt bist du?")
    r = await p.say(text="22")
    assert texts(r) == ["Wie wohnst du?"]
    r = await p.say(button=button(r, "In einer Unterkunft"))
    assert texts(r) == ["Suchst du eine Wohnung?"]
    r = await p.say(text="ja")
    assert texts(r)[0].startswith("Wobei brauchst du Hilfe?")
    r = await p.say(button=button(r, "Wohnen"))
    [toggled] = r.json()["messages"]
    assert [b["selected"] for b in toggled["buttons"] if b["label"] == "Wohnen"] == [True]
    r = await p.say(button=button(r, "Fertig"))
    assert texts(r)[-2] == "Danke für deine Antworten!"
    assert texts(r)[-1].startswith("Möchtest du jetzt Hilfe in deiner Nähe finden?")

    await services.holding.flush(force=True)  # what the holding area keeps back
    async with services.sessions() as s:
        [resp] = (await s.execute(select(SurveyResponse))).scalars().all()
        answers = [(a.item_id, a.code) for a in await stored_answers(s)]
        conv = await s.scalar(select(Conversation))
        rows = (await s.execute(select(OutboxMessage))).scalars().all()
    assert resp.flow_id == "demo"
    assert ("needs", "wohnen") in answers
    assert conv.channel == "web" and services.runtime.addresses.open(conv.address) == "-"
    assert all(row.status == "sent" for row in rows)  # drained into the answers


async def test_arabic_conversation_is_right_to_left(client):
    p = await new_person(client)
    r = await p.say(language="ar")
    body = r.json()
    assert body["locale"] == "ar" and body["rtl"] is True
    assert all(m["rtl"] for m in body["messages"])
    assert texts(r)[0].startswith("مرحبًا!")
    assert body["ui"]["send"] == page_text(W.SEND, "ar")


async def test_typed_slash_command_and_resume(client):
    p = await new_person(client)
    await p.say(language="de")
    r = await p.say(text="/help")
    assert texts(r)[0] == render(M.HELP, "de")
    r = await p.say(command="resume")
    assert texts(r)[-1].startswith("Wie alt bist du?")


# ---------------------------------------------------------------- later messages (poll)


async def test_poll_delivers_messages_that_arrive_later_exactly_once(services, client):
    p = await new_person(client)
    await p.say(language="de")
    async with services.sessions() as s, s.begin():
        conv = await s.scalar(select(Conversation))
        s.add(
            OutboxMessage(
                conversation_id=conv.id,
                channel="web",
                address=conv.address,
                payload={"text": "Nachricht der Servicestelle", "buttons": [], "ask": None},
            )
        )
    headers = {"X-Chat-Token": p.token}
    r = await client.get("/chat/api/messages", headers=headers)
    assert texts(r) == ["Nachricht der Servicestelle"]
    assert r.json()["locale"] == "de"
    r = await client.get("/chat/api/messages", headers=headers)
    assert texts(r) == []


async def test_concurrent_send_and_polls_deliver_each_reply_once(services, client):
    p = await new_person(client)
    await p.say(language="de")
    headers = {"X-Chat-Token": p.token}
    answers = await asyncio.gather(
        p.say(text="22"), *(client.get("/chat/api/messages", headers=headers) for _ in range(4))
    )
    ids = [m["id"] for r in answers for m in r.json()["messages"]]
    assert len(ids) == len(set(ids)) == 1
    async with services.sessions() as s:
        rows = (await s.execute(select(OutboxMessage.status))).scalars().all()
    assert rows == []  # delivered replies are not kept


async def test_poll_before_any_message_is_empty(client):
    p = await new_person(client)
    r = await client.get("/chat/api/messages", headers={"X-Chat-Token": p.token})
    assert texts(r) == []


# ---------------------------------------------------------------- bad input


def error(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"]
    return err


async def test_empty_text_is_refused_in_the_persons_language(client):
    p = await new_person(client)
    await p.say(language="uk")
    for empty in ("", "   \n"):
        err = error(await p.say(text=empty), 422, "empty")
        assert err["message"] == page_text(W.EMPTY, "uk") and err["locale"] == "uk"


async def test_over_long_text_is_refused_translated_and_changes_nothing(services, client):
    p = await new_person(client)
    await p.say(language="ar")
    before = await services.runtime.state_of("web", p.token)
    limit = services.settings.max_text_length
    err = error(await p.say(text="x" * (limit + 1)), 422, "too_long")
    assert err["message"] == page_text(M.MESSAGE_TOO_LONG.with_(max=limit), "ar")
    assert err["message"] != render(M.MESSAGE_TOO_LONG.with_(max=limit), "de")
    assert err["rtl"] is True
    assert await services.runtime.state_of("web", p.token) == before
    # a body far beyond any message is cut off before it is read
    huge = {"token": p.token, "key": "key-huge", "text": "x" * (limit * 20)}
    error(await client.post("/chat/api/messages", json=huge), 413, "too_long")


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "abc",
        "A" * 45,
        "not a token at all, with spaces and a . in it",
        "AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",  # right shape, forged signature
    ],
)
async def test_bad_tokens_are_refused(client, token):
    body = {"token": token, "key": "key-0001", "text": "hallo"}
    err = error(await client.post("/chat/api/messages", json=body), 401, "bad_token")
    assert err["message"] == page_text(W.BAD_TOKEN, "de")
    headers = {"X-Chat-Token": token} if token else {}
    error(await client.get("/chat/api/messages", headers=headers), 401, "bad_token")


async def test_bad_token_message_follows_accept_language(client):
    r = await client.post(
        "/chat/api/messages",
        json={"token": "x", "key": "key-0001", "text": "hi"},
        headers={"Accept-Language": "fa-AF,fa;q=0.8"},
    )
    err = error(r, 401, "bad_token")
    assert err["locale"] == "fa_AF" and err["rtl"] is True


async def test_forged_button_records_nothing_and_asks_again(services, client):
    p = await new_person(client)
    await p.say(language="de")
    await p.say(text="22")
    version = services.flows["demo"].version
    r = await p.say(button=encode(Op.ANSWER, version, "housing", "castle"))
    assert texts(r) == [render(M.STALE_BUTTON, "de"), "Wie wohnst du?"]
    r = await p.say(button=encode(Op.ANSWER, version, "age", "99"))  # another question
    assert texts(r)[-1] == "Wie wohnst du?"
    r = await p.say(button=encode(Op.ANSWER, "deadbeef", "housing", "flat"))  # other version
    assert texts(r)[-1] == "Wie wohnst du?"
    r = await p.say(button="a:::'; drop table conversation; --")
    assert texts(r)[-1] == "Wie wohnst du?"
    for odd in ("p:::²", "y:::²", "n:²::", "o:1:²:", "o:²:1:"):  # digits int() cannot read
        r = await p.say(button=odd)
        assert r.status_code == 200 and texts(r), odd  # an answer, not a server error
    state = await services.runtime.state_of("web", p.token)
    assert "housing" not in state["answers"]
    for bad in ("x" * 65, "a:\x00:b:c"):
        err = error(await p.say(button=bad), 422, "bad_button")
        assert err["message"] == page_text(W.BAD_BUTTON, "de")


async def test_unknown_language_is_refused(client):
    p = await new_person(client)
    error(await p.say(language="xx"), 422, "unknown_language")


@pytest.mark.parametrize(
    "body",
    [
        {"text": "a", "button": "b"},  # two actions
        {},  # none
        {"text": 5},
        {"text": "a", "extra": 1},
        {"command": ["start"]},
    ],
)
async def test_malformed_requests_are_refused(client, body):
    p = await new_person(client)
    error(await p.say(**body), 400, "bad_request")


async def test_bad_key_and_bad_json_are_refused(client):
    p = await new_person(client)
    error(await p.say(key="short", text="hi"), 400, "bad_request")
    r = await client.post(
        "/chat/api/messages", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    error(r, 400, "bad_request")
    r = await client.post("/chat/api/messages", json=["a", "list"])
    error(r, 400, "bad_request")


async def test_redelivered_message_key_is_ignored(services, client):
    p = await new_person(client)
    await p.say(language="de")
    first = await p.say(key="same-key-1", text="22")
    again = await p.say(key="same-key-1", text="22")
    assert texts(first) == ["Wie wohnst du?"]
    assert again.json()["duplicate"] is True and texts(again) == []
    async with services.sessions() as s:
        keys = (await s.execute(select(InboundSeen.key))).scalars().all()
        rows = (await s.execute(select(OutboxMessage))).scalars().all()
    assert keys.count("same-key-1") == 1
    assert rows == []  # the one reply was delivered (and not kept); none was queued twice


async def test_too_many_requests(services, monkeypatch):
    clock = Clock(time.time)
    monkeypatch.setattr(time, "time", clock)
    limits = Limits(message_burst=3, message_per_second=0.5, token_burst=2, token_per_second=0.1)
    async with make_client(services, limits=limits) as client:
        p = await new_person(client)
        await new_person(client)
        err = error(await client.post("/chat/api/token"), 429, "too_many_requests")
        assert err["message"] == page_text(W.TOO_MANY, "de")
        for _ in range(3):
            assert (await p.say(command="start")).status_code == 200
        r = await p.say(command="start")
        error(r, 429, "too_many_requests")
        assert int(r.headers["Retry-After"]) >= 2
        clock.ahead += int(r.headers["Retry-After"])  # the oldest of the 3 leaves the window
        assert (await p.say(command="start")).status_code == 200


async def test_token_is_stored_nowhere(services, client):
    p = await new_person(client)
    await p.say(language="de")
    await p.say(text="22")
    rand = p.token.split(".")[0]
    async with services.sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(table.select())).all():
                assert rand not in repr(tuple(row)), table.name


async def test_logs_carry_no_text_and_no_token(client, caplog):
    caplog.set_level(logging.DEBUG)
    p = await new_person(client)
    await p.say(language="de")
    await p.say(text="Geheimnis Zebrafink")
    await p.say(text="")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert p.token not in logged and p.token.split(".")[0] not in logged
    # (a marker without digits: driver debug lines carry timestamps that may hold any digits)
    assert "Geheimnis" not in logged and "Zebrafink" not in logged


# ---------------------------------------------------------------- the page


async def test_page_is_rendered_per_locale_with_strict_headers(client):
    r = await client.get("/chat", params={"lang": "ar"})
    assert r.status_code == 200
    html = r.text
    assert '<html lang="ar" dir="rtl">' in html
    assert page_text(W.SEND, "ar") in html and page_text(W.PLACEHOLDER, "ar") in html
    assert 'data-lang-chosen="true"' in html
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "set-cookie" not in r.headers
    # no inline script, no remote asset
    for tag in re.findall(r"<script[^>]*>", html):
        assert re.search(r'src="/chat/static/chat\.js\?v=\w+"', tag)
    assert "<script>" not in html and "http://" not in html and "https://" not in html
    assert "aria-pressed" not in html  # buttons come from the conversation


async def test_page_language_from_accept_language_and_default(client):
    r = await client.get("/chat", headers={"Accept-Language": "fa-AF,fa;q=0.9,en;q=0.5"})
    assert '<html lang="fa-AF" dir="rtl">' in r.text
    assert 'data-lang-chosen="false"' in r.text
    r = await client.get("/chat", headers={"Accept-Language": "uk-UA"})
    assert '<html lang="uk" dir="ltr">' in r.text
    r = await client.get("/chat", params={"lang": "fa-AF"})
    assert '<html lang="fa-AF" dir="rtl">' in r.text and 'data-lang-chosen="true"' in r.text
    r = await client.get("/chat", params={"lang": "zz"})
    assert '<html lang="de" dir="ltr">' in r.text
    r = await client.get("/chat", params={"start": '"><script>'})
    assert 'data-start=""' in r.text


async def test_static_assets_are_served_locally(client):
    js = await client.get("/chat/static/chat.js")
    css = await client.get("/chat/static/chat.css")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "url(" not in css.text and "@import" not in css.text
    assert "http" not in js.text.replace("application/json", "")
    assert (await client.get("/chat/static/..%2Fmessages.py")).status_code == 404
    assert (await client.get("/chat/static/nope.js")).status_code == 404


async def test_delete_says_goodbye_and_leaves_nothing(services, client):
    p = await new_person(client)
    await p.say(language="de")
    await p.say(text="22")
    r = await p.say(command="delete")
    assert texts(r)[-1].startswith("Alles über dich löschen?")  # asked once more
    r = await p.say(button=button(r, "Ja, alles löschen"))
    assert r.status_code == 200 and "gelöscht" in texts(r)[-1]
    async with services.sessions() as s:
        assert (await s.execute(select(OutboxMessage))).scalars().all() == []
        assert (await s.execute(select(Conversation))).scalars().all() == []
