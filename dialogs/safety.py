"""Danger in what a person writes: self-harm, violence at home, sexual violence, threats,
acute emergencies — in every supported language, whatever the language of the chat.

The lexicons are data (`dialogs/data/safety/<locale>.yaml`, format in
`dialogs/data/safety/README.md`): phrases of word patterns with gaps, stems and fuzzy
matching of long words, plus exceptions that cancel a match they overlap ("Notfall-Zahnarzt").
Every message is checked against every locale: people write in the language they think in,
not the one they picked. `detect` is pure and never raises; the text is never kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from base.normalize import normalize

LEXICON_DIR = Path(__file__).resolve().parent / "data" / "safety"
# Most urgent first: the first category found decides the acknowledgement.
CATEGORIES = ("emergency", "self_harm", "sexual_violence", "home_violence", "threat")
DEFAULT_GAP = 2  # other words allowed between two elements of a phrase
FUZZY_MIN = 7  # words this long match with one typo; from FUZZY_TWO on with two
FUZZY_TWO = 11
CACHE_WORDS = 50_000  # words whose matches are remembered
WITHIN = 8  # an unordered `all:` pattern: its elements within this many words

# Letters typed interchangeably in Arabic-script languages (Sorani, Urdu, Pashto keyboards),
# Ge'ez letters that sound alike in Tigrinya, apostrophes (Ukrainian б'є, English don't).
_FOLD = str.maketrans(
    {
        "ە": "ه", "ہ": "ه", "ھ": "ه", "ۀ": "ه", "ۆ": "و", "ۇ": "و", "ێ": "ی", "ے": "ی",
        "ۓ": "ی", "ې": "ی", "ۍ": "ی", "ڕ": "ر", "ڵ": "ل", "ګ": "گ", "ك": "ک",
        "'": "", "’": "", "ʼ": "", "`": "", "´": "", "‘": "",
    }
    | {chr(0x1220 + i): chr(0x1230 + i) for i in range(8)}  # ሠ series -> ሰ series
    | {chr(0x1340 + i): chr(0x1338 + i) for i in range(7)}  # ፀ series -> ጸ series
)  # fmt: skip
_REPEATS = re.compile(r"(\w)\1{2,}")  # "soooo" -> "so", "موووت" -> "موت"
_PERSIAN_PREFIX = re.compile(r"(?<!\w)(ن?می) (?=\w)")  # "می خوام" -> "میخوام"
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The words of a text, folded the way lexicon entries are."""
    return _WORD.findall(_REPEATS.sub(r"\1", normalize(text).translate(_FOLD)))


def variants(text: str) -> list[list[str]]:
    """The words, and — when the text has a separate Persian "می" — the words with it joined
    to the next one, as written without the space ("می خوام" → "میخوام"; Pashto مې stays)."""
    plain = words(text)
    folded = _REPEATS.sub(r"\1", normalize(text).translate(_FOLD))
    joined = _WORD.findall(_PERSIAN_PREFIX.sub(r"\1", folded))
    return [plain] if joined == plain else [plain, joined]


# ---------------------------------------------------------------- compiled lexicons


@dataclass(frozen=True)
class Atom:
    """One way a word may look: exact (`wort`), prefix (`wort*`), suffix (`*wort`),
    contained (`*wort*`); `=wort` is exact without typo tolerance."""

    kind: str  # exact | prefix | suffix | contains
    text: str
    fuzzy: bool


@dataclass(frozen=True)
class Pattern:
    locale: str
    category: str
    elements: tuple[frozenset[Atom], ...]
    gaps: tuple[int, ...]  # words allowed before element i (gaps[0] unused)
    ordered: bool = True
    source: str = ""


@dataclass
class Lexicon:
    locale: str
    review: str
    patterns: list[Pattern] = field(default_factory=list)
    exceptions: list[Pattern] = field(default_factory=list)


class LexiconError(ValueError):
    pass


def _atom(raw: str, where: str, fuzzy_ok: bool = True) -> Atom:
    exact = raw.startswith("=") or not fuzzy_ok
    body = raw[1:] if raw.startswith("=") else raw
    start, end = body.startswith("*"), body.endswith("*") and len(body) > 1
    core = body.strip("*")
    folded = words(core)
    if len(folded) != 1:
        raise LexiconError(f"{where}: {raw!r} is not one word")
    text = folded[0]
    kind = {(False, False): "exact", (False, True): "prefix", (True, False): "suffix"}.get(
        (start, end), "contains"
    )
    fuzzy = not exact and kind in ("exact", "prefix") and len(text) >= FUZZY_MIN
    return Atom(kind, text, fuzzy)


def _element(
    raw: str, classes: Mapping[str, frozenset[Atom]], where: str, fuzzy_ok: bool = True
) -> frozenset[Atom]:
    atoms: set[Atom] = set()
    for alt in raw.split("|"):
        if alt.startswith("$"):
            if alt[1:] not in classes:
                raise LexiconError(f"{where}: unknown word class {alt!r}")
            atoms |= classes[alt[1:]]
        elif alt:
            atoms.add(_atom(alt, where, fuzzy_ok))
    if not atoms:
        raise LexiconError(f"{where}: empty element in {raw!r}")
    return frozenset(atoms)


