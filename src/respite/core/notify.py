"""Notifications to staff, in each person's language and time zone, as often as they asked.

Email is not a confidential channel: a notice says that something is waiting and links to it. It never
carries a worker's answers, words, contact details or department, and subjects are neutral.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from respite.core.models import Membership, PendingDigest, StaffProfile
from respite.core.tasks import queue_email

Render = Callable[[Any], tuple[str, str]]


def site_link(name: str, **kwargs: Any) -> str:
    """An absolute link for an email: jobs have no request to ask for the host."""
    return settings.RESPITE_SITE_URL.rstrip("/") + reverse(name, kwargs=kwargs)


def profile_for(user: Any) -> StaffProfile:
    profile = getattr(user, "_respite_profile", None)
    if profile is None:
        profile, _created = StaffProfile.objects.get_or_create(user=user)
        user._respite_profile = profile
    return profile


def staff_time_zone(user: Any) -> zoneinfo.ZoneInfo:
    """The person's own zone, else their organization's, else the deployment's."""
    name = profile_for(user).time_zone
    if not name:
        membership = (
            Membership.objects.for_user(user)
            .filter(organization__isnull=False)
            .select_related("organization")
            .first()
        )
        name = membership.organization.time_zone if membership else settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def notify_staff(
    users: Iterable[Any],
    kind: str,
    render: Render,
    *,
    key: str | None = None,
    calendar: Callable[[Any], str] | None = None,
    always: bool = False,
) -> int:
    """Queue one email per person (never a shared To or Cc line: staff should not learn who else is on a
    roster). ``render(user)`` is called with the person's language and time zone active and returns
    (subject, body). ``always`` (escalations, calendar changes) ignores a digest or off preference.
    Returns how many people were notified or had the notice added to their digest."""
    count = 0
    seen: set[int] = set()
    for user in users:
        if user is None or user.pk in seen or not user.is_active or not user.email:
            continue
        seen.add(user.pk)
        profile = profile_for(user)
        with (
            translation.override(profile.language or settings.LANGUAGE_CODE),
            timezone.override(staff_time_zone(user)),
        ):
            subject, body = render(user)
            ics = calendar(user) if calendar else ""
        if not always and not ics:
            if profile.frequency == StaffProfile.Frequency.OFF:
                continue
            if profile.frequency == StaffProfile.Frequency.DIGEST:
                PendingDigest.objects.create(user=user, line=subject)
                count += 1
                continue
        queued = queue_email(
            user.email,
            subject,
            body,
            kind=kind,
            key=f"{key}:{user.pk}" if key else None,
            calendar=ics,
        )
        count += queued is not None
    return count


def send_digests() -> int:
    """One email per person with everything held for their daily digest (a periodic job)."""
    from django.contrib.auth import get_user_model

    by_user: dict[int, list[PendingDigest]] = defaultdict(list)
    for item in PendingDigest.objects.order_by("pk"):
        by_user[item.user_id].append(item)
    users = get_user_model().objects.in_bulk(list(by_user))
    sent = 0
    for user_id, items in by_user.items():
        user = users.get(user_id)
        with transaction.atomic():
            if user is not None and user.is_active and user.email:

                def render(_user: Any, items: list[PendingDigest] = items) -> tuple[str, str]:
                    lines = "\n".join(f"- {i.line}" for i in items)
                    return (
                        _("Respite: your daily summary"),
                        _(
                            "Since yesterday:\n\n%(lines)s\n\nSign in to Respite to see them: %(link)s"
                        )
                        % {"lines": lines, "link": site_link("core:staff_home")},
                    )

                sent += notify_staff([user], "digest", render, always=True)
            PendingDigest.objects.filter(pk__in=[i.pk for i in items]).delete()
    return sent
