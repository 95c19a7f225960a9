"""Scorecard and progress charts, drawn as SVG by matplotlib.

Served as <img> from their own URLs (a strict CSP forbids inline SVG styles) and embedded as data
URIs in the PDF report; every page shows the same numbers in a table for screen readers.
"""

from __future__ import annotations

import io
import textwrap
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ACCENT = "#1d5c63"
PREVIOUS = "#a8b5ba"


def _new_figure(**kwargs: Any) -> Figure:
    """A matplotlib figure. matplotlib is imported on the first chart drawn, never with this module:
    it costs about a second of CPU, which every page and command would otherwise pay at start-up."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _wrap(label: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(label, width)[:3])


def scorecard_svg(
    rows: list[tuple[str, int | None]],
    previous: list[int | None] | None = None,
    labels: tuple[str, str] = ("This assessment", "Previous"),
) -> bytes:
    """Horizontal bars, one per area (0–100 %), with the previous assessment beside them if any."""
    n = max(len(rows), 1)
    fig = _new_figure(figsize=(7, (0.62 if previous else 0.45) * n + 1.1), dpi=100)
    ax = fig.add_subplot()
    ys = list(range(n))[::-1]
    height = 0.38 if previous else 0.6
    now = [p or 0 for _name, p in rows]
    ax.barh(
        [y + (height / 2 if previous else 0) for y in ys],
        now,
        height=height,
        color=ACCENT,
        label=labels[0],
    )
    for y, (_name, p) in zip(ys, rows, strict=False):
        ax.text(
            (p or 0) + 1.5,
            y + (height / 2 if previous else 0),
            "—" if p is None else f"{p}%",
            va="center",
            fontsize=9,
        )
    if previous:
        ax.barh(
            [y - height / 2 for y in ys],
            [p or 0 for p in previous],
            height=height,
            color=PREVIOUS,
            label=labels[1],
        )
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(ys, [_wrap(name) for name, _p in rows], fontsize=9)
    ax.set_xlim(0, 110)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _svg(fig)


def progress_svg(dates: list[date], series: dict[str, list[int | None]]) -> bytes:
    """One line per area across completed assessments, oldest first."""
    fig = _new_figure(figsize=(7, 3.6), dpi=100)
    ax = fig.add_subplot()
    plotted = False
    for name, values in series.items():
        points = [(d, v) for d, v in zip(dates, values, strict=False) if v is not None]
        if points:
            ax.plot(
                [p[0] for p in points],  # type: ignore[arg-type]  # matplotlib plots dates (its unit registry), its stubs say numbers
                [p[1] for p in points],
                marker="o",
                linewidth=2,
                label=_wrap(name, 30),
            )
            plotted = True
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.grid(alpha=0.3)
    if plotted:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)
    fig.autofmt_xdate()
    fig.tight_layout()
    return _svg(fig)
