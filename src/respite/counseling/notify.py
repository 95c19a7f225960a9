"""Notices to counselors and volunteer therapists, queued (never sent in the worker's request).

Counselors hear of a new shared case, a new message from a worker and a case past its reply target.
Volunteer therapists get each booking, reschedule and cancellation with an iCalendar object
(RFC 5545/5546: stable UID under the site's domain, SEQUENCE raised on every change, METHOD:CANCEL on
cancel) and can subscribe to a private feed of their sessions.

Nothing here carries a worker's answers, words, contact details or code: a notice says that something
is waiting and links to it. Subjects are neutral.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from respite.core import alerts
from respite.core.notify import notify_staff, site_link
from respite.core.roles import StaffRole
from respite.core.staff import holders
from respite.counseling.models import (
    Booking,
    BookingStatus,
    Case,
    CaseStatus,
    Clinician,
    CounselingSettings,
    Message,
)

if TYPE_CHECKING:  # icalendar is imported where a calendar is built: it is slow to load
    from icalendar import Event

# --- Counselors -------------------------------------------------------------------------------------


def counselors(organization: Any) -> list[Any]:
    return holders(organization, StaffRole.COUNSELOR)


def case_shared(case: Case) -> int:
    def render(_user: Any) -> tuple[str, str]:
        link = site_link("counseling_staff:queue", org=case.organization.slug)
        return (
            _("Respite: a colleague shared a screening with counselors"),
            _("A new case is waiting in your organization's counseling queue: %(link)s")
            % {"link": link},
        )

    return notify_staff(
        counselors(case.organization), "counseling.case", render, key=f"case-new:{case.pk}"
    )


def worker_wrote(message: Message) -> int:
    case = message.case

    def render(_user: Any) -> tuple[str, str]:
        link = site_link("counseling_staff:case", org=case.organization.slug, pk=case.pk)
        return (
            _("Respite: a new message in a counseling case"),
            _("A colleague wrote in case %(ref)s: %(link)s")
            % {"ref": str(case.pk)[:8], "link": link},
        )

    return notify_staff(
        counselors(case.organization), "counseling.message", render, key=f"case-msg:{message.pk}"
    )


def notify_overdue_cases(now: Any = None) -> int:
    """Periodic job: tell counselors once about each case past its reply target (once per episode:
    a new unanswered message starts a new one)."""
    now = now or timezone.now()
    count = 0
    waiting = Case.objects.filter(
        status=CaseStatus.OPEN, awaiting_reply_since__isnull=False
    ).select_related("organization")
    targets: dict[int, int] = {}
    for case in waiting:
        if case.organization_id not in targets:
            targets[case.organization_id] = CounselingSettings.for_org(
                case.organization
            ).reply_target_hours
        if not case.is_overdue(targets[case.organization_id], now):
            continue

        def render(_user: Any, case: Case = case) -> tuple[str, str]:
            link = site_link("counseling_staff:case", org=case.organization.slug, pk=case.pk)
            return (
                _("Respite: a counseling case is past its reply target"),
                _("Case %(ref)s has waited longer than your organization's reply target: %(link)s")
                % {"ref": str(case.pk)[:8], "link": link},
            )

        episode = f"{case.awaiting_reply_since:%Y%m%d%H}"
        count += notify_staff(
            counselors(case.organization),
            "counseling.overdue",
            render,
            key=f"case-late:{case.pk}:{episode}",
            always=True,
        )
    return count


def on_case_saved(sender: Any, instance: Case, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if created:
        case_shared(instance)
    elif instance.status == CaseStatus.CLOSED:
        alerts.forget_reply_emails(instance.access_code_id)  # given for this conversation only


def on_message_saved(sender: Any, instance: Message, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw"):
        return
    case = instance.case
    if instance.author == "counselor":
        home = reverse("counseling:home", kwargs={"org": case.organization.slug})
        alerts.alert_worker(case.access_code_id, "message", home)
    elif (
        case.messages.count() > 1
    ):  # the first arrives with the case: the new-case notice covers it
        worker_wrote(instance)


# --- Volunteer therapists ------------------------------------------------------------------------


def _domain() -> str:
    return urlsplit(settings.RESPITE_SITE_URL).hostname or "respite.invalid"


def booking_uid(booking: Booking) -> str:
    """Stable for the booking's life, under the deployment's domain (RFC 5545 3.8.4.7)."""
    return f"booking-{booking.pk}@{_domain()}"


def _organizer() -> str:
    from email.utils import parseaddr

    return "mailto:" + (parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or f"respite@{_domain()}")


def _event(booking: Booking, clinician: Clinician, *, cancelled: bool) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.slot.starts_at)
    event.add("dtend", booking.slot.ends_at)
    event.add("sequence", booking.sequence)
    event.add("summary", _("Respite volunteer session"))
    event.add(
        "description",
        _("Booking %(ref)s. How to reach the worker is on your Respite schedule, not in this file.")
        % {"ref": str(booking.pk)[:8]},
    )
    event.add("organizer", _organizer())
    if clinician.user.email:
        event.add(
            "attendee", f"mailto:{clinician.user.email}", parameters={"ROLE": "REQ-PARTICIPANT"}
        )
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def booking_calendar(booking: Booking, method: str) -> str:
    """An iTIP message (RFC 5546): METHOD:REQUEST for a new or moved session, METHOD:CANCEL."""
    from icalendar import Calendar

    clinician = booking.slot.clinician
    cal = Calendar()
    cal.add("prodid", "-//Respite//Volunteer sessions//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add_component(_event(booking, clinician, cancelled=method == "CANCEL"))
    return cal.to_ical().decode()


def _tell_volunteer(booking: Booking, kind: str, method: str) -> int:
    clinician = booking.slot.clinician

    def render(_user: Any) -> tuple[str, str]:
        local = timezone.localtime(booking.slot.starts_at, clinician.tz)
        when = f"{local:%Y-%m-%d %H:%M} ({clinician.time_zone})"
        link = site_link("volunteers:schedule")
        if kind == "booked":
            subject = _("Respite: a session was booked")
            body = _("A worker booked a session with you on %(when)s. Details: %(link)s")
        elif kind == "moved":
            subject = _("Respite: a session was moved")
            body = _("A session with you moved to %(when)s. Details: %(link)s")
        else:
            subject = _("Respite: a session was cancelled")
            body = _("The session on %(when)s was cancelled. %(link)s")
        return subject, body % {"when": when, "link": link}

    return notify_staff(
        [clinician.user],
        f"counseling.booking_{kind}",
        render,
        key=f"booking:{booking.pk}:{booking.sequence}:{method}",
        calendar=lambda _user: booking_calendar(booking, method),
        always=True,
    )


def booked(booking: Booking) -> int:
    return _tell_volunteer(booking, "booked", "REQUEST")


def moved(booking: Booking) -> int:
    """Call after changing the booking's slot: raises SEQUENCE and sends the new time."""
    Booking.objects.filter(pk=booking.pk).update(sequence=F("sequence") + 1)
    booking.refresh_from_db(fields=["sequence"])
    return _tell_volunteer(booking, "moved", "REQUEST")


