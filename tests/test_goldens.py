"""Golden conversations: inputs and the exact expected replies, replayed through the runtime.

Optional `seed: intake` loads the test Bündnis with offers first (`intake-jugendamt`: and its
Jugendamt). Optional `first_offer:
{text: …, within: N}` measures how soon a person reaches a useful offer: the first reply
showing `text` must come at the N-th input or earlier. Referral dates are computed on a
fixed day (`TODAY`), so a golden reads the same every day.
Inputs: "/cmd arg" is a command, "lang:xx" picks a language, "#N" presses the N-th button
of the latest reply that had buttons, "@label" the button with that label, anything else is
typed text. Besides what the person
reads, every step records the effects handed to the domain handlers and the stored state
(question, answers, pending confirmation), so a change that keeps the words but changes what
is stored or done fails too. Regenerate with `pytest --update-goldens` and review the diff
like code.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import delete, select

from base import rtl
from bot.runtime import Inbound
from dialogs.buttons import Op, encode
from dialogs.effects import Completed, OffersWanted, ReferralWanted
from dialogs.io import Command, Event, Press, Text
from store.models import OutboxMessage
from tests.conftest import settings_for
from tests.intake_support import add_jugendamt, seed
from wegweiser.services import build

GOLDENS = Path(__file__).resolve().parent / "goldens"
FILES = sorted(GOLDENS.glob("*.yaml"))
TODAY = dt.date(2026, 12, 7)  # a Monday: "meistens bis" three working days later is Thursday


class _Dumper(yaml.SafeDumper):
    """Multi-line texts as literal blocks, so a golden reads like the chat."""


_Dumper.add_representer(
    str,
    lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None),
)


def _event(line: str, buttons: list[dict[str, Any]]) -> Event:
    if line.startswith("/"):
        name, _, arg = line[1:].partition(" ")
        return Command(name, arg)
    if line.startswith("lang:"):
        return Press(encode(Op.LANGUAGE, "", "", line[5:]))
    if line.startswith("#") and line[1:].isdigit():
        return Press(buttons[int(line[1:]) - 1]["data"])
    if line.startswith("@"):
        plain = {b["label"].replace(rtl.FSI, "").replace(rtl.PDI, ""): b for b in buttons}
        return Press(plain[line[1:]]["data"])
    return Text(line)


def _shown(payload: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"text": payload["text"]}
    if payload["buttons"]:
        out["buttons"] = [("✓ " if b["selected"] else "") + b["label"] for b in payload["buttons"]]
    return out


def _effect(effect: Any) -> str:
    """An effect in one line: its type and the fields that say what it asks for."""
    name = type(effect).__name__
    if isinstance(effect, Completed):
        return f"{name}({effect.kind}: {', '.join(a.item for a in effect.answers)})"
    if isinstance(effect, ReferralWanted):
        shared = ", ".join(a.item for a in effect.shared)
        return f"{name}(via {effect.contact_via}: {shared})"
    if isinstance(effect, OffersWanted):
        return f"{name}({', '.join(effect.profile.get('needs') or [])}; count={effect.count})"
    fields = {k: v for k, v in vars(effect).items() if k not in ("profile", "locale")}
    return f"{name}({', '.join(f'{k}={v}' for k, v in fields.items())})"


def _state(state: dict[str, Any] | None, before: dict[str, Any]) -> dict[str, Any]:
    """The question waiting, a pending confirmation, the help after danger (what is kept of it),
    and how the answers changed."""
    if state is None:
        return {"deleted": True}
    answers = state.get("answers") or {}
    out = {k: state.get(k) for k in ("item", "confirm", "care") if state.get(k) is not None}
    changed = {k: v for k, v in answers.items() if k not in before or before[k] != v}
    if changed:
        out["set"] = changed
    if gone := [k for k in before if k not in answers]:
        out["unset"] = gone
    return out


async def _replay(golden: dict[str, Any], db_url: str, tmp_path: Path) -> list[dict[str, Any]]:
    settings = settings_for(db_url, tmp_path, secret_key="g" * 40)
    services = build(settings)
    applied: list[str] = []
    apply = services.runtime.handlers.apply

    async def recording(turn: Any, effects: Any) -> Any:
        applied.extend(_effect(e) for e in effects)
        return await apply(turn, effects)

    services.runtime.handlers.apply = recording  # type: ignore[method-assign]
    if golden.get("seed") in ("intake", "intake-jugendamt"):  # tests/intake_support.py
        ids = await seed(services.sessions)
        if golden["seed"] == "intake-jugendamt":  # and its Jugendamt in the catalogue
            await add_jugendamt(services.sessions, ids["buendnis"])
    buttons: list[dict[str, Any]] = []
    answers: dict[str, Any] = {}
    observed = []
    try:
        for n, step in enumerate(golden["steps"]):
            event = _event(str(step["in"]), buttons)
            inbound = Inbound("test", "golden", "golden", event, f"g{n}", golden.get("flow"))
            await services.runtime.handle(inbound)
            async with services.sessions() as s, s.begin():  # "deliver": read, then remove
                rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
                await s.execute(delete(OutboxMessage))
            buttons = next(
                (r.payload["buttons"] for r in reversed(rows) if r.payload["buttons"]), buttons
            )
            seen: dict[str, Any] = {"in": step["in"], "out": [_shown(r.payload) for r in rows]}
            if applied:
                seen["effects"] = list(applied)
                applied.clear()
            state = await services.runtime.state_of("test", "golden")
            seen["state"] = _state(state, answers)
            answers = dict((state or {}).get("answers") or {})
            observed.append(seen)
    finally:
        await services.close()
    return observed


def _first_offer_at(observed: list[dict[str, Any]], text: str) -> int | None:
    """The 1-based number of the input after which `text` was first shown."""
    for n, seen in enumerate(observed, start=1):
        shown = "\n".join(o["text"] for o in seen["out"]).replace(rtl.FSI, "")
        if text in shown.replace(rtl.PDI, ""):
            return n
    return None


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden(
    path: Path,
    db_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("referrals.effects.today", lambda: TODAY)
    monkeypatch.setattr(
        "referrals.lifecycle.utcnow", lambda: dt.datetime.combine(TODAY, dt.time(10))
    )
    golden = yaml.safe_load(path.read_text(encoding="utf-8"))
    observed = asyncio.run(_replay(golden, db_url, tmp_path))
    if "first_offer" in golden:
        wanted = golden["first_offer"]
        at = _first_offer_at(observed, wanted["text"])
        assert at is not None and at <= wanted["within"], (
            f"first offer {wanted['text']!r} after input {at}, wanted at most {wanted['within']}"
        )
    if request.config.getoption("--update-goldens"):
        golden["steps"] = observed
        text = yaml.dump(golden, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
        path.write_text(text, encoding="utf-8")
        return
    for want, got in zip(golden["steps"], observed, strict=True):
        assert got["out"] == want["out"], f"after input {want['in']!r}"
        assert got.get("effects") == want.get("effects"), f"effects of {want['in']!r}"
        assert got["state"] == want.get("state"), f"state after {want['in']!r}"
