"""Dashboard charts as SVG (served as <img>, strict CSP). They draw only released figures: a hidden
figure is a gap in the trend and a grey, hatched cell in the heat map."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from numpy import ma  # noqa: E402

from respite.pulse.reporting import Dashboard  # noqa: E402


def _svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _scale(dash: Dashboard, value: float) -> float:
    return value * 100 if dash.measure.kind == "rate" else value


def trend_svg(dash: Dashboard) -> bytes:
    fig = Figure(figsize=(6.4, 3.2), dpi=100)
    ax = fig.add_subplot()
    xs = list(range(len(dash.trend)))
    for x, (_rnd, f) in zip(xs, dash.trend, strict=True):
        if f.suppressed or f.value is None:
            ax.annotate("hidden" if f.suppressed else "none", (x, 0), xycoords=("data", "axes fraction"),
                        xytext=(0, 4), textcoords="offset points", ha="center", fontsize=7, color="#4a5560")
            continue
        v = _scale(dash, f.value)
        if f.low is not None and f.high is not None:
            ax.errorbar([x], [v], yerr=[[v - _scale(dash, f.low)], [_scale(dash, f.high) - v]], fmt="o",
                        color="#1d5c63", capsize=4, linewidth=2)
        else:
            ax.plot([x], [v], "o", color="#1d5c63")
    pts = [(x, _scale(dash, f.value)) for x, (_r, f) in zip(xs, dash.trend, strict=True)
           if not f.suppressed and f.value is not None]
    for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False):
        if x2 == x1 + 1:
            ax.plot([x1, x2], [y1, y2], color="#1d5c63", linewidth=1.5)
    ax.set_xticks(xs, [r.label for r, _f in dash.trend], fontsize=8)
    ax.set_xlim(-0.5, max(len(xs) - 0.5, 0.5))
    ax.set_ylabel("%" if dash.measure.kind == "rate" else dash.measure.kind)
    if dash.measure.kind == "rate":
        ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def heatmap_svg(dash: Dashboard) -> bytes:
    rows = dash.heatmap or []
    height = max(2.0, 0.35 * len(rows) + 1.2)
    fig = Figure(figsize=(6.4, height), dpi=100)
    ax = fig.add_subplot()
    if not rows or not dash.rounds:
        ax.text(0.5, 0.5, "no units or rounds yet", ha="center", va="center")
        ax.axis("off")
        return _svg(fig)
    values = [[_scale(dash, f.value) if (not f.suppressed and f.value is not None) else 0.0 for f in figs]
              for _u, _d, figs in rows]
    mask = [[f.suppressed or f.value is None for f in figs] for _u, _d, figs in rows]
    data = ma.array(values, mask=mask)
    cmap = ListedColormap(["#e8f1f2", "#b9d5d8", "#7fb0b6", "#3f8088", "#1d5c63"]).with_extremes(bad="#ffffff")
    lo, hi = (0, 100) if dash.measure.kind == "rate" else (dash.measure.low or 0, dash.measure.high or 1)
    image = ax.imshow(data, aspect="auto", cmap=cmap, vmin=lo, vmax=hi)
    for i, (_u, _d, figs) in enumerate(rows):
        for j, f in enumerate(figs):
            if f.suppressed:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="#eeeeee", hatch="///",
                                       edgecolor="#9aa3ab", linewidth=0))
                ax.text(j, i, "hidden", ha="center", va="center", fontsize=6, color="#4a5560")
            elif f.value is not None:
                ax.text(j, i, f"{_scale(dash, f.value):.0f}" if dash.measure.kind == "rate" else f"{f.value:.1f}",
                        ha="center", va="center", fontsize=7,
                        color="#ffffff" if _scale(dash, f.value) > (lo + hi) / 2 else "#1b1f24")
    ax.set_xticks(range(len(dash.rounds)), [r.label for r in dash.rounds], fontsize=7)
    ax.set_yticks(range(len(rows)), [("  " * d) + u.name[:28] for u, d, _f in rows], fontsize=7)
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    return _svg(fig)
