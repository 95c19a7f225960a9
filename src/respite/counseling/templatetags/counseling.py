from django import template

from respite.counseling.models import CounselingSettings

register = template.Library()


@register.simple_tag
def reply_target_hours(organization) -> int:
    """The organization's reply target, for the share panel on the screening result page."""
    return CounselingSettings.for_org(organization).reply_target_hours
