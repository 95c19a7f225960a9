"""Counselors and volunteer therapists hear of what waits for them, by real SMTP, in their own language
and time zone, and never read a worker's words or contact in an email. Calendar messages follow
RFC 5545/5546; the private feed shows one volunteer's sessions and dies when revoked."""

from __future__ import annotations

import email
import socket
from contextlib import closing
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from respite.core.models import StaffProfile
from respite.core.roles import StaffRole
from respite.core.testing import make_staff, run_tasks
from respite.counseling import notify
from respite.counseling.models import Booking
from respite.counseling.tests.conftest import login, make_clinician, make_screening, make_slot

pytestmark = pytest.mark.django_db

CANARY = "canary-7Q3-nights-are-hard"
CONTACT = "+1 555 010 4242"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        msg["X-Test-Rcpt"] = ",".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["X-Test-Rcpt"] == address]

    def text(self, msg) -> str:
        return msg.get_body(preferencelist=("plain",)).get_content()

    def calendars(self, msg) -> list[Calendar]:
        return [
            Calendar.from_ical(p.get_content())
            for p in msg.walk()
            if p.get_content_type() == "text/calendar"
        ]


@pytest.fixture
def inbox(settings):
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port, ready_timeout=60)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.RESPITE_SITE_URL = "https://respite.example.org"
    yield box
    controller.stop()


def _staff(org, role, name, email_address, language="en", tz=""):
    user = make_staff(org, role, name)
    user.email = email_address
    user.save()
    StaffProfile.objects.update_or_create(
        user=user, defaults={"language": language, "time_zone": tz}
    )
    return user


