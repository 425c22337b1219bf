"""Acute-danger words in every supported language (data in dialogs/data/safety.yaml)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from dialogs.normalize import normalize

SAFETY_FILE = Path(__file__).resolve().parent / "data" / "safety.yaml"


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    data: dict[str, list[str]] = yaml.safe_load(SAFETY_FILE.read_text(encoding="utf-8"))
    words = sorted({normalize(str(w)) for ws in data.values() for w in ws if str(w).strip()})
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def languages() -> list[str]:
    return sorted(yaml.safe_load(SAFETY_FILE.read_text(encoding="utf-8")))


def is_danger(text: str) -> bool:
    """True when the message contains a danger word or phrase of any supported language."""
    return bool(_pattern().search(normalize(text)))