def _pattern(
    entry: Any, locale: str, category: str, classes: Mapping[str, frozenset[Atom]], where: str
) -> Pattern:
    fuzzy_ok = category in CATEGORIES  # exceptions match exactly: "durgence" is no "urgence"
    if isinstance(entry, Mapping) and "all" in entry:
        parts = [str(p) for p in entry["all"]]
        alls = tuple(_element(p, classes, where, fuzzy_ok) for p in parts)
        within = int(entry.get("within", WITHIN))
        return Pattern(locale, category, alls, (within,) * len(alls), False, str(entry))
    if not isinstance(entry, str) or not entry.strip():
        raise LexiconError(f"{where}: a pattern is a phrase or {{all: [...]}}, not {entry!r}")
    elements: list[frozenset[Atom]] = []
    gaps: list[int] = []
    gap = DEFAULT_GAP
    for token in entry.split():
        if re.fullmatch(r"~\d+", token):
            gap = int(token[1:])
            continue
        elements.append(_element(token, classes, where, fuzzy_ok))
        gaps.append(gap)
        gap = DEFAULT_GAP
    if not elements:
        raise LexiconError(f"{where}: empty pattern")
    return Pattern(locale, category, tuple(elements), tuple(gaps), True, entry)


def parse_lexicon(data: Mapping[str, Any], name: str) -> Lexicon:
    locale = str(data.get("locale") or "")
    review = data.get("review") or {}
    if not locale or not isinstance(review, Mapping) or "status" not in review:
        raise LexiconError(f"{name}: needs `locale` and `review: {{status: ...}}`")
    classes: dict[str, frozenset[Atom]] = {}
    for cname, members in (data.get("words") or {}).items():
        alts = "|".join(str(m) for m in members)
        classes[str(cname)] = _element(alts, classes, f"{name}: words.{cname}")
    lex = Lexicon(locale, str(review["status"]))
    for category, entries in (data.get("patterns") or {}).items():
        if category not in CATEGORIES:
            raise LexiconError(f"{name}: unknown category {category!r}")
        for n, entry in enumerate(entries or []):
            where = f"{name}: patterns.{category}[{n}]"
            lex.patterns.append(_pattern(entry, locale, category, classes, where))
    for n, entry in enumerate(data.get("except") or []):
        where = f"{name}: except[{n}]"
        only = "*"
        if isinstance(entry, Mapping) and "not" in entry:  # cancels only these categories
            only = ",".join(str(c) for c in entry.get("categories") or CATEGORIES)
            entry = entry["not"]
        lex.exceptions.append(_pattern(entry, locale, only, classes, where))
    return lex


