"""Input fuzzing (hypothesis) over the engine, the Telegram adapter and the web chat.

Properties: nothing crashes (no exception, no 5xx); every input gets an answer in the
person's language (de, en and the right-to-left ar and fa); a forged button press never
changes another conversation; nothing is half-written; no stored text holds NUL or a lone
surrogate; formula-looking free text is neutralised in CSV and XLSX exports.
Budgets: tests/fuzz_support.py (`FUZZ_PROFILE`). The number of inputs tried is written to
test-artifacts/fuzz-inputs.json and printed at the end of the module.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import math
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select

from base import i18n, rtl
from base.i18n import render
from base.spreadsheet import neutralise
from bot.clean import clean_text
from bot.runtime import Inbound, pseudonym
from bot.telegram import messages as TM
from bot.telegram.adapter import TelegramChannel, make_bot
from bot.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH, webhook_router
from bot.webchat import Limits, build_webchat_router
from bot.webchat.chat import BODY_OVERHEAD, BYTES_PER_CHAR
from dialogs.buttons import Op, encode
from dialogs.effects import Completed
from dialogs.engine import step
from dialogs.intake_messages import IM
from dialogs.io import Command, Press, State, Text, Unsupported
from dialogs.loader import load_flow
from dialogs.messages import M
from dialogs.registry import load_registry
from results.export import to_csv, to_xlsx
from results.tables import Codebook, build_report
from results.texts import TextAnswer, review, text_answers
from store.demo import load_demo
from store.migrate import upgrade
from store.models import (
    Conversation,
    Offer,
    OutboxMessage,
    Referral,
    ReferralEvent,
    SurveyTextAnswer,
)
from surveys.wave_commands import create_wave, set_status
from tests.conftest import settings_for
from tests.engine_driver import drive
from tests.fuzz_support import (
    FORMULA,
    FORMULA_START,
    LOCALES,
    SQL,
    TRIED,
    assert_in_language,
    budget,
    check_integrity,
    fuzz_texts,
    snapshot,
    write_report,
)
from tests.helpers import FLOWS, demo_flow, last_ask, text_of
from tests.intake_support import Chat as IntakeChat
from tests.intake_support import seed
from tests.survey_helpers import ANSWERS, SURVEY, Person
from tests.tg_emulator import TelegramEmulator
from wegweiser.services import build, lexicon

# The shipped flows, and one with every question kind (its texts are German only).
EVERY_KIND = load_flow(Path(__file__).resolve().parent / "fuzz_flows" / "every-kind.yaml")
ALL_FLOWS = {**load_registry(FLOWS), EVERY_KIND.id: EVERY_KIND}
LEXICON = lexicon()


@pytest.fixture(scope="module", autouse=True)
def report_inputs(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    data = write_report()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\nfuzz inputs tried ({data['profile']}): {data['inputs']}")


# ================================================================ the engine, every flow


def _valid(item: Any, value: Any) -> bool:
    if value is None:
        return not item.required
    if item.kind == "multi":
        return isinstance(value, list) and {str(v) for v in value} <= {c.code for c in item.choices}
    if item.choices:
        return value in {c.code for c in item.choices}
    if item.kind == "number":
        return (
            isinstance(value, int | float)
            and math.isfinite(value)
            and (item.min is None or value >= item.min)
            and (item.max is None or value <= item.max)
        )
    if item.kind == "text":
        return isinstance(value, str) and len(value) <= (item.max_length or 500)
    return True


def _forged(flow_version: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=70),  # malformed, too long
        st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
        st.builds(
            lambda op, v, item, code: f"{op}:{v}:{item}:{code}",
            st.sampled_from([o.value for o in Op] + ["x", "", "aa"]),
            st.sampled_from([flow_version[:8], "00000000", "", "deadbeef"]),
            st.text(max_size=12),
            st.text(max_size=12),
        ),
    )


@pytest.mark.parametrize("flow_id", sorted(ALL_FLOWS))
@budget(25)
@given(data=st.data())
def test_engine_any_input_in_any_language(flow_id: str, data: st.DataObject) -> None:
    flow = ALL_FLOWS[flow_id]
    translated = flow is not EVERY_KIND
    loc = data.draw(st.sampled_from(LOCALES if translated else ("de",)), label="locale")
    first = step(flow, State(), Press(encode(Op.LANGUAGE, "", "", loc)), LEXICON)
    state, replies = first.state, first.replies
    kinds = ["button"] * 5 + ["text"] * 3 + ["forged", "command", "unsupported"]
    for _ in range(data.draw(st.integers(1, 30), label="length")):
        kind = data.draw(st.sampled_from(kinds))
        buttons = [b for r in replies for b in r.buttons]
        if kind == "button" and buttons:
            event: Any = Press(data.draw(st.sampled_from(buttons)).data)
        elif kind in ("text", "button"):
            event = Text(data.draw(fuzz_texts()))
        elif kind == "forged":
            event = Press(data.draw(_forged(flow.version)))
        elif kind == "command":
            name = data.draw(st.sampled_from(["help", "resume", "language", "x", "restart"]))
            event = Command(name, data.draw(st.text(max_size=10)))
        else:
            event = Unsupported(data.draw(st.sampled_from(["sticker", "photo", "voice"])))
        result = drive(flow, state, event, LEXICON)
        TRIED["engine"] += 1
        assert result.replies, f"no reply to {event!r}"
        state, replies = result.state, result.replies
        if state.item is not None:
            assert flow.item(state.item) is not None
        answers = [e.values() for e in result.effects if isinstance(e, Completed)]
        answers.append(state.answers)
        for given_answers in answers:
            for item_id, value in given_answers.items():
                item = flow.item(item_id)
                assert item is not None and _valid(item, value), (item_id, value)
        if state.locale in (LOCALES if translated else ("de",)) and isinstance(event, Text):
            for reply in replies:  # the answer to typed text, in the person's language
                text = "\n\n".join(render(p, state.locale) for p in reply.parts)
                assert_in_language({"text": text, "rtl": i18n.is_rtl(state.locale)}, state.locale)


# ---------------------------------------------------------------- engine regressions


def _at_age() -> State:
    flow = demo_flow()
    return step(flow, State(), Press(encode(Op.LANGUAGE, "", "", "de")), LEXICON).state


@pytest.mark.parametrize("typed", ["1" * 400, "9" * 5000, "١" * 4400, "-" + "۹" * 500])
def test_huge_number_is_out_of_range_not_a_crash(typed: str) -> None:
    r = step(demo_flow(), _at_age(), Text(typed), LEXICON)
    assert r.state.item == "age" and "age" not in r.state.answers
    assert r.replies[0].parts[0].msgid == M.OUT_OF_RANGE.msgid


def test_thousands_of_digits_for_a_choice_are_not_understood() -> None:
    flow = demo_flow()
    state = step(flow, _at_age(), Text("20"), LEXICON).state
    assert state.item == "housing"
    r = step(flow, state, Text("1" * 5000), LEXICON)
    assert r.state.item == "housing" and "housing" not in r.state.answers
    assert text_of(r.replies).startswith(M.NOT_UNDERSTOOD.msgid)


def test_digits_of_other_systems_answer_a_number() -> None:
    for typed in ("२०", "২০", "２０", "𝟐𝟎", "٢٠", "۲۰"):
        r = step(demo_flow(), _at_age(), Text(typed), LEXICON)
        assert r.state.answers == {"age": 20}, typed


# ================================================================ shared runtime (sqlite)


class Loop:
    """One event loop and one set of services for all examples of a test: hypothesis calls a
    plain function per example, which runs its coroutine here."""

    def __init__(self, tmp: Path, template: Path, url: str | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        shm = Path("/dev/shm")
        self.path = (shm if shm.is_dir() else tmp) / f"wegweiser-fuzz-{uuid.uuid4().hex}.db"
        if url is None or url.startswith("sqlite"):  # in memory: examples write a lot
            url = f"sqlite+aiosqlite:///{self.path}"
            shutil.copyfile(template, self.path)  # migrated once (tests/conftest.py)
        self.services = build(settings_for(url, tmp, secret_key="f" * 40))
        self.users = itertools.count(10_000)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.services.close())
        self.loop.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


# ================================================================ the web chat over HTTP


class Chat:
    def __init__(self, loop: Loop) -> None:
        lots = Limits(message_burst=10**6, poll_burst=10**6, address_burst=10**6)
        lots = Limits(**{**lots.__dict__, "token_burst": 10**6})
        app = FastAPI()
        app.include_router(build_webchat_router(loop.services.runtime, limits=lots))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://chat.test")
        self.keys = itertools.count()

    async def token(self) -> str:
        r = await self.client.post("/chat/api/token")
        assert r.status_code == 201
        return str(r.json()["token"])

    async def post(self, body: Any = None, raw: bytes | None = None, **headers: str) -> Any:
        if raw is None:
            raw = json.dumps(body, ensure_ascii=True).encode()
        headers = {"content-type": "application/json", **headers}
        return await self.client.post("/chat/api/messages", content=raw, headers=headers)

    def key(self) -> str:
        return f"fuzz-{next(self.keys):08d}"


@pytest.fixture(scope="module")
def chat(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[Loop, Chat]]:
    loop = Loop(tmp_path_factory.mktemp("webchat"), sqlite_template)
    c = Chat(loop)
    yield loop, c
    loop.run(c.client.aclose())
    loop.close()


ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(st.characters(codec=None, categories=None), max_size=30),
)
JSON_ANY = st.recursive(
    JSON_LEAF,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(), kids),
    max_leaves=20,
)
LIMIT = 1000 * BYTES_PER_CHAR + BODY_OVERHEAD  # larger bodies are refused unread
FIELDS = ["text", "button", "command", "arg", "language", "locale", "key", "token", "extra"]


@st.composite
def chat_bodies(
    draw: st.DrawFn, token: str, key: str
) -> tuple[dict[str, Any] | None, bytes | None]:
    """A body to POST: mostly a valid envelope with one odd action, sometimes raw bytes."""
    shape = draw(st.sampled_from(["text"] * 4 + ["button", "command", "odd", "raw", "token"]))
    body: dict[str, Any] = {"token": token, "key": key}
    if shape == "text":
        body["text"] = draw(fuzz_texts())
    elif shape == "button":
        body["button"] = draw(st.one_of(st.text(max_size=80), st.sampled_from(SQL)))
    elif shape == "command":
        body["command"] = draw(st.text(max_size=40))
        body["arg"] = draw(st.one_of(st.text(max_size=80), JSON_ANY))
    elif shape == "odd":
        for name in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4)):
            body[name] = draw(JSON_ANY)
    elif shape == "token":
        body["token"] = draw(
            st.one_of(
                JSON_ANY,
                st.text(max_size=60),
                st.just(token[:-1] + ("A" if token[-1] != "A" else "B")),  # wrong signature
                st.just(token + "x"),
            )
        )
        body["text"] = "hallo"
    else:
        depth = draw(st.integers(100, 3000))
        raw = draw(
            st.sampled_from(
                [
                    b'{"token":"%s","key":"%s","text":' % (token.encode(), key.encode())
                    + b"[" * depth
                    + b"]" * depth
                    + b"}",
                    b"[" * depth + b"]" * depth,
                    b'{"a":' * depth + b"1" + b"}" * depth,
                    b"\xff\xfe\x00garbage",
                    b'{"token": "' + token.encode() + b'", "text": "' + b"x" * 50_000 + b'"}',
                    b"",
                    b"null",
                    b'"just a string"',
                    b"NaN",
                ]
            )
        )
        return None, raw
    return body, None


async def _chat_person(c: Chat, loc: str) -> str:
    tok = await c.token()
    for body in ({"command": "start"}, {"language": loc}):
        r = await c.post({"token": tok, "key": c.key(), **body})
        assert r.status_code == 200, r.text
    return tok


@budget(20)
@given(data=st.data())
def test_webchat_any_body_gets_a_translated_answer(
    chat: tuple[Loop, Chat], data: st.DataObject
) -> None:
    loop, c = chat
    loc = data.draw(st.sampled_from(LOCALES), label="locale")

    async def run() -> None:
        tok = await _chat_person(c, loc)
        for _ in range(data.draw(st.integers(1, 6), label="bodies")):
            if data.draw(st.integers(0, 5)) == 0:  # the page's poll, with any token header
                header = data.draw(st.one_of(st.just(tok), st.text(ASCII, max_size=60)))
                r = await c.client.get("/chat/api/messages", headers={"x-chat-token": header})
                TRIED["webchat"] += 1
                assert r.status_code in ((200,) if header == tok else (401,)), r.text
                for m in r.json().get("messages", []):
                    assert_in_language(m, loc)
                continue
            body, raw = data.draw(chat_bodies(tok, c.key()))
            accept = data.draw(st.sampled_from(["", "ar", "fa-IR,fa;q=0.9", "de", "xx;q=abc"]))
            r = await c.post(body, raw, **({"accept-language": accept} if accept else {}))
            TRIED["webchat"] += 1
            assert r.status_code < 500, (body, raw and raw[:80], r.status_code, r.text[:300])
            answer = r.json()
            if r.status_code == 200:
                assert answer["locale"] == loc and answer["messages"], answer
                for m in answer["messages"]:
                    assert_in_language(m, loc)
            else:
                error = answer["error"]
                assert error["message"] and error["code"], answer
                readable = raw is None and len(json.dumps(body)) <= LIMIT
                if readable and body.get("token") == tok:  # the person's language
                    assert error["locale"] == loc, answer
        await check_integrity(loop.services.sessions)

    loop.run(run())


async def test_webchat_regressions_deep_json_and_surrogates(db_url, tmp_path) -> None:
    services = build(settings_for(db_url, tmp_path, secret_key="w" * 40))
    app = FastAPI()
    app.include_router(build_webchat_router(services.runtime))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://chat.test") as client:
        tok = (await client.post("/chat/api/token")).json()["token"]
        headers = {"content-type": "application/json"}
        deep = b'{"token":"' + tok.encode() + b'","key":"abcdefgh","text":'
        deep += b"[" * 2500 + b"]" * 2500 + b"}"
        r = await client.post("/chat/api/messages", content=deep, headers=headers)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
        n = itertools.count()
        for body in (
            {"command": "start"},
            {"language": "fa"},
            {"text": "/start \ud800\x00"},
            {"text": "\ud800"},  # a lone surrogate: "please write a number"
            {"text": "\x00۲۰\u202e"},  # NUL, Persian 20, right-to-left override
        ):
            raw = json.dumps({"token": tok, "key": f"key-{next(n):04d}", **body}).encode()
            r = await client.post("/chat/api/messages", content=raw, headers=headers)
            assert r.status_code == 200, r.text
            for m in r.json()["messages"] if "command" not in body else []:
                assert_in_language(m, "fa")
        async with services.sessions() as s:
            conv = await s.scalar(select(Conversation))
        assert conv.state["answers"] == {"age": 20}
    await check_integrity(services.sessions)
    await services.close()


# ================================================================ Telegram through aiogram

TG_SECRET = "fuzz-webhook-secret"
VICTIM = 999


class Telegram:
    """The real webhook route and Dispatcher; the emulator answers the bot's own API calls."""

    def __init__(self, loop: Loop) -> None:
        self.loop = loop
        self.tg = TelegramEmulator()
        loop.run(self.tg.start())
        self.bot = make_bot(self.tg.token, self.tg.base_url)
        self.channel = TelegramChannel(loop.services.runtime, self.bot, reraise=True)
        app = FastAPI()
        app.include_router(webhook_router(self.channel, TG_SECRET))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://tg.test")
        self.updates = itertools.count(1)
        self.messages = itertools.count(1)

    async def send(self, update: dict[str, Any]) -> httpx.Response:
        update = {"update_id": next(self.updates), **update}
        return await self.client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: TG_SECRET})

    def message(self, user: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self.messages),
            "from": {"id": user, "is_bot": False, "first_name": "Fuzz"},
            "chat": {"id": user, "type": "private", "first_name": "Fuzz"},
            "date": 1_760_000_000,
            **content,
        }

    def text(self, user: int, text: str) -> dict[str, Any]:
        return {"message": self.message(user, text=text)}

    def press(self, user: int, data: str, chat: int | None = None) -> dict[str, Any]:
        bot_message = {
            "message_id": next(self.messages),
            "from": {"id": 1, "is_bot": True, "first_name": "Wegweiser"},
            "chat": {"id": chat or user, "type": "private", "first_name": "Fuzz"},
            "date": 1_760_000_000,
            "text": "…",
        }
        return {
            "callback_query": {
                "id": str(next(self.messages)),
                "from": {"id": user, "is_bot": False, "first_name": "Fuzz"},
                "message": bot_message,
                "chat_instance": "1",
                "data": data,
            }
        }

    def close(self) -> None:
        self.loop.run(self.client.aclose())
        self.loop.run(self.bot.session.close())
        self.loop.run(self.tg.stop())


