"""Dashboard charts as SVG written directly from the stored release's figures (served as <img>, strict
CSP; no plotting library per request). They draw only released figures: a hidden figure is a gap in
the trend and a grey, hatched cell marked "hidden" in the heat map."""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape

from respite.core.disclosure import Figure
from respite.pulse.items import Measure
from respite.pulse.models import Round
from respite.pulse.reporting import Dashboard

INK, MUTED, ACCENT, GRID = "#1b1f24", "#4a5560", "#1d5c63", "#d5dadf"
SCALE = ["#e8f1f2", "#b9d5d8", "#7fb0b6", "#3f8088", "#1d5c63"]
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _scale(dash: Dashboard, value: float) -> float:
    return value * 100 if dash.measure.kind == "rate" else value


def _range(dash: Dashboard) -> tuple[float, float]:
    if dash.measure.kind == "rate":
        return 0.0, 100.0
    if dash.measure.kind == "count":
        top = max(
            [f.value for _r, f in dash.trend if not f.suppressed and f.value is not None] or [1.0]
        )
        return 0.0, float(top) * 1.1 or 1.0
    return float(dash.measure.low or 0), float(dash.measure.high or 1)


def _svg(width: int, height: int, body: list[str], title: str) -> bytes:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>'
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#9aa3ab" stroke-width="1.5"/></pattern></defs>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
    )
    return (head + "".join(body) + "</svg>").encode("utf-8")


def _text(
    x: float, y: float, text: str, size: int = 11, anchor: str = "middle", fill: str = INK
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" {FONT}>'
        f"{escape(text)}</text>"
    )


def trend_svg(dash: Dashboard) -> bytes:
    width, height, left, right, top, bottom = 640, 320, 56, 16, 16, 44
    lo, hi = _range(dash)
    span = (hi - lo) or 1.0
    n = max(len(dash.trend), 1)
    step = (width - left - right) / n

    def x(i: int) -> float:
        return left + step * (i + 0.5)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (min(max(v, lo), hi) - lo) / span)

    body = []
    for t in range(5):
        v = lo + span * t / 4
        body.append(
            f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" stroke="{GRID}"/>'
        )
        body.append(
            _text(left - 6, y(v) + 4, f"{v:.0f}" if span >= 10 else f"{v:.1f}", 10, "end", MUTED)
        )
    unit = "%" if dash.measure.kind == "rate" else ""
    if unit:
        body.append(_text(12, top + 10, unit, 10, "start", MUTED))
    points: list[tuple[float, float] | None] = []
    for i, (rnd, f) in enumerate(dash.trend):
        body.append(_text(x(i), height - bottom + 18, rnd.label, 10, "middle", MUTED))
        if f.suppressed or f.value is None:
            body.append(
                _text(
                    x(i),
                    height - bottom - 6,
                    "hidden" if f.suppressed else "none",
                    9,
                    "middle",
                    MUTED,
                )
            )
            points.append(None)
            continue
        v = _scale(dash, f.value)
        if f.low is not None and f.high is not None:
            a, b = y(_scale(dash, f.low)), y(_scale(dash, f.high))
            body.append(
                f'<line x1="{x(i):.1f}" y1="{a:.1f}" x2="{x(i):.1f}" y2="{b:.1f}" stroke="{ACCENT}" '
                'stroke-width="2"/>'
            )
            for end in (a, b):
                body.append(
                    f'<line x1="{x(i) - 5:.1f}" y1="{end:.1f}" x2="{x(i) + 5:.1f}" y2="{end:.1f}" '
                    f'stroke="{ACCENT}" stroke-width="2"/>'
                )
        body.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="4.5" fill="{ACCENT}"/>')
        points.append((x(i), y(v)))
    for p, q in zip(points, points[1:], strict=False):
        if p and q:  # consecutive released rounds only: a gap stays a gap
            body.append(
                f'<line x1="{p[0]:.1f}" y1="{p[1]:.1f}" x2="{q[0]:.1f}" y2="{q[1]:.1f}" '
                f'stroke="{ACCENT}" stroke-width="1.5"/>'
            )
    return _svg(width, height, body, f"{dash.measure.label}: trend")