@lru_cache(maxsize=1)
def lexicons() -> tuple[Lexicon, ...]:
    found = []
    for path in sorted(LEXICON_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.append(parse_lexicon(data, path.name))
    return tuple(found)


def languages() -> list[str]:
    return sorted(lex.locale for lex in lexicons())


def review_status() -> dict[str, str]:
    return {lex.locale: lex.review for lex in lexicons()}


# ---------------------------------------------------------------- matching


class _Index:
    """All atoms of all lexicons, for looking up which atoms one word satisfies."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        atoms = {a for p in patterns for e in p.elements for a in e}
        self.exact: dict[str, set[Atom]] = {}
        self.prefix: dict[str, set[Atom]] = {}
        self.suffix: dict[str, set[Atom]] = {}
        self.contains: list[Atom] = []
        for a in atoms:
            table = {"exact": self.exact, "prefix": self.prefix, "suffix": self.suffix}
            if a.kind in table:
                table[a.kind].setdefault(a.text, set()).add(a)
            else:
                self.contains.append(a)
        self.fuzzy_exact = sorted({a.text for a in atoms if a.fuzzy and a.kind == "exact"})
        stems = sorted({a.text for a in atoms if a.fuzzy and a.kind == "prefix"})
        self.fuzzy_stems: dict[int, list[str]] = {}
        for stem in stems:
            self.fuzzy_stems.setdefault(len(stem), []).append(stem)

    def atoms(self, word: str) -> frozenset[Atom]:
        found: set[Atom] = set(self.exact.get(word, ()))
        for n in range(1, len(word) + 1):
            found |= self.prefix.get(word[:n], set())
            found |= self.suffix.get(word[-n:], set())
        found.update(a for a in self.contains if a.text in word)
        if len(word) >= FUZZY_MIN - 1:
            found |= self._fuzzy(word)
        return frozenset(found)

    def _fuzzy(self, word: str) -> set[Atom]:
        found: set[Atom] = set()
        limit = 2 if len(word) >= FUZZY_TWO else 1
        for text, score, _i in process.extract(
            word, self.fuzzy_exact, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
        ):
            if score < 2 or len(text) >= FUZZY_TWO:  # two typos only between two long words
                found.update(a for a in self.exact[text] if a.fuzzy)
        for length, stems in self.fuzzy_stems.items():
            for cut in {length - 1, length, length + 1}:
                if cut < FUZZY_MIN - 1 or cut > len(word):
                    continue
                for stem, _score, _i in process.extract(
                    word[:cut], stems, scorer=Levenshtein.distance, score_cutoff=1, limit=None
                ):
                    found.update(a for a in self.prefix[stem] if a.fuzzy)
        return found


def _spans(pattern: Pattern, seen: Sequence[frozenset[Atom]]) -> Iterator[tuple[int, int]]:
    """(first, last) word positions of every place `pattern` matches."""
    hits = [[i for i, atoms in enumerate(seen) if atoms & element] for element in pattern.elements]
    if any(not h for h in hits):
        return
    if not pattern.ordered:
        window = pattern.gaps[0]
        for start in hits[0]:
            chosen = [min(h, key=lambda i: abs(i - start)) for h in hits]
            if max(chosen) - min(chosen) <= window:
                yield min(chosen), max(chosen)
        return

    def extend(k: int, at: int) -> int | None:
        if k == len(hits):
            return at
        for i in hits[k]:
            if at < i <= at + 1 + pattern.gaps[k]:
                end = extend(k + 1, i)
                if end is not None:
                    return end
        return None

    for start in hits[0]:
        end = extend(1, start)
        if end is not None:
            yield start, end


def _by_first(patterns: Iterable[Pattern]) -> dict[Atom, list[Pattern]]:
    index: dict[Atom, list[Pattern]] = {}
    for p in patterns:
        for atom in p.elements[0]:
            index.setdefault(atom, []).append(p)
    return index


@dataclass(frozen=True)
class Detection:
    categories: tuple[str, ...]  # most urgent first
    locale: str  # the lexicon most matches come from (the language it is probably written in)

    @property
    def category(self) -> str:
        return self.categories[0]


@dataclass
class Detector:
    lexicons: Sequence[Lexicon]

    def __post_init__(self) -> None:
        self.patterns = [p for lex in self.lexicons for p in lex.patterns]
        self.exceptions = [p for lex in self.lexicons for p in lex.exceptions]
        self.index = _Index([*self.patterns, *self.exceptions])
        self._cache: dict[str, frozenset[Atom]] = {}
        # each pattern under the atoms of its first element: only those can match at all
        self._first = [_by_first(self.patterns), _by_first(self.exceptions)]

    def _candidates(self, present: frozenset[Atom], exceptions: bool) -> list[Pattern]:
        index = self._first[exceptions]
        found = {id(p): p for atom in present for p in index.get(atom, ())}
        return [p for p in found.values() if all(present & e for e in p.elements)]

    def matches(self, text: str) -> list[Pattern]:
        """Every pattern that matches somewhere no exception matches too."""
        found: dict[int, Pattern] = {}
        for tokens in variants(text[:4000]):
            for p in self._matches(tokens):
                found[id(p)] = p
        return list(found.values())

    def _matches(self, tokens: list[str]) -> list[Pattern]:
        seen = [self._atoms(w) for w in tokens]
        present = frozenset().union(*seen) if seen else frozenset()
        if not present:
            return []
        blocked: dict[str, set[int]] = {c: set() for c in CATEGORIES}
        for ex in self._candidates(present, exceptions=True):
            for a, b in _spans(ex, seen):
                for c in CATEGORIES if ex.category == "*" else ex.category.split(","):
                    blocked[c].update(range(a, b + 1))
        out = []
        for p in self._candidates(present, exceptions=False):
            spans = _spans(p, seen)
            if any(blocked[p.category].isdisjoint(range(a, b + 1)) for a, b in spans):
                out.append(p)
        return out

    def _atoms(self, word: str) -> frozenset[Atom]:
        """What one word matches; remembered (bounded), most messages reuse their words."""
        found = self._cache.get(word)
        if found is None:
            if len(self._cache) > CACHE_WORDS:
                self._cache.clear()
            found = self._cache[word] = self.index.atoms(word)
        return found

    def detect(self, text: str) -> Detection | None:
        found = self.matches(text)
        if not found:
            return None
        categories = tuple(c for c in CATEGORIES if any(p.category == c for p in found))
        votes: dict[str, int] = {}
        for p in found:  # the language most of the matches come from
            votes[p.locale] = votes.get(p.locale, 0) + 1
        return Detection(categories, max(votes, key=lambda loc: votes[loc]))


@lru_cache(maxsize=1)
def detector() -> Detector:
    return Detector(lexicons())


def detect(text: str) -> Detection | None:
    """The danger categories in `text` (any language), or None. Never raises."""
    if not isinstance(text, str) or not text.strip():
        return None
    return detector().detect(text)


def is_danger(text: str) -> bool:
    return detect(text) is not None