def cancelled(booking: Booking) -> int:
    Booking.objects.filter(pk=booking.pk).update(sequence=F("sequence") + 1)
    booking.refresh_from_db(fields=["sequence"])
    return _tell_volunteer(booking, "cancelled", "CANCEL")


# --- The volunteer's private calendar feed ---------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(clinician: Clinician) -> str:
    """A new feed link; the old one stops working. Shown once: only its hash is kept."""
    token = secrets.token_urlsafe(32)
    clinician.feed_digest = _digest(token)
    clinician.save(update_fields=["feed_digest"])
    return token


def revoke_feed(clinician: Clinician) -> None:
    clinician.feed_digest = ""
    clinician.save(update_fields=["feed_digest"])


def clinician_for_feed(token: str) -> Clinician | None:
    if not token or len(token) > 100:
        return None
    return (
        Clinician.objects.filter(feed_digest=_digest(token), user__is_active=True)
        .select_related("user")
        .first()
    )


def feed_calendar(clinician: Clinician) -> bytes:
    """Every session of this volunteer from a month ago on, booked or cancelled (so a subscribed
    calendar drops cancelled ones), and nobody else's."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//Respite//Volunteer sessions//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Respite sessions"))
    since = timezone.now() - timedelta(days=31)
    bookings = (
        Booking.objects.filter(slot__clinician=clinician, slot__starts_at__gte=since)
        .exclude(status=BookingStatus.DECLINED)
        .select_related("slot")
    )
    with translation.override(
        getattr(getattr(clinician.user, "staff_profile", None), "language", None) or "en"
    ):
        for booking in bookings:
            cal.add_component(
                _event(booking, clinician, cancelled=booking.status == BookingStatus.CANCELLED)
            )
    return cal.to_ical()
