"""Simulated people: each one talks to the bot through the Telegram emulator like a person
on a phone — `/start <code>`, then presses a button of the current question (or types an
answer when the question has none to press) and waits for the next question.

A persona fixes the path (flow, language, which buttons, referral or not), so every person of
one persona must see the same questions in the same order. The path is recorded once before
any fault (`reference`), and during the load every person checks each question it gets
against it: a conversation that resumed at the wrong question is caught where it happens.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from base.i18n import render
from bench.load_cluster import INTAKE_CODE, ROOT, SURVEY_CODE, LoadEmulator
from dialogs.io import Msg
from dialogs.registry import load_registry

LANGUAGES = ("de", "ar", "uk", "fa")
TYPED = {"gemeinde": "Moers"}  # item id → typed answer; others get TYPED_DEFAULT
TYPED_DEFAULT = "Ich suche einen Deutschkurs"
QUIET = 15.0  # seconds without anything to act on: the conversation is over (reference run)


@dataclass(frozen=True)
class Persona:
    flow: str  # intake | survey
    language: str
    seed: int
    refer: bool  # Erstberatung: asks for a referral at the end

    @property
    def code(self) -> str:
        return INTAKE_CODE if self.flow == "intake" else SURVEY_CODE

    def choose(self, item: str, n: int) -> int:
        digest = hashlib.sha256(f"{self.seed}:{item}".encode()).digest()
        return digest[0] % n


def personas() -> list[Persona]:
    out = []
    for i, lang in enumerate(LANGUAGES):
        out.append(Persona("intake", lang, i, refer=i % 2 == 0))
        out.append(Persona("survey", lang, i, refer=False))
    return out


class _TimeBound(Exception):
    pass


@dataclass
class Outcome:
    """What one person saw and did."""

    questions: list[str] = field(default_factory=list)  # question texts in order
    latencies: list[float] = field(default_factory=list)  # s from sending to first reply
    sent: int = 0  # updates this person sent
    finished: bool = False
    errors: list[str] = field(default_factory=list)
    repeats: int = 0  # the same question shown again (a re-sent reply)


def _ops(record: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(op, item, code, data) of every button of a message."""
    rows = (record.get("reply_markup") or {}).get("inline_keyboard") or []
    out = []
    for row in rows:
        for button in row:
            data = str(button.get("callback_data") or "")
            parts = data.split(":")
            if len(parts) == 4:
                out.append((parts[0], parts[2], parts[3], data))
    return out


def typed_prompts(language: str) -> list[tuple[str, str]]:
    """(question text as shown, what to type) for the questions that have nothing to press."""
    out = []
    for flow in load_registry(ROOT / "dialogs" / "flows").values():
        if flow.kind == "demo":
            continue
        for item in flow.items:
            shown = render(Msg(item.text, flow.context(item.id)), language)
            if item.kind == "number":
                out.append((shown, str(int(item.min or 0))))
            elif item.kind == "text":
                out.append((shown, TYPED.get(item.id, TYPED_DEFAULT)))
    return out


def _bare(text: str) -> str:
    """Without the Unicode isolates that right-to-left text puts around numbers and names."""
    return text.translate({c: None for c in range(0x2066, 0x206A)})


def _question_key(record: dict[str, Any]) -> str:
    """A question as a person recognises it: its text (toggles only change the buttons)."""
    return record["text"]