@pytest.fixture(scope="module")
def telegram(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Telegram]:
    loop = Loop(tmp_path_factory.mktemp("telegram"), sqlite_template)
    t = Telegram(loop)

    async def victim() -> None:  # another person, halfway through the demo
        for update in (
            t.text(VICTIM, "/start"),
            t.press(VICTIM, encode(Op.LANGUAGE, "", "", "ar")),
            t.text(VICTIM, "22"),
        ):
            assert (await t.send(update)).status_code == 200

    loop.run(victim())
    yield t
    t.close()
    loop.close()


async def _outbox(loop: Loop, user: int) -> list[dict[str, Any]]:
    pn = pseudonym(loop.services.runtime.secret, "telegram", str(user))
    async with loop.services.sessions() as s:
        rows = await s.execute(
            select(OutboxMessage.payload)
            .join(Conversation, Conversation.id == OutboxMessage.conversation_id)
            .where(Conversation.pseudonym == pn)
            .order_by(OutboxMessage.id)
        )
        return [dict(p) for p in rows.scalars()]


MEDIA: dict[str, dict[str, Any]] = {
    "sticker": {
        "sticker": {
            "file_id": "CAfuzz",
            "file_unique_id": "u1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    },
    "photo": {
        "photo": [{"file_id": "Agfuzz", "file_unique_id": "u2", "width": 90, "height": 67}],
        "caption": "=HYPERLINK(1)",
    },
    "location": {"location": {"latitude": 51.2277, "longitude": 6.7735}},
    "contact": {"contact": {"phone_number": "+4915112345678", "first_name": "Fuzz"}},
    "voice": {"voice": {"file_id": "AwACfuzz", "file_unique_id": "u3", "duration": 3}},
    "video": {
        "video": {
            "file_id": "BAACfuzz",
            "file_unique_id": "u4",
            "width": 720,
            "height": 1280,
            "duration": 5,
        }
    },
    "document": {"document": {"file_id": "BQACfuzz", "file_unique_id": "u5"}},
}
# What Telegram can deliver: valid UTF-8 (no lone surrogates), at most 4096 characters.
TG_TEXT = fuzz_texts().map(lambda t: "".join(ch for ch in t if not "\ud800" <= ch <= "\udfff"))


@budget(30)
@given(data=st.data())
def test_telegram_any_update_gets_a_translated_answer(
    telegram: Telegram, data: st.DataObject
) -> None:
    t, loop = telegram, telegram.loop
    user = next(loop.users)
    loc = data.draw(st.sampled_from(LOCALES), label="locale")
    flow = loop.services.flows["demo"]
    victim_pn = pseudonym(loop.services.runtime.secret, "telegram", str(VICTIM))

    async def run() -> None:
        victim_before = await snapshot(loop.services.sessions, victim_pn)
        victim_buttons = [b["data"] for p in await _outbox(loop, VICTIM) for b in p["buttons"]]
        # a language button is the same for everybody: pressing one rightly changes the language
        victim_buttons = [d for d in victim_buttons if not d.startswith("l:")]
        for update in (t.text(user, "/start"), t.press(user, encode(Op.LANGUAGE, "", "", loc))):
            assert (await t.send(update)).status_code == 200
        kinds = ["text"] * 3 + ["button", "media", "edited", "forged", "victim", "command"]
        for _ in range(data.draw(st.integers(1, 8), label="updates")):
            before = len(await _outbox(loop, user))
            kind = data.draw(st.sampled_from(kinds))
            shown = (await _outbox(loop, user))[-2:]
            mine = [
                b["data"] for p in shown for b in p["buttons"] if not b["data"].startswith("l:")
            ]
            if kind == "text":
                update = t.text(user, data.draw(TG_TEXT)[:4096] or "?")
            elif kind == "button" and mine:
                update = t.press(user, data.draw(st.sampled_from(mine)))
            elif kind == "media":
                update = {
                    "message": t.message(user, **data.draw(st.sampled_from(list(MEDIA.values()))))
                }
            elif kind == "edited":
                msg = t.message(
                    user, text=data.draw(TG_TEXT)[:4096] or "?", edit_date=1_760_000_001
                )
                update = {"edited_message": msg}
            elif kind == "victim" and victim_buttons:
                # another person's button; also claiming the other person's chat
                chat = data.draw(st.sampled_from([user, VICTIM]))
                update = t.press(user, data.draw(st.sampled_from(victim_buttons)), chat)
                if chat == VICTIM:  # refused at the door, with a notice on the button
                    calls = len(t.tg.calls_to("answerCallbackQuery"))
                    assert (await t.send(update)).status_code == 200
                    TRIED["telegram"] += 1
                    assert len(await _outbox(loop, user)) == before
                    answered = t.tg.calls_to("answerCallbackQuery")[calls:]
                    assert answered and answered[-1].get("text"), answered
                    continue
            elif kind == "command":
                name = data.draw(st.sampled_from(["help", "mydata", "language", "stop", "xyz"]))
                update = t.text(user, f"/{name} {data.draw(st.text(max_size=20))}".strip())
            else:
                forged = data.draw(
                    st.one_of(
                        _forged(flow.version),
                        st.sampled_from(
                            [
                                encode(Op.ANSWER, "0" * 8, "housing", "flat"),  # another version
                                encode(Op.ANSWER, flow.version, "needs", "wohnen"),  # stale
                                encode(Op.ANSWER, "befrag00", "1.1", "d"),  # another flow
                                encode(Op.OPEN, flow.version, "angebote", "9" * 40),  # not listed
                                encode(Op.REPLY, "", "", "1"),  # another person's referral
                                encode(Op.PAGE, "", "age", "9" * 55),
                                "x" * 64,
                                "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"),
                            ]
                        ),
                    )
                )
                update = t.press(user, forged[:64] or "?")
            # Telegram cuts callback data at 64 bytes; our own forged data may be longer
            r = await t.send(update)
            TRIED["telegram"] += 1
            assert r.status_code == 200, (update, r.status_code, r.text)
            after = await _outbox(loop, user)
            assert len(after) > before, f"no answer to {update!r}"
            for payload in after[before:]:
                assert_in_language(payload, loc)
        assert await snapshot(loop.services.sessions, victim_pn) == victim_before
        await check_integrity(loop.services.sessions)

    loop.run(run())


# ================================================================ stored data and exports


NASTY = [
    "Ich suche\x00 eine\x07 Wohnung \ud800 \u202eGNUNHOW\u202c \u2067سلام\u2069",
    "'; DROP TABLE survey_text_answer; --",
    '=HYPERLINK("http://evil.example","klick")',
    "+49 171 2345678",
    "-1+1",
    "@SUM(1+1)",
]


async def test_survey_text_is_stored_clean_and_exported_neutralised(db_url, tmp_path) -> None:
    """Through the runtime into the survey tables (SQLite and PostgreSQL), then CSV/XLSX."""
    services = build(settings_for(db_url, tmp_path, secret_key="x" * 40))
    await load_demo(services.sessions)
    flow = services.flows[SURVEY]
    wave = await create_wave(services.sessions, "demo-kreis", flow, "Fuzz", code="fuzz-1")
    await set_status(services.sessions, wave.id, "open", services.flows)
    for n, text in enumerate(NASTY):
        person = Person(services.runtime, f"p{n}")
        asked = await person.take_part("fuzz-1", flow.version, {**ANSWERS, "2.18": text})
        assert "2.18" in asked
        TRIED["survey"] += len(asked)
    await check_integrity(services.sessions)
    async with services.sessions() as s:
        stored = list((await s.execute(select(SurveyTextAnswer.text))).scalars())
        ids = list((await s.execute(select(SurveyTextAnswer.id))).scalars())
    assert len(stored) == len(NASTY)
    assert sorted(stored) == sorted(" ".join(clean_text(t).split()) for t in NASTY)
    async with services.sessions() as s, s.begin():
        await review(s, wave.id, ids, approve=True)
    async with services.sessions() as s:
        report = await build_report(s, wave.id, Codebook.from_flow(flow))
        texts = await text_answers(s, wave.id, reviewed=True)
    _assert_neutralised(report, texts)
    await services.close()


def _cells(report: Any, texts: list[TextAnswer]) -> list[str]:
    rows = list(csv.reader(io.StringIO(to_csv(report, texts).decode("utf-8-sig"))))
    book = load_workbook(io.BytesIO(to_xlsx(report, texts)))
    free = [c.value for row in book["Freitext"].iter_rows() for c in row]
    return [cell for row in rows for cell in row] + [str(v) for v in free if v is not None]


def _assert_neutralised(report: Any, texts: list[TextAnswer]) -> None:
    for cell in _cells(report, texts):
        assert not cell.startswith(FORMULA_START), cell
        assert "\x00" not in cell, cell


@budget(15)
@given(st.lists(st.one_of(fuzz_texts(), st.sampled_from(FORMULA)), min_size=1, max_size=6))
def test_any_free_text_is_neutralised_in_exports(texts: list[str]) -> None:
    report = _REPORT.get()
    answers = [
        TextAnswer(str(n), "2.18", "".join(ch for ch in t if not "\ud800" <= ch <= "\udfff"), True)
        for n, t in enumerate(texts)
    ]
    TRIED["export"] += len(answers)
    _assert_neutralised(report, answers)


class _Report:
    """One small report to export free text with (built once, on SQLite)."""

    value: Any = None

    def get(self) -> Any:
        if self.value is None:
            self.value = asyncio.run(self._build())
        return self.value

    async def _build(self) -> Any:
        import tempfile

        tmp = Path(tempfile.mkdtemp())
        url = f"sqlite+aiosqlite:///{tmp / 'r.db'}"
        upgrade(url)
        services = build(settings_for(url, tmp))
        await load_demo(services.sessions)
        flow = services.flows[SURVEY]
        wave = await create_wave(services.sessions, "demo-kreis", flow, "Export", code="exp-1")
        async with services.sessions() as s:
            report = await build_report(s, wave.id, Codebook.from_flow(flow))
        await services.close()
        return report


_REPORT = _Report()


def test_control_characters_do_not_break_xlsx() -> None:
    texts = [TextAnswer("1", "2.18", "Hallo\x01\x07 Welt\x1f", True)]
    _assert_neutralised(_REPORT.get(), texts)
    assert neutralise("\x01=1+1") == "'=1+1"


# ================================================================ regressions: cleaning, RTL


def test_inbound_text_is_cleaned() -> None:
    assert clean_text("a\x00b\x07c\x7f\x85d") == "abcd"
    assert clean_text("\ud800x\udfff") == "\ufffdx\ufffd"
    assert clean_text("\u202eabc\u202c \u2067x\u2069") == "abc x"
    assert clean_text("zwei\u200cteilig 👨‍👩‍👧 \u200f!") == "zwei\u200cteilig 👨‍👩‍👧 \u200f!"
    assert clean_text("a\r\nb\rc\td") == "a\nb\nc\td"


def test_accented_latin_is_one_isolated_run_in_rtl() -> None:
    out = rtl.isolate_ltr_runs("العنوان: Königsallee 12, Düsseldorf")
    assert out == "العنوان: \u2068Königsallee 12, Düsseldorf\u2069"
    assert rtl.bare_ltr(out) == []


def test_picker_falls_back_to_german_without_splitting_words() -> None:
    from bot.render import render_reply

    r = step(demo_flow(), State(), Command("start"), LEXICON)
    text = render_reply(last_ask(r.replies), "ar")["text"]
    assert "\u2069ä\u2068" not in text  # never "w⁩ä⁨hle"


async def test_start_code_with_nul_is_ignored(db_url, tmp_path) -> None:
    """`/start <code>` looks the code up: PostgreSQL refuses NUL in a query parameter."""
    from bot.runtime import Inbound

    services = build(settings_for(db_url, tmp_path))
    h = await services.runtime.handle(
        Inbound("telegram", "7", "7", Command("start", "ab\x00c\ud800"), key="1")
    )
    assert h.replies >= 1
    async with services.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) >= 1
    await check_integrity(services.sessions)
    await services.close()