def heatmap_svg(dash: Dashboard) -> bytes:
    rows = dash.heatmap or []
    label_w, cell_w, cell_h, top = 200, 72, 24, 28
    width = label_w + cell_w * max(len(dash.rounds), 1) + 16
    height = top + cell_h * max(len(rows), 1) + 12
    if not rows or not dash.rounds:
        return _svg(
            width, 80, [_text(width / 2, 44, "no units or rounds yet", 12)], str(dash.measure.label)
        )
    lo, hi = _range(dash)
    body = [
        _text(label_w + cell_w * (j + 0.5), top - 10, r.label, 10, "middle", MUTED)
        for j, r in enumerate(dash.rounds)
    ]
    for i, (unit, depth, figs) in enumerate(rows):
        y0 = top + cell_h * i
        body.append(_text(8 + 12 * depth, y0 + 16, unit.name[:28], 10, "start"))
        for j, f in enumerate(figs):
            x0 = label_w + cell_w * j
            if f.suppressed:
                body.append(
                    f'<rect x="{x0}" y="{y0}" width="{cell_w - 2}" height="{cell_h - 2}" fill="url(#hatch)"/>'
                )
                body.append(_text(x0 + cell_w / 2, y0 + 16, "hidden", 9, "middle", MUTED))
                continue
            if f.value is None:
                body.append(
                    f'<rect x="{x0}" y="{y0}" width="{cell_w - 2}" height="{cell_h - 2}" fill="#ffffff" '
                    f'stroke="{GRID}"/>'
                )
                continue
            v = _scale(dash, f.value)
            share = (min(max(v, lo), hi) - lo) / ((hi - lo) or 1.0)
            colour = SCALE[min(int(share * len(SCALE)), len(SCALE) - 1)]
            body.append(
                f'<rect x="{x0}" y="{y0}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{colour}"/>'
            )
            text = f"{v:.0f}" if dash.measure.kind == "rate" else f"{f.value:.1f}"
            body.append(
                _text(
                    x0 + cell_w / 2, y0 + 16, text, 10, "middle", "#ffffff" if share > 0.5 else INK
                )
            )
    return _svg(width, height, body, f"{dash.measure.label}: units by round")


def sparkline_svg(measure: Measure, rounds: list[Round], figures: list[Figure]) -> bytes:
    """A small trend of one measure across rounds (for the report): released rounds are dots joined
    by a line; a hidden round is a gap marked "hidden", never an interpolated value."""
    width, height, left, right, top, bottom = 300, 90, 8, 8, 10, 22
    if measure.kind == "rate":
        lo, hi = 0.0, 1.0
    else:
        lo, hi = float(measure.low or 0), float(measure.high or 1)
    span = (hi - lo) or 1.0
    step = (width - left - right) / max(len(rounds), 1)
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        f'stroke="{GRID}"/>'
    ]
    points: list[tuple[float, float] | None] = []
    for i, (rnd, f) in enumerate(zip(rounds, figures, strict=True)):
        x = left + step * (i + 0.5)
        body.append(_text(x, height - 6, rnd.label.split(" ")[0], 9, "middle", MUTED))
        if f.suppressed or f.value is None:
            body.append(_text(x, height - bottom - 4, "hidden" if f.suppressed else "", 8))
            points.append(None)
            continue
        y = top + (height - top - bottom) * (1 - (min(max(f.value, lo), hi) - lo) / span)
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{ACCENT}"/>')
        points.append((x, y))
    for a, b in zip(points, points[1:], strict=False):
        if a and b:
            body.append(
                f'<line x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}" '
                f'stroke="{ACCENT}" stroke-width="1.5"/>'
            )
    return _svg(width, height, body, f"{measure.label}: trend")
