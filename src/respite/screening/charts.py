"""Trend chart of a worker's own saved scores, drawn as SVG by matplotlib.

Served as an <img> from its own URL: a strict CSP forbids inline SVG styles, and the history
page shows the same numbers in a table for screen readers.
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from respite.screening import instruments


def _new_figure(**kwargs: Any) -> Figure:
    """A matplotlib figure. matplotlib is imported on the first chart drawn, never with this module:
    it costs about a second of CPU, which every page and command would otherwise pay at start-up."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def series(screenings) -> dict[str, list[tuple]]:
    """{short name: [(date, score), ...]} for scored instruments, oldest first."""
    out: dict[str, list[tuple]] = defaultdict(list)
    for s in screenings:
        for r in s.results.all():
            if r.score is not None:
                out[instruments.get(r.instrument).short_name].append((s.taken_on, r.score))
    return {k: sorted(v) for k, v in out.items()}


def series_by_instrument(screenings) -> dict[str, list[tuple]]:
    """{instrument id: [(date, headline score), ...]}, oldest first: one small chart per instrument."""
    out: dict[str, list[tuple]] = defaultdict(list)
    for s in screenings:
        for r in s.results.all():
            if r.score is not None and r.instrument in instruments.registry():
                out[r.instrument].append((s.taken_on, r.score))
    return {k: sorted(v) for k, v in out.items()}


def instrument_svg(instrument_id: str, points: list[tuple], lang: str) -> bytes:
    """A 360 px wide chart of one instrument's scores over its whole range, with its severity bands
    shaded and named in the worker's language, and a time axis that spans only the days taken."""
    from datetime import timedelta

    from django.utils.translation import gettext as _
    from matplotlib import dates as mdates

    inst = instruments.get(instrument_id)
    scale = inst.scales[0]
    lo, hi = inst.score_range(scale)
    fig = _new_figure(figsize=(3.6, 2.4), dpi=100)
    ax = fig.add_subplot()
    shades = ("#eef3f4", "#dfe9eb")
    for n, band in enumerate(sorted(scale.bands, key=lambda b: b.min or 0)):
        if band.min is None or band.max is None:
            continue
        ax.axhspan(band.min - 0.5, band.max + 0.5, color=shades[n % 2], zorder=0)
        ax.text(
            1.01,
            (band.min + band.max) / 2,
            instruments.tr(band.label, lang),
            transform=ax.get_yaxis_transform(),
            fontsize=7,
            va="center",
            ha="left",
            color="#333",
        )
    days = [p[0] for p in points]
    ax.plot(days, [p[1] for p in points], marker="o", linewidth=2, color="#1d5c63", zorder=3)
    first, last = min(days), max(days)
    span = max((last - first).days, 6)
    ax.set_xlim(first - timedelta(days=1), first + timedelta(days=span + 1))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=2, maxticks=4))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m" if lang == "es" else "%m/%d"))
    ax.set_ylim(lo - 0.5, hi + 0.5)
    ax.set_ylabel(_("Score"), fontsize=9)
    ax.tick_params(labelsize=8)
    ax.set_title(inst.short_name, fontsize=10)
    fig.subplots_adjust(left=0.14, right=0.66, bottom=0.16, top=0.88)
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def has_series(rows: list[dict]) -> bool:
    return any(r["score"] is not None for row in rows for r in row["results"])


def trend_svg(data: dict[str, list[tuple]]) -> bytes:
    fig = _new_figure(figsize=(6, 3.2), dpi=100)
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