class Person:
    def __init__(
        self,
        tg: LoadEmulator,
        user_id: int,
        persona: Persona,
        reference: list[str] | None,
        quiet: float = QUIET,
        last: str | None = None,
    ) -> None:
        self.tg, self.user_id, self.persona, self.reference = tg, user_id, persona, reference
        self.quiet = quiet
        self.last = last  # a text only the conversation's end shows: done without `quiet`
        self.out = Outcome()
        self.event = tg.watch(user_id)
        self.prompts = typed_prompts(persona.language)
        self.acted: tuple[int, int] = (0, 0)  # (message id, edits) last acted on
        self.answered: set[str] = set()
        self.toggled: set[str] = set()

    async def _send(self, action: Any) -> None:
        self.event.clear()
        t0 = time.monotonic()
        action()
        self.out.sent += 1
        await asyncio.wait_for(self.event.wait(), self.timeout)
        self.out.latencies.append(time.monotonic() - t0)

    async def run(self, reply_timeout: float, deadline: float) -> Outcome:
        """Until the conversation ends, `deadline` (monotonic) passes or a reply is late."""
        self.timeout, self.deadline = reply_timeout, deadline
        seen: tuple[int, str] | None = None
        try:
            # no language code on the phone: the persona picks its language in the picker
            await self._send(
                lambda: self.tg.user_command(
                    self.user_id, "/start", self.persona.code, language_code=""
                )
            )
            while time.monotonic() < deadline:
                question = await self._next_question(seen)
                if question is None:
                    self.out.finished = True
                    return self.out
                key = _question_key(question)
                if seen is not None and seen[1] == key and seen[0] != question["message_id"]:
                    self.out.repeats += 1  # a reply sent twice: same question, new message
                elif seen is None or seen[1] != key:
                    self._check(key)
                seen = (question["message_id"], key)
                await self._answer(question)
        except TimeoutError:
            self.out.errors.append(f"no reply within {self.timeout:.0f} s")
        except _TimeBound:
            pass  # the run's time bound: neither finished nor an error
        return self.out

    def _check(self, key: str) -> None:
        self.out.questions.append(key)
        if self.reference is None:
            return
        n = len(self.out.questions)
        expected = self.reference[n - 1] if n <= len(self.reference) else "(end)"
        if key != expected and not self.out.errors:
            self.out.errors.append(f"question {n}: got {key[:60]!r}, expected {expected[:60]!r}")

    async def _next_question(self, seen: tuple[int, str] | None) -> dict[str, Any] | None:
        """Wait until the bot shows something to act on; None when the conversation ended."""
        quiet_until = time.monotonic() + (self.quiet if self.reference is None else self.timeout)
        while True:
            record = self.tg.latest(self.user_id)
            if record is not None and self._actionable(record, seen):
                return record
            if self._ended(record):
                return None
            now = time.monotonic()
            if now >= self.deadline:
                raise _TimeBound
            remaining = min(quiet_until, self.deadline) - now
            if now >= quiet_until:
                if self.reference is None:
                    return None
                raise TimeoutError
            self.event.clear()
            try:
                await asyncio.wait_for(self.event.wait(), max(remaining, 0.01))
            except TimeoutError:
                continue

    def _ended(self, record: dict[str, Any] | None) -> bool:
        if record is not None and self.last is not None and self.last in record["text"]:
            return True
        if self.reference is None or record is None:
            return False
        n = len(self.out.questions)
        return n >= len(self.reference) and record["text"] == self.reference_end

    def _key(self, record: dict[str, Any]) -> str | None:
        """Which question a message asks ("q:<item>"), None when there is nothing to do."""
        if self._typed(record) is not None:  # the same with or without its skip button
            return f"text:{_bare(record['text'])[:80]}"
        ops = [o for o in _ops(record) if o[0] != "p"]
        if ops:
            op, item = ops[0][0], ops[0][1]
            return "l" if op == "l" else f"{'q' if op in 'atds' else op}:{item}"
        return None

    def _actionable(self, record: dict[str, Any], seen: tuple[int, str] | None) -> bool:
        """A question this person has not answered yet (a re-sent or re-asked question it
        already answered is left alone, as a person would)."""
        key = self._key(record)
        if key is None or key in self.answered:
            return False
        return self.acted != (record["message_id"], len(record["edits"]))

    async def _answer(self, record: dict[str, Any]) -> None:
        self.acted = (record["message_id"], len(record["edits"]))
        key = self._key(record) or ""
        ops = _ops(record)
        kinds = {op for op, *_ in ops}
        uid, mid = self.user_id, record["message_id"]
        press = self.tg.user_press
        typed = self._typed(record) if not kinds & {"a", "t", "l"} else None
        if typed is not None:
            self.answered.add(key)
            return await self._send(lambda: self.tg.user_text(uid, typed))
        if "l" in kinds:
            mine = [d for op, _i, code, d in ops if op == "l" and code == self.persona.language]
            pages = [d for op, *_r, d in ops if op == "p"]
            if mine:
                self.answered.add(key)
            data = mine[0] if mine else pages[-1]  # not on this page: turn it
            return await self._send(lambda: press(uid, mid, data))
        self.answered.add(key)
        if "r" in kinds or "n" in kinds or "o" in kinds:
            return await self._after_intake(record, ops)
        if "t" in kinds:
            if key in self.toggled:  # ticked one already: done
                data = next(d for op, *_r, d in ops if op == "d")
            else:
                self.answered.discard(key)  # "done" still to press
                self.toggled.add(key)
                toggles = [d for op, *_r, d in ops if op == "t"]
                data = toggles[self.persona.choose(key, len(toggles))]
            return await self._send(lambda: press(uid, mid, data))
        answers = [d for op, _i, _c, d in ops if op == "a"]
        if answers:
            data = answers[self.persona.choose(key, len(answers))]
            return await self._send(lambda: press(uid, mid, data))
        return await self._send(lambda: self.tg.user_text(uid, TYPED_DEFAULT))

    async def _after_intake(
        self, record: dict[str, Any], ops: list[tuple[str, str, str, str]]
    ) -> None:
        uid, mid = self.user_id, record["message_id"]
        refer = [(i, c, d) for op, i, c, d in ops if op == "r"]
        if not refer:  # offers only: go on to the next page of offers
            data = next(d for op, *_r, d in ops if op == "n")
            return await self._send(lambda: self.tg.user_press(uid, mid, data))
        if self.persona.refer:
            yes = [d for _i, c, d in refer if c in ("yes", "bot")]
            data = yes[0] if yes else refer[0][2]
        else:
            no = [d for _i, c, d in refer if c in ("no", "finish", "done")]
            data = no[0] if no else refer[-1][2]
        return await self._send(lambda: self.tg.user_press(uid, mid, data))

    def _typed(self, record: dict[str, Any]) -> str | None:
        # a question may come after an info text in the same message (one message per step)
        shown = "\n\n" + _bare(record["text"])
        return next((a for prompt, a in self.prompts if f"\n\n{_bare(prompt)}" in shown), None)

    reference_end = ""