@pytest.mark.parametrize("text", [*SQL, *FORMULA])
def test_sql_and_formula_text_is_just_text(text: str) -> None:
    r = step(demo_flow(), _at_age(), Text(text), LEXICON)
    assert r.replies and r.state.item in ("age", "housing")


def test_callback_naming_another_chat_changes_nothing(telegram: Telegram) -> None:
    """A private chat's id is its person's id: a press that names another chat is forged."""
    t, loop = telegram, telegram.loop
    victim_pn = pseudonym(loop.services.runtime.secret, "telegram", str(VICTIM))
    attacker = 5

    async def run() -> None:
        before = await snapshot(loop.services.sessions, victim_pn)
        calls = len(t.tg.calls_to("answerCallbackQuery"))
        press = t.press(attacker, encode(Op.ANSWER, "", "housing", "flat"), chat=VICTIM)
        assert (await t.send(press)).status_code == 200
        assert await snapshot(loop.services.sessions, victim_pn) == before
        assert await _outbox(loop, attacker) == []
        [answer] = t.tg.calls_to("answerCallbackQuery")[calls:]
        assert answer["text"] == render(TM.ALREADY_ANSWERED, "de")

    loop.run(run())


# ======================================================= the Erstberatung (SQLite and PostgreSQL)


@pytest.fixture
def intake_world(
    db_url: str, tmp_path: Path, sqlite_template: Path
) -> Iterator[tuple[Loop, dict[str, Any]]]:
    """A person with an open referral (the victim) in a Bündnis with offers."""
    loop = Loop(tmp_path, sqlite_template, db_url)

    async def setup() -> dict[str, Any]:
        ids = await seed(loop.services.sessions)
        victim = IntakeChat(loop.services, user="31337")
        await victim.intake()
        await victim.refer(goal="Ich möchte eine Ausbildung machen.")
        await victim.press("Ja, ich bin einverstanden")
        async with loop.services.sessions() as s:
            [referral] = (await s.scalars(select(Referral))).all()
            offers = list((await s.scalars(select(Offer.id))).all())
        pn = pseudonym(loop.services.runtime.secret, "telegram", "31337")
        return {**ids, "referral": referral.id, "offers": offers, "victim": pn}

    world = loop.run(setup())
    yield loop, world
    loop.close()


