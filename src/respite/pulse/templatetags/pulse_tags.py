from __future__ import annotations

import functools

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
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
    """A released figure with its 95% interval and n, or the suppression marker.

    Written with plain string building (numbers need no escaping; the texts are escaped once):
    a dashboard shows hundreds of figures, and format_html per piece was most of its drawing time."""
    if f is None:
        return "—"
    if f.suppressed:
        return _hidden(str(f.note), _("Hidden"))
    if f.value is None:
        return format_html('<span class="pulse-empty">{}</span>', f.note or "—")
    out = ['<span class="pulse-value">', _fmt(f.value, kind), "</span>"]
    if f.low is not None and f.high is not None:
        out += [
            ' <span class="pulse-ci">(',
            _fmt(f.low, kind),
            " – ",
            _fmt(f.high, kind),
            ")</span>",
        ]
    if f.accuracy:
        out += [' <span class="pulse-acc" title="', _noise_title(_noise_text()), '">± ']
        out += [_fmt(f.accuracy, kind), "</span>"]
    if kind != "count":
        out += [' <span class="pulse-n">n=', str(f.n), "</span>"]
    return mark_safe("".join(out))  # noqa: S308  numbers, and texts escaped by _hidden/_noise_title


def _noise_text() -> str:
    return _("privacy noise: 95% of the time the shown value is within this of the exact one")


@functools.lru_cache(maxsize=256)
def _noise_title(text: str) -> str:
    return escape(text)


@functools.lru_cache(maxsize=256)
def _hidden(note: str, hidden: str) -> str:
    """The suppression marker of one reason in one language (a handful of distinct ones)."""
    return format_html(
        '<span class="suppressed" title="{}">{} <span class="pulse-hidden-reason">{}</span></span>',
        note,
        hidden,
        note,
    )


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
