"""Bar charts per item (PNG and SVG) from published figures only; suppressed ones are marked
with their sign ("<k", "x") and drawn without a bar."""

from __future__ import annotations

import io
import textwrap

from matplotlib.figure import Figure

from results.tables import Report, Table

CHART_FORMATS = ("png", "svg")


def bar_chart(table: Table, notice: str, fmt: str = "png") -> bytes:
    if fmt not in CHART_FORMATS:
        raise ValueError(f"chart format must be one of {', '.join(CHART_FORMATS)}")
    labels = [textwrap.fill(label, 22) for _, label in table.cols]
    cells = table.cells[0]
    heights = [c.value or 0 for c in cells]
    # Margins from the label sizes instead of tight_layout, which draws every chart twice
    # (half the export time of an XLSX): 30° labels of 8 pt, the title above, the notice below.
    longest = max((len(line) for label in labels for line in label.split("\n")), default=1)
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    below = 0.45 + 0.06 * longest * 0.5 + 0.13 * lines
    width, height = max(5.0, 0.9 * len(labels) + 2), 3.4 + below
    # a Figure of its own (no pyplot): no global state, safe in a server's threads
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.subplots()
    fig.subplots_adjust(
        left=0.85 / width, right=1 - 0.2 / width, top=1 - 0.55 / height, bottom=below / height
    )
    bars = ax.bar(range(len(labels)), heights, color="#2f6f8f")
    for bar, cell in zip(bars, cells, strict=True):
        ax.annotate(
            cell.shown,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("Anzahl Antwortende")
    ax.set_title(textwrap.fill(table.title, 70), fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.text(0.01, 0.01, textwrap.fill(notice, 140), fontsize=6, color="#555555")
    out = io.BytesIO()
    fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()


def charts(report: Report, fmt: str = "png") -> dict[str, bytes]:
    """One chart per item's frequency table, keyed by item id."""
    return {t.item.id: bar_chart(t, report.notice_en, fmt) for t in report.frequencies}