def _intake_presses(world: dict[str, Any], version: str) -> st.SearchStrategy[str]:
    ids = [str(world["referral"]), *map(str, world["offers"]), "0", "9" * 40, "-1", "١"]
    items = ["angebote", "wie_weiter", "dringend", "kontaktweg", "einwilligung", "telefon", "x"]
    codes = ["refer", "finish", "deadline", "bot", "phone", "yes", "no", "", "x"]
    return st.one_of(
        st.builds(lambda c: encode(Op.REPLY, "", "", c), st.sampled_from(ids)),
        st.builds(
            lambda op, c: encode(op, version, "angebote", c),
            st.sampled_from([Op.OPEN, Op.AREA, Op.DONE]),
            st.sampled_from([*ids, "9" * 30, "x"]),
        ),
        st.builds(
            lambda op, i, c: encode(op, version, i, c),
            st.sampled_from([Op.ANSWER, Op.END, Op.BACK, Op.KEEP]),
            st.sampled_from(items),
            st.sampled_from(codes),
        ),
        st.builds(
            lambda what, c: encode(Op.CONFIRM, "", what, c),
            st.sampled_from(["restart", "delete", "end", "x"]),
            st.sampled_from(["yes", "no", ""]),
        ),
        st.builds(
            lambda c: encode(Op.GO, "", "", c), st.sampled_from(["erstberatung", "demo", ""])
        ),
        st.builds(lambda i: encode(Op.MORE, version, i, ""), st.sampled_from(items)),
        _forged("00000000"),
    )


