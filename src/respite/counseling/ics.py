"""iCalendar invitations for a booking. Neither side's file carries the worker's contact or identity."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from respite.counseling.models import Booking
from respite.counseling.notify import booking_uid


def _calendar(booking: Booking, summary: str, description: str) -> bytes:
    from icalendar import Calendar, Event  # imported where used: slow to load

    cal = Calendar()
    cal.add("prodid", "-//Respite//Counseling//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    # The same UID and SEQUENCE as the emailed invitations, so calendars update one event, not two.
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.slot.starts_at)
    event.add("dtend", booking.slot.ends_at)
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    return cal.to_ical()


def worker_invite(booking: Booking) -> bytes:
    clinician = booking.slot.clinician
    return _calendar(
        booking,
        _("Counseling session with %(name)s") % {"name": clinician.display_name},
        _(
            "A free, confidential session with a volunteer therapist. They will contact you by the method you "
            "chose. To cancel, open Respite and enter your access code."
        ),
    )


def clinician_invite(booking: Booking) -> bytes:
    return _calendar(
        booking,
        _("Respite volunteer session"),
        _("Booking %(ref)s. How to reach the worker is on your Respite schedule, not in this file.")
        % {"ref": str(booking.pk)[:8]},
    )


def ics_response(payload: bytes) -> HttpResponse:
    response = HttpResponse(payload, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="respite-session.ics"'
    return response
