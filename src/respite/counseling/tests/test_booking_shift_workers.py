"""Booking for shift workers: every open time paged by day, the worker's time zone and clock style,
honest language matching, and moving one session without losing the series."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from respite.core.testing import run_tasks, sealed_links
from respite.counseling.models import Booking, Slot
from respite.counseling.tests.conftest import make_clinician, make_slot, worker_client

pytestmark = pytest.mark.django_db


def _offers(page: str, slot: Slot) -> bool:
    """Whether the page links to booking this slot (worker links name it only in sealed form)."""
    return any(
        path.endswith("/book/") and plain == str(slot.pk)
        for path, plain in sealed_links(page).items()
    )


def _slot_at(clinician, day, hour: int, minute: int = 0) -> Slot:
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=clinician.tz)
    return Slot.objects.create(
        clinician=clinician, starts_at=start, ends_at=start + timedelta(minutes=50)
    )


def _next_weekday(weekday: int, clinician, after_days: int = 1):
    day = (timezone.now() + timedelta(days=after_days)).astimezone(clinician.tz).date()
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def _therapists(client, org, **params):
    url = reverse("counseling:therapists", kwargs={"org": org.slug})
    return client.get(url, {"state": "CA", "language": "en", **params})


def _later_day_link(html: str) -> str | None:
    match = re.search(r'<a class="button" rel="next" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_a_saturday_morning_slot_is_reachable_day_by_day(org, worker):
    clinician = make_clinician("busy", tz="America/Los_Angeles")
    saturday = _next_weekday(5, clinician, after_days=2)
    # A full week of weekday afternoons first: far more than four earlier times.
    for offset in range(1, 7):
        day = saturday - timedelta(days=offset)
        if day.weekday() < 5 and day > timezone.now().astimezone(clinician.tz).date():
            for hour in (13, 14, 15, 16, 17):
                _slot_at(clinician, day, hour)
    early = _slot_at(clinician, saturday, 7)
    page = _therapists(worker, org, tz="America/Los_Angeles").content.decode()
    url = reverse("counseling:therapists", kwargs={"org": org.slug})
    seen = 0
    while not _offers(page, early):
        link = _later_day_link(page)
        assert link, "the Saturday morning time was never reached"
        page = worker.get(url + link).content.decode()
        seen += 1
        assert seen < 10
    assert saturday.strftime("%A") in page and "7:00 AM" in page
    # Every day with open times is also listed, so the worker can jump straight to Saturday.
    jump = _therapists(worker, org, tz="America/Los_Angeles", day=saturday.isoformat())
    assert _offers(jump.content.decode(), early)
    # Booking it from that page works.
    booked = worker.post(
        reverse("counseling:book", kwargs={"org": org.slug, "slot": early.pk}),
        {"state": "CA", "contact_method": "text", "contact": "+1 555 010 9999"},
    )
    assert booked.status_code == 302 and Booking.objects.get().slot == early


def test_a_new_york_worker_sees_new_york_times(org, worker):
    org.time_zone = "America/New_York"
    org.save(update_fields=["time_zone"])
    clinician = make_clinician("la", tz="America/Los_Angeles")
    day = _next_weekday(2, clinician, after_days=2)
    slot = _slot_at(clinician, day, 17)  # 5 PM in Los Angeles is 8 PM in New York
    # The organization's zone is the default (the no-JavaScript case) ...
    page = _therapists(worker, org).content.decode()
    assert "8:00 PM" in page and "5:00 PM" not in page and "Eastern (New York)" in page
    # ... the browser's zone (sent by the page's script) or the worker's choice wins.
    page = _therapists(worker, org, tz="America/Los_Angeles").content.decode()
    assert "5:00 PM" in page and "8:00 PM" not in page
    page = _therapists(worker, org, tz="Europe/Madrid").content.decode()
    assert "2:00 AM" in page and 'value="Europe/Madrid" selected' in page
    # A zone that does not exist is ignored, never a 500.
    bad = _therapists(worker, org, tz="Mars/Olympus")
    assert bad.status_code == 400
    # The booking page and the session list use the same zone.
    book = worker.get(
        reverse("counseling:book", kwargs={"org": org.slug, "slot": slot.pk}),
        {"state": "CA", "tz": "America/New_York"},
    ).content.decode()
    assert "8:00 PM" in book


def test_spanish_shows_24_hour_times(org):
    clinician = make_clinician("la", tz="America/Los_Angeles", languages=("en", "es"))
    _slot_at(clinician, _next_weekday(3, clinician, after_days=2), 17)
    client = worker_client(HTTP_ACCEPT_LANGUAGE="es")
    page = client.get(
        reverse("counseling:therapists", kwargs={"org": org.slug}),
        {"state": "CA", "language": "es", "tz": "America/Los_Angeles"},
    ).content.decode()
    cards = page.split('class="cards therapists"')[1]
    assert "17:00" in page and not re.search(r"\d:\d\d\s*[AP]M\b", cards)


def test_honest_language_matching(org, worker):
    english_only = make_clinician("ny", tz="America/New_York", states=("NY",), languages=("en",))
    first = make_slot(english_only, hours_ahead=30)
    page = _therapists(worker, org, state="NY", language="es").content.decode()
    assert (
        "No therapist who speaks Spanish is licensed in New York with an open time. "
        "These therapists speak English." in page
    )
    assert english_only.display_name in page
    bilingual = make_clinician("ny2", tz="America/New_York", states=("NY",), languages=("en", "es"))
    # The same time as the first: the page lists one day, and a later time could fall on the next
    # day (stop 30's CI ran between 17:00 and 18:00 UTC, when 31 hours on crossed midnight).
    Slot.objects.create(clinician=bilingual, starts_at=first.starts_at, ends_at=first.ends_at)
    page = _therapists(worker, org, state="NY", language="es").content.decode()
    assert "No therapist who speaks" not in page and "speaks your language" in page


def test_reschedule_moves_one_session_keeps_the_series_and_tells_the_therapist(
    org, worker, other_code, mailoutbox
):
    clinician = make_clinician("therapist", tz="America/New_York")
    clinician.user.email = "dr@volunteer.example"
    clinician.user.save(update_fields=["email"])
    first, second, later = (make_slot(clinician, hours_ahead=h) for h in (30, 54, 78))
    for slot in (first, second):
        worker.post(
            reverse("counseling:book", kwargs={"org": org.slug, "slot": slot.pk}),
            {"state": "CA", "contact_method": "text", "contact": "+1 555 010 9999"},
        )
    run_tasks()
    mailoutbox.clear()
    booking = Booking.objects.get(slot=first)
    move = reverse("counseling:booking_move", kwargs={"org": org.slug, "pk": booking.pk})
    page = worker.get(
        move,
        {"day": later.starts_at.astimezone(timezone.get_current_timezone()).date().isoformat()},
    )
    assert page.status_code == 200
    # A time someone holds (here: the worker's own other session) is refused clearly.
    assert worker.post(move, {"slot": second.pk}).status_code == 409
    assert worker.post(move, {"slot": "soon"}).status_code == 400
    # Another worker cannot move it.
    stranger = worker_client(other_code)
    assert stranger.post(move, {"slot": later.pk}).status_code == 404

    response = worker.post(move, {"slot": later.pk})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.slot == later and booking.status == "booked" and booking.sequence == 1
    engagement = booking.engagement
    assert engagement.is_active and engagement.contact == "+1 555 010 9999"
    assert Booking.objects.get(slot=second).status == "booked"  # the series is untouched
    assert Slot.objects.get(pk=first.pk).bookings.filter(status="booked").count() == 0
    run_tasks()
    [notice] = [m for m in mailoutbox if m.to == ["dr@volunteer.example"]]
    assert "moved" in notice.subject
    calendars = [
        Calendar.from_ical(part.get_payload(decode=True))
        for part in notice.message().walk()
        if part.get_content_type() == "text/calendar"
    ]
    [event] = list(calendars[0].walk("VEVENT"))
    assert int(event["SEQUENCE"]) == 1 and event.decoded("DTSTART") == later.starts_at
    assert "+1 555" not in notice.message().as_string()
