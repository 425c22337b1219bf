"""After a load run: what the database and the emulator's transcripts say.

Every check returns plain numbers; `failures()` turns them into the list of broken promises
(data lost, a referral or survey response twice, an outbox that does not drain).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import func, select, text

from bench.load_cluster import LoadEmulator
from bot.runtime import pseudonym
from store.db import make_engine
from store.models import OutboxMessage
from surveys.waves import participation_marker

SECRET = b"s" * 40  # the workers' WEGWEISER_SECRET_KEY (bench/load_cluster.py)
AT_LEAST_ONCE_WINDOW_S = 60  # a claim expires after 60 s (bot/outbox.py), then it is re-sent


async def wait_drained(url: str, within: float) -> tuple[int, float]:
    """Poll until no outbox row is pending or being sent; (rows left, seconds waited)."""
    engine = make_engine(url)
    start = time.monotonic()
    left = -1
    try:
        while time.monotonic() - start < within:
            async with engine.connect() as conn:
                left = int(
                    await conn.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status.in_(("pending", "sending")))
                    )
                    or 0
                )
            if left == 0:
                break
            await asyncio.sleep(1)
    finally:
        await engine.dispose()
    return left, round(time.monotonic() - start, 1)


async def database(url: str, groups: list[tuple[int, list[int]]]) -> dict[str, Any]:
    """Counts that must hold whatever was killed: every person who finished has as many
    referrals as the fault-free reference person of the same path (one after consent, else
    none), one response per participation marker, no response whose packed answers do not fit.

    `groups`: (reference person, people of the same path who finished)."""
    engine = make_engine(url)
    queries = {
        "outbox_dead": "SELECT count(*) FROM outbox WHERE status = 'dead'",
        "referrals": "SELECT count(*) FROM referral",
        "referrals_twice_for_one_conversation": (
            "SELECT count(*) FROM (SELECT conversation_id FROM referral "
            "GROUP BY conversation_id HAVING count(*) > 1) d"
        ),
        "survey_responses": "SELECT count(*) FROM survey_response",
        "participation_markers": "SELECT count(*) FROM participation_marker",
        "survey_responses_malformed": (  # packed answers that do not fit their layout
            "SELECT count(*) FROM survey_response r JOIN survey_layout l ON l.id = r.layout_id "
            "WHERE length(r.codes) <> 2 * l.width"
        ),
        "inbound_keys_twice": (
            "SELECT count(*) FROM (SELECT conversation_id, key FROM inbound_seen "
            "GROUP BY conversation_id, key HAVING count(*) > 1) d"
        ),
    }
    out: dict[str, Any] = {}
    try:
        async with engine.connect() as conn:
            for name, sql in queries.items():
                out[name] = int(await conn.scalar(text(sql)) or 0)
            per_person = text(
                "SELECT c.pseudonym, count(r.id) FROM conversation c "
                "LEFT JOIN referral r ON r.conversation_id = c.id GROUP BY c.pseudonym"
            )
            counts = {p: n for p, n in (await conn.execute(per_person)).all()}
            waves = [w for (w,) in (await conn.execute(text("SELECT id FROM survey_wave"))).all()]
            markers = {
                m
                for (m,) in (
                    await conn.execute(text("SELECT marker FROM participation_marker"))
                ).all()
            }
    finally:
        await engine.dispose()

    def referrals_of(user_id: int) -> int:
        return int(counts.get(pseudonym(SECRET, "telegram", str(user_id)), 0))

    def took_part(user_id: int) -> bool:  # the marker is written with the response
        pn = pseudonym(SECRET, "telegram", str(user_id))
        return any(participation_marker(SECRET, w, pn) in markers for w in waves)

    out["referrals_unlike_reference"] = sum(
        referrals_of(u) != referrals_of(ref) for ref, users in groups for u in users
    )
    out["survey_responses_unlike_reference"] = sum(
        took_part(u) != took_part(ref) for ref, users in groups for u in users
    )
    return out


def transcripts(tg: LoadEmulator, chats: list[int]) -> dict[str, Any]:
    """Replies the person got twice in a row (the at-least-once re-send), and what the
    emulator could not deliver."""
    twice = 0
    for chat_id in chats:
        previous = None
        for message in tg.sent(chat_id):
            if previous is not None and message["text"] == previous:
                twice += 1
            previous = message["text"]
    statuses: dict[str, int] = {}
    for attempt in tg.webhook_attempts:
        key = str(attempt.status) if attempt.status is not None else "no answer"
        statuses[key] = statuses.get(key, 0) + 1
    retried = {a.update_id for a in tg.webhook_attempts if a.status != 200}
    return {
        "replies_sent_twice": twice,
        "webhook_answers": statuses,
        "updates_held_and_retried": len(retried),
        "updates_given_up": len(tg.webhook_failed),
        "updates_still_pending": len(tg.pending_updates),
    }


def failures(db: dict[str, Any], tx: dict[str, Any], people: dict[str, Any]) -> list[str]:
    problems = []
    for key in (
        "referrals_twice_for_one_conversation",
        "survey_responses_malformed",
        "inbound_keys_twice",
        "referrals_unlike_reference",
        "survey_responses_unlike_reference",
        "outbox_dead",
        "outbox_left",
    ):
        if db.get(key):
            problems.append(f"{key}: {db[key]}")
    if db["survey_responses"] != db["participation_markers"]:
        problems.append("survey responses and participation markers differ")
    for key in ("updates_given_up", "updates_still_pending"):
        if tx[key]:
            problems.append(f"{key}: {tx[key]}")
    if people["wrong_question"]:
        problems.append(f"conversations resumed at a wrong question: {people['wrong_question']}")
    return problems
