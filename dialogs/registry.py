"""The flows the bot serves: every file checked with what the running bot needs (the loader's
checks, buttons that fit Telegram, ids and codes that fit the database), once.

`load_registry` is strict (tests, `wegweiser flows check`): any problem is an error.
`load_serving` is what `serve` and `chat` use: a broken file is reported in the log and left
out, so one bad file never stops the others from being served.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dialogs.buttons import MAX_BYTES, Op, digest, encode
from dialogs.loader import FlowError, Problem, read_flow
from dialogs.model import Flow

__all__ = ["FlowError", "Registry", "check_flow", "load_registry", "load_serving", "scan"]

log = logging.getLogger(__name__)

STORED_CHARS = 64  # flow ids, item ids and answer codes as the database keeps them


def check_flow(flow: Flow) -> list[Problem]:
    """What the running bot needs beyond the file's own checks."""
    problems = []

    def add(line: int, item: str | None, message: str) -> None:
        problems.append(Problem(flow.path, line, item, message))

    if len(flow.id) > STORED_CHARS:
        add(1, None, f"flow id longer than {STORED_CHARS} characters")
    for item in flow.items:
        if len(item.id) > STORED_CHARS:
            add(item.line, item.id, f"item id longer than {STORED_CHARS} characters")
        if not item.asks:
            continue
        try:  # every question has back/skip buttons; a long answer code is shortened
            encode(Op.BACK, flow.version, item.id, "")
            for choice in item.choices:
                encode(Op.TOGGLE, flow.version, item.id, choice.code)
        except ValueError:
            # "op:version:item:code"; a code longer than its stand-in is shortened
            codes = [min(len(c.code.encode()), len(digest(c.code))) for c in item.choices]
            limit = MAX_BYTES - len(encode(Op.BACK, flow.version, "", "")) - max(codes, default=0)
            message = f"item id longer than {limit} bytes: its buttons do not fit Telegram's 64"
            add(item.line, item.id, message)
            continue
        seen: dict[str, str] = {}
        for choice in item.choices:
            if len(choice.code) > STORED_CHARS:
                message = f"answer code longer than {STORED_CHARS} characters: '{choice.code}'"
                add(item.line, item.id, message)
            short = digest(choice.code)
            if seen.setdefault(short, choice.code) != choice.code:
                add(item.line, item.id, f"answer codes '{seen[short]}' and '{choice.code}' clash")
    return problems


check_buttons = check_flow  # the name callers used before storage limits were checked too


@dataclass
class Registry:
    flows: dict[str, Flow] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files left out because of problems


def flow_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given and the *.yaml files of directories; FileNotFoundError for a path
    that does not exist."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(path.glob("*.yaml")))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(str(path))
    return list({f.resolve(): f for f in files}.values())  # a file named twice is one file


def scan(files: Iterable[Path]) -> Registry:
    """Check every file; a file with problems (or a second file with a flow id already
    loaded) is skipped with its problems."""
    reg = Registry()
    for file in files:
        flow, id_line, problems = read_flow(file)
        if flow is not None:
            problems = check_flow(flow)
        if flow is not None and flow.id in reg.flows and not problems:
            message = f"duplicate flow id '{flow.id}' (also in {reg.flows[flow.id].path})"
            problems = [Problem(flow.path, id_line, None, message)]
        if flow is None or problems:
            reg.problems.extend(problems)
            reg.skipped.append(str(file))
        else:
            reg.flows[flow.id] = flow
    return reg


def load_registry(directory: str | os.PathLike[str]) -> dict[str, Flow]:
    """Every flow of a directory; FlowError lists all problems of all files."""
    reg = scan(flow_files([directory]))
    if reg.problems:
        raise FlowError(reg.problems)
    return reg.flows


def load_serving(directory: str | os.PathLike[str]) -> Registry:
    """Every good flow of a directory; each broken file is logged (one line) and left out."""
    reg = scan(flow_files([directory]))
    for path in reg.skipped:
        mine = [p for p in reg.problems if p.path == path]
        first = f"{mine[0].line}: {mine[0].message}" if mine else "unreadable"
        log.error(
            "flow file %s skipped: %d problem(s), first at line %s; "
            "run `wegweiser flows check %s` for all",
            path,
            len(mine),
            first,
            path,
        )
    return reg
