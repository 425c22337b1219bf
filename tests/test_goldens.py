"""Golden conversations: inputs and the exact expected replies, replayed through the runtime.

Optional `seed: intake` loads the test Bündnis with offers first.
Inputs: "/cmd arg" is a command, "lang:xx" picks a language, "#N" presses the N-th button
of the latest reply that had buttons, anything else is typed text. Regenerate with
`pytest --update-goldens` and review the diff like code.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import delete, select

from bot.runtime import Inbound
from dialogs.buttons import Op, encode
from dialogs.io import Command, Event, Press, Text
from store.models import OutboxMessage
from tests.conftest import settings_for
from tests.intake_support import seed
from wegweiser.services import build

GOLDENS = Path(__file__).resolve().parent / "goldens"
FILES = sorted(GOLDENS.glob("*.yaml"))


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
    return Text(line)


def _shown(payload: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"text": payload["text"]}
    if payload["buttons"]:
        out["buttons"] = [("✓ " if b["selected"] else "") + b["label"] for b in payload["buttons"]]
    return out


async def _replay(golden: dict[str, Any], db_url: str, tmp_path: Path) -> list[dict[str, Any]]:
    settings = settings_for(db_url, tmp_path, secret_key="g" * 40)
    services = build(settings)
    if golden.get("seed") == "intake":  # the small Bündnis of tests/intake_support.py
        await seed(services.sessions)
    buttons: list[dict[str, Any]] = []
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
            observed.append({"in": step["in"], "out": [_shown(r.payload) for r in rows]})
    finally:
        await services.close()
    return observed


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden(path: Path, db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    golden = yaml.safe_load(path.read_text(encoding="utf-8"))
    observed = asyncio.run(_replay(golden, db_url, tmp_path))
    if request.config.getoption("--update-goldens"):
        golden["steps"] = observed
        text = yaml.dump(golden, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
        path.write_text(text, encoding="utf-8")
        return
    for want, got in zip(golden["steps"], observed, strict=True):
        assert got["out"] == want["out"], f"after input {want['in']!r}"