@budget(12)
@given(data=st.data())
def test_intake_forged_presses_never_touch_another_person(
    intake_world: tuple[Loop, dict[str, Any]], data: st.DataObject
) -> None:
    loop, world = intake_world
    user = str(next(loop.users))
    runtime = loop.services.runtime

    async def run() -> None:
        before = await snapshot(loop.services.sessions, world["victim"])
        chat = IntakeChat(loop.services, user=user)
        if data.draw(st.booleans(), label="full intake"):
            await chat.intake()
            await chat.refer(goal=data.draw(fuzz_texts().map(lambda t: t[:200]), label="goal"))
        else:
            await chat.start()
        mine = chat.buttons
        for n in range(data.draw(st.integers(1, 8), label="inputs")):
            kind = data.draw(st.sampled_from(["press", "press", "mine", "text"]))
            if kind == "mine" and mine:
                event: Any = Press(data.draw(st.sampled_from(mine))["data"])
            elif kind == "text":
                event = Text(data.draw(fuzz_texts()))
            else:
                version = loop.services.flows["erstberatung"].version
                event = Press(data.draw(_intake_presses(world, version)))
            key = f"{user}-fuzz-{n}"
            handled = await runtime.handle(
                Inbound("telegram", user, user, event, key, "erstberatung")
            )
            TRIED["intake"] += 1
            assert handled.replies >= 1, f"no answer to {event!r}"
            async with loop.services.sessions() as s:
                rows = await s.execute(
                    select(OutboxMessage.payload)
                    .where(
                        OutboxMessage.address == loop.services.runtime.addresses.seal(user),
                        OutboxMessage.status == "pending",
                    )
                    .order_by(OutboxMessage.id.desc())
                    .limit(handled.replies)
                )
                for payload in rows.scalars():
                    assert_in_language(dict(payload), "de")
                    mine = payload["buttons"] or mine
        assert await snapshot(loop.services.sessions, world["victim"]) == before
        await check_integrity(loop.services.sessions)

    loop.run(run())