def test_counselors_hear_of_new_cases_and_messages_in_their_language_without_the_workers_words(
    org, other_org, code, inbox
):
    _staff(org, StaffRole.COUNSELOR, "ana", "ana@acme.example", language="es")
    english = _staff(org, StaffRole.COUNSELOR, "bo", "bo@acme.example")
    _staff(org, StaffRole.ORG_ADMIN, "boss", "boss@acme.example")
    _staff(other_org, StaffRole.COUNSELOR, "elsewhere", "x@elsewhere.example")

    from respite.screening.views import SESSION_CODE

    worker = Client()
    session = worker.session
    session[SESSION_CODE] = str(code.pk)
    session.save()
    screening = make_screening(org, code=code)
    response = worker.post(
        reverse("counseling:share", kwargs={"org": org.slug, "pk": screening.pk}),
        {"message": CANARY},
    )
    assert response.status_code == 302
    run_tasks()
    assert sorted(m["X-Test-Rcpt"] for m in inbox.messages) == [
        "ana@acme.example",
        "bo@acme.example",
    ]
    es, en = inbox.to("ana@acme.example")[0], inbox.to("bo@acme.example")[0]
    assert "compartió" in es["Subject"] and "shared" in en["Subject"]
    assert "https://respite.example.org/staff/o/acme/counseling/" in inbox.text(en)

    case = screening.counseling_case
    login(english).post(
        reverse("counseling_staff:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
        {"body": "Hello"},
    )
    worker.post(
        reverse("counseling:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
        {"body": CANARY + "2"},
    )
    run_tasks()
    new_message = [m for m in inbox.to("bo@acme.example") if "message" in m["Subject"]]
    assert len(new_message) == 1 and str(case.pk)[:8] in inbox.text(new_message[0])
    for msg in inbox.messages:  # the canary test: no worker words, answers or code in any email
        body = msg.as_string()
        assert CANARY not in body and "Feeling down" not in body and code.digest not in body
        assert "Nights" not in msg["Subject"]


def test_overdue_case_is_announced_once_per_wait(org, case, inbox):
    _staff(org, StaffRole.COUNSELOR, "ana", "ana@acme.example")
    run_tasks()
    inbox.messages.clear()
    case.awaiting_reply_since = timezone.now() - timedelta(hours=49)
    case.save(update_fields=["awaiting_reply_since"])
    assert notify.notify_overdue_cases() == 1
    assert notify.notify_overdue_cases() == 0
    run_tasks()
    assert len(inbox.messages) == 1 and "reply target" in inbox.messages[0]["Subject"]


def test_digest_and_off_preferences(org, case, inbox):
    from respite.core.notify import send_digests

    digest = _staff(org, StaffRole.COUNSELOR, "dee", "dee@acme.example")
    off = _staff(org, StaffRole.COUNSELOR, "ozzy", "ozzy@acme.example")
    StaffProfile.objects.filter(user=digest).update(frequency="digest")
    StaffProfile.objects.filter(user=off).update(frequency="off")
    notify.case_shared(case)
    run_tasks()
    assert inbox.messages == []
    send_digests()
    run_tasks()
    assert [m["X-Test-Rcpt"] for m in inbox.messages] == ["dee@acme.example"]
    assert "daily summary" in inbox.messages[0]["Subject"]
    # an overdue case is a safety net: it reaches even those who switched notices off
    case.awaiting_reply_since = timezone.now() - timedelta(hours=49)
    case.save(update_fields=["awaiting_reply_since"])
    notify.notify_overdue_cases()
    run_tasks()
    assert "ozzy@acme.example" in [m["X-Test-Rcpt"] for m in inbox.messages]


def _book(client, org, slot):
    return client.post(
        reverse("counseling:book", kwargs={"org": org.slug, "slot": slot.pk}),
        {"state": "CA", "contact_method": "text", "contact": CONTACT},
    )


def _event(cal: Calendar):
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def _assert_itip(cal: Calendar, method: str) -> None:
    """RFC 5546 3.2.2 (REQUEST) and 3.2.5 (CANCEL): the properties each method must carry."""
    assert str(cal["METHOD"]) == method and str(cal["VERSION"]) == "2.0" and cal.get("PRODID")
    event = _event(cal)
    for prop in ("UID", "DTSTAMP", "ORGANIZER", "ATTENDEE", "SEQUENCE"):
        assert event.get(prop) is not None, prop
    if method == "REQUEST":
        assert event.get("DTSTART") and event.get("SUMMARY")
    else:
        assert str(event["STATUS"]) == "CANCELLED"


def test_volunteer_gets_request_then_cancel_with_a_stable_uid_in_local_time(org, worker, inbox):
    clinician = make_clinician("therapist", tz="America/New_York")
    clinician.user.email = "dr@volunteer.example"
    clinician.user.save()
    slot = make_slot(clinician, hours_ahead=30)
    assert _book(worker, org, slot).status_code == 302
    run_tasks()
    [invite] = inbox.to("dr@volunteer.example")
    [cal] = inbox.calendars(invite)
    _assert_itip(cal, "REQUEST")
    event = _event(cal)
    booking = Booking.objects.get()
    assert (
        str(event["UID"]) == f"booking-{booking.pk}@respite.example.org"
        and int(event["SEQUENCE"]) == 0
    )
    local = timezone.localtime(slot.starts_at, clinician.tz)
    assert f"{local:%Y-%m-%d %H:%M}" in inbox.text(invite)  # New York time, not UTC
    assert CONTACT not in invite.as_string()

    worker.post(reverse("counseling:booking_cancel", kwargs={"org": org.slug, "pk": booking.pk}))
    run_tasks()
    cancel = [m for m in inbox.to("dr@volunteer.example") if m is not invite]
    assert len(cancel) == 1 and "cancelled" in cancel[0]["Subject"]
    [cal2] = inbox.calendars(cancel[0])
    _assert_itip(cal2, "CANCEL")
    assert str(_event(cal2)["UID"]) == str(event["UID"]) and int(_event(cal2)["SEQUENCE"]) == 1
    content_type = next(p for p in cancel[0].walk() if p.get_content_type() == "text/calendar")
    assert content_type.get_param("method") == "CANCEL"


def test_moving_a_session_raises_the_sequence(org, worker, inbox):
    clinician = make_clinician("therapist")
    clinician.user.email = "dr@volunteer.example"
    clinician.user.save()
    _book(worker, org, make_slot(clinician, hours_ahead=30))
    booking = Booking.objects.get()
    booking.slot = make_slot(clinician, hours_ahead=54)
    booking.save(update_fields=["slot"])
    notify.moved(booking)
    run_tasks()
    cals = [inbox.calendars(m)[0] for m in inbox.to("dr@volunteer.example")]
    assert [int(_event(c)["SEQUENCE"]) for c in cals] == [0, 1]
    assert {str(_event(c)["UID"]) for c in cals} == {notify.booking_uid(booking)}
    assert _event(cals[1]).decoded("DTSTART") == booking.slot.starts_at


def test_private_feed_lists_only_that_volunteers_sessions_and_dies_when_revoked(
    org, worker, code, other_code
):
    mine, theirs = make_clinician("mine"), make_clinician("theirs")
    _book(worker, org, make_slot(mine, hours_ahead=30))
    from respite.counseling.tests.conftest import worker_client

    _book(worker_client(other_code), org, make_slot(theirs, hours_ahead=31))
    volunteer = login(mine.user)
    page = volunteer.post(
        reverse("volunteers:calendar_feed_manage"), {"action": "create"}
    ).content.decode()
    import re

    link = re.search(r'data-testid="feed-link"', page) and re.search(
        r'value="(http[^"]+)"', page
    ).group(1)
    path = link.split("testserver", 1)[1]
    feed = Client().get(path)  # a calendar app: no session, no cookie
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(feed.content)
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    mine_booking = Booking.objects.get(slot__clinician=mine)
    theirs_booking = Booking.objects.get(slot__clinician=theirs)
    assert (
        uids == {notify.booking_uid(mine_booking)}
        and notify.booking_uid(theirs_booking) not in uids
    )
    assert CONTACT not in feed.content.decode()
    # Only a hash is stored; guessing gets the same 404 as a revoked link.
    assert Client().get(path.replace(".ics", "x.ics")).status_code == 404
    volunteer.post(reverse("volunteers:calendar_feed_manage"), {"action": "revoke"})
    assert Client().get(path).status_code == 404
    # Someone who is not a volunteer cannot manage a feed.
    assert (
        login(make_staff(org, StaffRole.COUNSELOR, "c"))
        .get(reverse("volunteers:calendar_feed_manage"))
        .status_code
        == 404
    )
