"""Benchmark: what right-to-left rendering and posters cost.

Measured in the same run (median of several runs):
* `render` of every catalog message with values filled in (times, §-references, phone
  numbers, URLs, names) in Arabic — values isolated as they are filled in, the translation's
  own left-to-right runs isolated before — against two baselines: the same messages in German
  (no isolation at all) and in Arabic rendered plain and then scanned by the run pattern over
  the finished text (how isolates were put in before);
* drawing an A4 poster with two QR codes and eleven languages, as PNG and as PDF.
Prints JSON with the timings and the ratios.

    .venv/bin/python bench/rtl_render.py [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from babel.messages.pofile import read_po

from base import i18n
from base.rtl import isolate_ltr_runs
from dialogs.io import Msg
from entries.poster import Poster, draw

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")
VALUES = ("Mo–Fr 8:00–12:00", "§ 24", "+49 151 2345678", "https://example.org/a?b=c", "JMD Moers")


def messages() -> list[Msg]:
    with (ROOT / "locales" / "messages.pot").open("rb") as f:
        catalog = read_po(f)
    out = []
    for m in catalog:
        if not m.id:
            continue
        msgid, plural = (m.id, None) if isinstance(m.id, str) else m.id
        for value in VALUES:
            params = {name: value for name in PLACEHOLDER.findall(msgid)}
            if "n" in params:
                params["n"] = "3"
            out.append(Msg(msgid, m.context, params, plural))
    return out


def per_call_us(fn: Callable[[], object], n: int, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    msgs = messages()

    def arabic() -> None:
        for m in msgs:
            i18n.render(m, "ar")

    def german() -> None:
        for m in msgs:
            i18n.render(m, "de")

    def scanned_after() -> None:  # the former way: fill in plainly, then scan the result
        rtl, i18n.RTL = i18n.RTL, frozenset()  # type: ignore[misc]
        try:
            for m in msgs:
                isolate_ltr_runs(i18n.render(m, "ar"))
        finally:
            i18n.RTL = rtl  # type: ignore[misc]

    arabic(), german()  # warm the catalog caches
    ar = per_call_us(arabic, len(msgs), args.repeat)
    de = per_call_us(german, len(msgs), args.repeat)
    old = per_call_us(scanned_after, len(msgs), args.repeat)
    poster = Poster(
        "Beispiel-Bündnis Kreis Wesel",
        "demo-kreis-0c7a76ec",
        "https://t.me/wegweiser_kreis_bot?start=demo-kreis-0c7a76ec",
        "https://wegweiser.example/chat?start=demo-kreis-0c7a76ec",
    )
    png_ms = per_call_us(lambda: draw(poster, "png"), 1, 3) / 1000
    pdf_ms = per_call_us(lambda: draw(poster, "pdf"), 1, 3) / 1000
    result = {
        "messages_rendered": len(msgs),
        "render_us_per_message": {
            "ar_isolated_when_filled_in": round(ar, 2),
            "baseline_de_no_isolation": round(de, 2),
            "baseline_ar_scanned_after": round(old, 2),
        },
        "ratio_ar_to_de": round(ar / de, 2),
        "ratio_ar_to_scanned_after": round(ar / old, 2),
        "poster_ms": {"png": round(png_ms, 1), "pdf": round(pdf_ms, 1)},
        "rtl_locales": sorted(i18n.RTL),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
