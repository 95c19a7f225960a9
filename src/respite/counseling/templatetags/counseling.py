from datetime import datetime

from django import template
from django.utils import translation

from respite.counseling.models import CounselingSettings

register = template.Library()


@register.simple_tag
def reply_target_hours(organization) -> int:
    """The organization's reply target, for the share panel on the screening result page."""
    return CounselingSettings.for_org(organization).reply_target_hours


@register.filter
def clock(value: datetime | None) -> str:
    """A time in the clock style of the page's language: 12-hour for English ("9:00 AM"), 24-hour
    for Spanish ("09:00"). The value is shown in the zone it carries (convert it first)."""
    if value is None:
        return ""
    if (translation.get_language() or "en").startswith("es"):
        return f"{value:%H:%M}"
    return f"{value:%I:%M}".lstrip("0") + (" AM" if value.hour < 12 else " PM")


@register.filter
def zone_label(name: str) -> str:
    """A time zone as the worker knows it ("Eastern (New York)"), else its IANA name."""
    from respite.counseling.scheduling import US_TIME_ZONES

    return str(dict(US_TIME_ZONES).get(name, name.replace("_", " ")))