def test_huge_number_without_a_range_is_not_a_number() -> None:
    flow = EVERY_KIND
    state = step(flow, State(), Press(encode(Op.LANGUAGE, "", "", "de")), LEXICON).state
    state = step(flow, state, Press(encode(Op.ANSWER, flow.version, "agree", "yes")), LEXICON).state
    assert state.item == "count"
    r = step(flow, state, Text("9" * 400), LEXICON)
    assert r.state.item == "count" and "count" not in r.state.answers
    assert r.replies[0].parts[0].msgid == M.NOT_A_NUMBER.msgid
    r = step(flow, state, Text("9" * 300), LEXICON)  # big, but a float: taken as it is
    assert r.state.answers["count"] == int(float("9" * 300))


def test_reply_of_only_invisible_characters_is_not_relayed(
    intake_world: tuple[Loop, dict[str, Any]],
) -> None:
    """A reply to the Servicestelle that cleaning leaves empty is asked for again."""
    loop, world = intake_world
    runtime = loop.services.runtime

    async def run() -> None:
        async def say(n: int, event: Any) -> list[dict[str, Any]]:
            inbound = Inbound("telegram", "31337", "31337", event, f"r{n}", "erstberatung")
            handled = await runtime.handle(inbound)
            async with loop.services.sessions() as s:
                rows = await s.scalars(
                    select(OutboxMessage.payload)
                    .where(OutboxMessage.address == runtime.addresses.seal("31337"))
                    .order_by(OutboxMessage.id.desc())
                    .limit(handled.replies)
                )
                return list(rows)

        async def notes() -> list[str | None]:
            async with loop.services.sessions() as s:
                query = select(ReferralEvent.note).where(ReferralEvent.kind == "reply")
                return list(await s.scalars(query))

        await say(1, Press(encode(Op.REPLY, "", "", str(world["referral"]))))
        [again] = await say(2, Text("\x00\u202e\u2069\x07"))
        assert again["text"] == render(IM.REPLY_ASK.with_(servicestelle="JMD Münster"), "de")
        assert await notes() == []
        [sent] = await say(3, Text("Danke\x00!"))
        assert sent["text"] == render(IM.REPLY_SENT.with_(servicestelle="JMD Münster"), "de")
        assert await notes() == ["Danke!"]

    loop.run(run())
