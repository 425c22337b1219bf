"""Benchmark: danger detection per message, against what every message costs anyway.

Every text a person sends is checked against the lexicons of all 15 languages
(`dialogs.safety.detect`) before the engine does anything else. Measured in the same run
(median of several runs, fresh word cache each run): the baseline `normalize()` of the same
texts (the folding every typed answer gets), and `detect()` on the corpus messages
(`tests/safety_corpus/*.yaml`, all languages), on unseen long messages (1000 characters,
the length limit, of random words: no cache hits) and on the corpus again with a warm cache.
Prints JSON with the timings per message and the ratios detect / baseline.

    .venv/bin/python bench/safety_detection.py [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from base.normalize import normalize
from dialogs import safety

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "safety_corpus"


def corpus() -> list[str]:
    found: list[str] = []
    for path in sorted(CORPUS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [m for ms in data["danger"].values() for m in ms] + list(data["calm"])
    return found


def long_messages(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    letters = string.ascii_lowercase + "äöüßابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    out = []
    for _ in range(n):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < 1000:
            words.append("".join(rnd.choice(letters) for _ in range(rnd.randint(2, 11))))
        out.append(" ".join(words)[:1000])
    return out


def per_message(fn: Callable[[str], object], texts: Sequence[str], fresh: bool) -> float:
    if fresh:
        safety.detector()._cache.clear()
    start = time.perf_counter()
    for text in texts:
        fn(text)
    return (time.perf_counter() - start) / len(texts) * 1000  # ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    messages = corpus()
    long = long_messages(50, 7)
    safety.detector()  # lexicons loaded and compiled once per process, not per message
    runs: dict[str, list[float]] = {k: [] for k in ("baseline", "corpus", "long", "warm")}
    for n in range(args.repeat):
        runs["baseline"].append(per_message(normalize, messages, fresh=True))
        runs["corpus"].append(per_message(safety.detect, messages, fresh=True))
        runs["long"].append(per_message(safety.detect, long_messages(50, 100 + n), fresh=True))
        runs["warm"].append(per_message(safety.detect, messages, fresh=False))
    median = {k: statistics.median(v) for k, v in runs.items()}
    print(
        json.dumps(
            {
                "messages": len(messages),
                "long_messages": len(long),
                "patterns": len(safety.detector().patterns),
                "ms_per_message": {k: round(v, 4) for k, v in median.items()},
                "ratio_to_baseline": {
                    k: round(median[k] / median["baseline"], 1) for k in ("corpus", "long", "warm")
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
