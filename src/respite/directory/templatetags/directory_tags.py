"""Phone-friendly facts for directory cards: human opening hours and who last verified an entry."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from respite.core.models import Organization
from respite.core.text import language
from respite.directory.models import CostOption, Schedule, Service

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

register = template.Library()


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
    if service.portal_service:
        # Shown only while the portal offers it (core.services.available_services, checked live).
        return str(_("Offered by your organization now"))
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


@register.simple_tag
def age_range(service: Service) -> str:
    """ "Ages 12 to 100", "Ages 18 and over", "Up to age 17", or "" when the source does not say."""
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        return _("Ages %(low)s to %(high)s") % {"low": low, "high": high}
    if low is not None:
        return _("Ages %(low)s and over") % {"low": low}
    if high is not None:
        return _("Up to age %(high)s") % {"high": high}
    return ""


@register.simple_tag
def cost_line(option: CostOption) -> str:
    """One cost option as the source gives it: the amount in its own currency, never converted."""
    parts = []
    if option.option:
        parts.append(option.option)
    if option.amount is not None:
        amount = (
            option.amount.normalize()
            if option.amount == option.amount.to_integral()
            else option.amount
        )
        money = f"{amount:f} {option.currency.upper()}".strip()
        if option.amount_description:
            money = f"{money} {option.amount_description}"
        parts.append(money)
    elif option.amount_description:
        parts.append(option.amount_description)
    return ": ".join(parts)


# Where a worker uses each of the portal's own services (an app that is not installed: no link).
PORTAL_PAGES = {
    "counseling": "counseling:home",
    "therapists": "counseling:therapists",
    "peer_support": "peers:index",
}


@register.simple_tag
def portal_link(service: Service, organization: Organization | None) -> str:
    """The portal page of one of the portal's own services ("" for any other service)."""
    name = PORTAL_PAGES.get(service.portal_service)
    if not name or organization is None:
        return ""
    try:
        return reverse(name, kwargs={"org": organization.slug})
    except NoReverseMatch:
        return ""
