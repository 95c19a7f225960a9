"""Trend chart of a worker's own saved scores, drawn as SVG by matplotlib.

Served as an <img> from its own URL: a strict CSP forbids inline SVG styles, and the history
page shows the same numbers in a table for screen readers.
"""

from __future__ import annotations

import io
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from respite.screening import instruments  # noqa: E402


def series(screenings) -> dict[str, list[tuple]]:
    """{short name: [(date, score), ...]} for scored instruments, oldest first."""
    out: dict[str, list[tuple]] = defaultdict(list)
    for s in screenings:
        for r in s.results.all():
            if r.score is not None:
                out[instruments.get(r.instrument).short_name].append((s.taken_on, r.score))
    return {k: sorted(v) for k, v in out.items()}


def has_series(rows: list[dict]) -> bool:
    return any(r["score"] is not None for row in rows for r in row["results"])


def trend_svg(data: dict[str, list[tuple]]) -> bytes:
    fig = Figure(figsize=(6, 3.2), dpi=100)
    ax = fig.add_subplot()
    for name, points in data.items():
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", linewidth=2, label=name)
    ax.set_ylabel("Score")
    ax.grid(alpha=0.3)
    if data:
        ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()
