from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from respite.core.disclosure import Figure
from respite.pulse.items import Measure

register = template.Library()


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.0f}%"
    if kind == "count":
        return f"{value:.0f}"
    return f"{value:.2f}"


@register.simple_tag
def figure(f, kind: str):
    """A released figure with its 95% interval and n, or the suppression marker."""
    if f is None:
        return "—"
    if f.suppressed:
        return format_html(
            '<span class="suppressed" title="{}">{} <span class="pulse-hidden-reason">{}</span></span>',
            f.note,
            _("Hidden"),
            f.note,
        )
    if f.value is None:
        return format_html('<span class="pulse-empty">{}</span>', f.note or "—")
    ci = ""
    if f.low is not None and f.high is not None:
        ci = format_html(
            ' <span class="pulse-ci">({} – {})</span>', _fmt(f.low, kind), _fmt(f.high, kind)
        )
    acc = (
        format_html(
            ' <span class="pulse-acc" title="{}">± {}</span>',
            _("privacy noise: 95% of the time the shown value is within this of the exact one"),
            _fmt(f.accuracy, kind),
        )
        if f.accuracy
        else ""
    )
    n = format_html(' <span class="pulse-n">n={}</span>', f.n) if kind != "count" else ""
    return format_html('<span class="pulse-value">{}</span>{}{}{}', _fmt(f.value, kind), ci, acc, n)


@register.filter
def pct_or_mean(value, kind: str) -> str:
    return _fmt(value, kind)


@register.filter
def indent(depth: int) -> str:
    return "– " * int(depth or 0)


@register.filter
def heat_class(f: Figure, measure: Measure) -> str:
    """CSS class of a heat-map cell: its shade on the measure's scale, or hidden."""
    from respite.pulse.reporting import heat_level

    level = heat_level(f, measure)
    return "is-suppressed" if level is None else f"heat-{level}"


@register.filter
def signed_change(value: float | None, kind: str) -> str:
    """A change between two released figures: percentage points for a rate, signed."""
    if value is None:
        return "—"
    if kind == "rate":
        points = value * 100
        return _("%(sign)s%(n).0f points") % {"sign": "+" if points >= 0 else "−", "n": abs(points)}
    return f"{'+' if value >= 0 else '−'}{abs(value):.2f}"


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
