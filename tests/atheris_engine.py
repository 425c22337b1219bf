"""Coverage-guided fuzzing of the pure engine with atheris (optional, not part of `make test`).

    .venv/bin/pip install atheris   # a wheel for CPython 3.11 on x86-64 Linux
    .venv/bin/python tests/atheris_engine.py -atheris_runs=200000

Each input is split into events (typed text, button data, commands) and fed through every
flow in every language of the fuzz tests, from the first question on. A crash is an
uncaught exception; atheris writes the input that caused it to `crash-…`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from base.normalize import parse_number
    from dialogs.buttons import Op, encode
    from dialogs.engine import step
    from dialogs.io import Command, Event, Press, State, Text
    from dialogs.registry import load_registry
    from wegweiser.services import lexicon

FLOWS = load_registry(Path(__file__).resolve().parent.parent / "dialogs" / "flows")
LEXICON = lexicon()
LOCALES = ("de", "ar", "fa", "en")


def events(fdp: atheris.FuzzedDataProvider) -> list[Event]:
    out: list[Event] = []
    for _ in range(fdp.ConsumeIntInRange(1, 12)):
        kind = fdp.ConsumeIntInRange(0, 3)
        text = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 200))
        if kind == 0:
            out.append(Press(text))
        elif kind == 1:
            out.append(Command(text[:10].lower(), text[10:]))
        else:
            out.append(Text(text))
    return out


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    flow = list(FLOWS.values())[fdp.ConsumeIntInRange(0, len(FLOWS) - 1)]
    locale = LOCALES[fdp.ConsumeIntInRange(0, len(LOCALES) - 1)]
    state = step(flow, State(), Press(encode(Op.LANGUAGE, "", "", locale)), LEXICON).state
    for event in events(fdp):
        result = step(flow, state, event, LEXICON)
        assert result.replies, event
        if isinstance(event, Text):
            parse_number(event.text)
        state = result.state


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
