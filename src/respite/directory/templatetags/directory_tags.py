"""``{% directory_recommendations screening organization %}``: the result-page panel of suggested services."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from respite.core.text import language
from respite.directory.models import Schedule, Service
from respite.directory.search import recommend

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

register = template.Library()


@register.inclusion_tag("directory/_recommendations.html")
def directory_recommendations(screening, organization=None) -> dict:
    organization = organization or getattr(screening, "organization", None)
    services = recommend(
        organization=organization,
        tier=getattr(screening, "tier", None),
        role_group=getattr(screening, "role_group", "") or "",
        language=getattr(screening, "language", "en") or "en",
        limit=5,
    )
    return {"services": services, "organization": organization}


# --- phone-friendly facts: opening hours and who last verified an entry ------------------------

_DAY_NAMES = {
    "MO": _("Monday"),
    "TU": _("Tuesday"),
    "WE": _("Wednesday"),
    "TH": _("Thursday"),
    "FR": _("Friday"),
    "SA": _("Saturday"),
    "SU": _("Sunday"),
}
# Standard-time UTC offsets of the US zones; anything else is shown as an offset.
_ZONES = {
    -5: _("Eastern time"),
    -6: _("Central time"),
    -7: _("Mountain time"),
    -8: _("Pacific time"),
    -9: _("Alaska time"),
    -10: _("Hawaii time"),
}


def _days(byday: str) -> str:
    codes = [d.strip()[-2:] for d in byday.split(",") if d.strip()]
    order = list(_DAY_NAMES)
    codes = sorted(set(codes) & set(order), key=order.index)
    if len(codes) == 7:
        return str(_("Every day"))
    if codes == order[:5]:
        return str(_("Monday to Friday"))
    if codes == order[5:]:
        return str(_("Weekends"))
    positions = [order.index(c) for c in codes]
    if len(codes) > 2 and positions == list(range(positions[0], positions[-1] + 1)):
        return str(
            _("%(first)s to %(last)s")
            % {"first": _DAY_NAMES[codes[0]], "last": _DAY_NAMES[codes[-1]]}
        )
    return ", ".join(str(_DAY_NAMES[c]) for c in codes)


def _clock(value: time, lang: str) -> str:
    if lang == "es":
        return f"{value.hour}:{value.minute:02d}"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    if value.hour == 0 and value.minute == 0:
        return "midnight"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


@register.simple_tag
def human_hours(schedule: Schedule) -> str:
    """ "Every day, 7am–11pm (Pacific time)" / "Todos los días, 7:00–23:00 (hora del Pacífico)"."""
    lang = language()
    zone: StrOrPromise | None = _ZONES.get(schedule.timezone)
    if zone is None:
        sign = "+" if schedule.timezone >= 0 else "-"
        zone = f"UTC{sign}{abs(schedule.timezone)}"
    return f"{_days(schedule.byday)}, {_clock(schedule.opens_at, lang)}–{_clock(schedule.closes_at, lang)} ({zone})"


@register.simple_tag
def verified_line(service: Service) -> str:
    """Who vouches for this entry, in words a worker can weigh; never a staff username."""
    if service.assured_date:
        by = service.portal.name if service.portal else service.assured_by
        when = date_format(service.assured_date, "DATE_FORMAT")
        if by:
            return str(
                _("Last verified %(date)s by %(organization)s") % {"date": when, "organization": by}
            )
        return str(_("Last verified %(date)s") % {"date": when})
    if service.source:
        return str(_("From %(source)s; not yet verified by a person") % {"source": service.source})
    return str(_("Not yet verified by a person"))
