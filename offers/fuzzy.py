"""Normalisation and fuzzy matching for offer search and Gemeinde names (rapidfuzz).

Both spellings of a German umlaut are matched: "Münster", "Muenster", "Munster" and
"münster" are the same name. Text in other scripts is normalised too (Arabic/Persian letter
variants, diacritics and tatweel; Cyrillic ё), so keywords in any locale can be searched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz

from base.normalize import canonical

_UMLAUTS = {ord("ä"): "ae", ord("ö"): "oe", ord("ü"): "ue"}
_TRANSLIT = re.compile(r"(?<=[a-z])(ae|oe|ue)")
_PUNCT = re.compile(r"[\s\-_/.,;:!?()\"'«»„“”‚‘’]+")


def _base(text: str) -> str:
    return _PUNCT.sub(" ", canonical(text)).strip()


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept)


def keys(text: str) -> tuple[str, ...]:
    """Comparable forms of `text`: umlauts written out ("muenster") and plain ("munster")."""
    base = _base(text)
    expanded = _strip_marks(base.translate(_UMLAUTS))
    plain = _strip_marks(base)
    folded = _TRANSLIT.sub(lambda m: m.group(1)[0], expanded)  # "muenster" -> "munster"
    return tuple(dict.fromkeys((expanded, plain, folded)))


def normalize(text: str) -> str:
    """The canonical search form (umlauts written out, no diacritics, casefolded)."""
    return keys(text)[0]


def similarity(query: str, candidate: str, *, partial: bool = False) -> float:
    """0-100: how well `query` matches `candidate` over all their normalised forms."""
    scorer = fuzz.partial_ratio if partial else fuzz.ratio
    best = 0.0
    for q in keys(query):
        if not q:
            continue
        for c in keys(candidate):
            if c:
                best = max(best, float(scorer(q, c)))
    return best


def match_gemeinde(
    names: Sequence[str], typed: str, *, accept: float = 85.0, suggest: float = 60.0
) -> tuple[str | None, float, list[str]]:
    """The Gemeinde the person meant: (name or None, score 0-100, suggestions).

    A name is taken when it scores at least `accept` and clearly beats the runner-up;
    otherwise up to three names scoring at least `suggest` are offered as suggestions
    ("Meinst du …?"), best first.
    """
    if not typed or not typed.strip() or not names:
        return None, 0.0, []
    scored = sorted(
        ((similarity(typed, n), n) for n in dict.fromkeys(names)), key=lambda x: (-x[0], x[1])
    )
    best_score, best_name = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    suggestions = [n for s, n in scored[:3] if s >= suggest]
    if best_score >= accept and (best_score == 100.0 or best_score - runner_up >= 5.0):
        return best_name, best_score, suggestions
    return None, best_score, suggestions
