"""Recall and false alarms of the danger detection, per locale and category, on a corpus of
messages as people write them (`tests/safety_corpus/<locale>.yaml`).

A danger message counts as found when its category is among the categories detected (so the
help fits); a calm message is a false alarm when anything is detected. The suite fails below
90 % recall or above 2 % false alarms in any locale or category. `python -m
tests.test_safety_corpus` prints the table that docs/safety.md shows (a test checks it is the
current one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from base.i18n import LOCALE_ORDER as LOCALES
from dialogs import safety
from dialogs.helplines import helplines

CORPUS = Path(__file__).resolve().parent / "safety_corpus"
MIN_RECALL = 0.90
MAX_FALSE_ALARMS = 0.02
MIN_DANGER, MIN_CALM = 15, 10


@dataclass
class Score:
    found: int = 0
    total: int = 0
    missed: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.found / self.total if self.total else 1.0


@dataclass
class LocaleScore:
    locale: str
    review: str
    recall: dict[str, Score] = field(default_factory=dict)
    calm: Score = field(default_factory=Score)  # found = false alarms

    @property
    def overall(self) -> Score:
        total = Score()
        for s in self.recall.values():
            total.found += s.found
            total.total += s.total
            total.missed += s.missed
        return total


def corpus(locale: str) -> dict:
    return yaml.safe_load((CORPUS / f"{locale}.yaml").read_text(encoding="utf-8"))


def score(locale: str) -> LocaleScore:
    data = corpus(locale)
    result = LocaleScore(locale, safety.review_status().get(locale, "missing"))
    for category, messages in data["danger"].items():
        s = result.recall.setdefault(category, Score())
        for message in messages:
            found = safety.detect(message)
            s.total += 1
            if found is not None and category in found.categories:
                s.found += 1
            else:
                s.missed.append(f"{message!r} -> {found.categories if found else None}")
    for message in data["calm"]:
        found = safety.detect(message)
        result.calm.total += 1
        if found is not None:
            result.calm.found += 1
            result.calm.missed.append(f"{message!r} -> {found.categories}")
    return result


def table(scores: list[LocaleScore]) -> str:
    """Markdown: recall per category, overall recall and false alarms per locale."""
    head = ["locale", "lexicon", *safety.CATEGORIES, "recall", "false alarms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for sc in scores:
        cells = [sc.locale, sc.review]
        for category in safety.CATEGORIES:
            s = sc.recall.get(category, Score())
            cells.append(f"{s.found}/{s.total}")
        o = sc.overall
        cells.append(f"{o.rate:.0%} ({o.found}/{o.total})")
        cells.append(f"{sc.calm.rate:.0%} ({sc.calm.found}/{sc.calm.total})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_every_locale_has_a_reviewed_lexicon_entry_and_a_corpus():
    assert set(safety.languages()) == set(LOCALES)
    assert set(safety.review_status().values()) <= {"machine-draft", "reviewed"}
    assert {p.stem for p in CORPUS.glob("*.yaml")} == set(LOCALES)


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_corpus_is_large_enough(locale):
    data = corpus(locale)
    danger = sum(len(v) for v in data["danger"].values())
    assert danger >= MIN_DANGER and len(data["calm"]) >= MIN_CALM
    assert set(data["danger"]) == set(safety.CATEGORIES), "every category in every locale"


def test_recall_and_false_alarms_per_locale_and_category():
    scores = [score(locale) for locale in sorted(LOCALES)]
    print("\n" + table(scores))
    problems = []
    for sc in scores:
        if sc.overall.rate < MIN_RECALL:
            problems.append(f"{sc.locale}: recall {sc.overall.rate:.0%}: {sc.overall.missed}")
        if sc.calm.rate > MAX_FALSE_ALARMS:
            problems.append(f"{sc.locale}: false alarms {sc.calm.missed}")
    for category in safety.CATEGORIES:
        pooled = Score()
        for sc in scores:
            s = sc.recall.get(category, Score())
            pooled.found, pooled.total = pooled.found + s.found, pooled.total + s.total
            pooled.missed += s.missed
        if pooled.rate < MIN_RECALL:
            problems.append(f"{category}: recall {pooled.rate:.0%}: {pooled.missed}")
    assert not problems, "\n".join(problems)


def test_docs_show_the_measured_table_and_every_line_with_its_source():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "safety.md").read_text("utf-8")
    assert table([score(locale) for locale in sorted(LOCALES)]) in docs, (
        "docs/safety.md: paste the table `python -m tests.test_safety_corpus` prints"
    )
    for line in helplines().lines.values():
        assert line.number in docs and line.source in docs, line.id


if __name__ == "__main__":
    print(table([score(locale) for locale in sorted(LOCALES)]))
