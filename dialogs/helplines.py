"""Help lines as data (`dialogs/data/helplines.yaml`): who helps with which danger, at which age.

Also the age rule of the help: the answer of the flow's item with role `age`, whatever the
flow calls its codes, read conservatively — a band that includes an age under 16 counts as
under 16 (no referral, the youth lines first).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import yaml

HELPLINES_FILE = Path(__file__).resolve().parent / "data" / "helplines.yaml"
AGE_GROUPS = ("u16", "minor", "adult", "unknown")
LOCAL_JUGENDAMT = "jugendamt"  # not a line: the local Jugendamt from the catalogue


@dataclass(frozen=True)
class Helpline:
    id: str
    name: str
    number: str
    what: str  # German msgid, context "helpline:<id>"
    languages: tuple[str, ...]
    source: str
    line: int = 0

    @property
    def context(self) -> str:
        return f"helpline:{self.id}"


@dataclass(frozen=True)
class Helplines:
    lines: dict[str, Helpline]
    help: dict[str, dict[str, tuple[str, ...]]]  # category -> age group -> line ids
    review: str

    def for_(self, categories: Sequence[str], age: str) -> list[str]:
        """Line ids (and `jugendamt`) for these categories, most urgent category first."""
        found: list[str] = []
        for category in categories:
            for line in self.help.get(category, {}).get(age, ()):
                if line not in found:
                    found.append(line)
        return found


class _Loader(yaml.SafeLoader):
    """Keeps the line number of every mapping (for the translators' references)."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[str, Any]:
    found = loader.construct_mapping(node, deep=True)
    found["@line"] = node.start_mark.line + 1
    return found


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def parse(data: dict[str, Any]) -> Helplines:
    lines = {
        str(key): Helpline(
            id=str(key),
            name=str(entry["name"]),
            number=str(entry["number"]),
            what=str(entry["what"]),
            languages=tuple(str(x) for x in entry.get("languages") or ()),
            source=str(entry["source"]),
            line=int(entry.get("@line", 0)),
        )
        for key, entry in data["lines"].items()
        if key != "@line"
    }
    help_: dict[str, dict[str, tuple[str, ...]]] = {}
    for category, by_age in data["help"].items():
        if category == "@line":
            continue
        help_[str(category)] = {
            str(age): tuple(str(x) for x in ids) for age, ids in by_age.items() if age != "@line"
        }
        unknown = {x for ids in help_[str(category)].values() for x in ids}
        unknown -= {*lines, LOCAL_JUGENDAMT}
        if unknown or set(help_[str(category)]) != set(AGE_GROUPS):
            raise ValueError(f"helplines: {category}: unknown lines {unknown} or age groups")
    return Helplines(lines, help_, str((data.get("review") or {}).get("status", "")))


@lru_cache(maxsize=1)
def helplines() -> Helplines:
    return parse(yaml.load(HELPLINES_FILE.read_text(encoding="utf-8"), Loader=_Loader))  # noqa: S506


# ---------------------------------------------------------------- the age rule

_UNDER = re.compile(r"^(?:u|unter|under|<)\s*(\d{1,3})$")
_BAND = re.compile(r"^(\d{1,3})\s*(?:-|–|bis|to)\s*(\d{1,3})$")
_FROM = re.compile(r"^(\d{1,3})\s*(?:\+|plus|und älter|or older)$")


def _by_lowest(age: float) -> str:
    return "u16" if age < 16 else "minor" if age < 18 else "adult"


def age_group(value: object) -> str:
    """u16 | minor (16–17) | adult | unknown, from a number or an answer code such as
    "u16", "16-17", "18-20", "27plus", "27+"; the youngest age an answer allows decides."""
    if isinstance(value, bool) or value is None:
        return "unknown"
    if isinstance(value, int | float):
        return _by_lowest(float(value)) if 0 < value < 130 else "unknown"
    code = str(value).strip().lower()
    if code.isdecimal():
        return age_group(int(code))
    if _UNDER.match(code):
        return "u16"  # "under N" allows any younger age
    if m := _BAND.match(code):
        return _by_lowest(int(m[1]))
    if m := _FROM.match(code):
        return _by_lowest(int(m[1]))
    return "unknown"


# ---------------------------------------------------------------- translation


def extract(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: dict[str, Any],
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel extraction method for the help lines' `what` texts."""
    found = parse(yaml.load(fileobj.read().decode("utf-8"), Loader=_Loader))  # noqa: S506
    for line in found.lines.values():
        comment = f"help line {line.name} ({line.number}): what it is, when it answers"
        yield line.line, "pgettext", (line.context, line.what), [comment]
