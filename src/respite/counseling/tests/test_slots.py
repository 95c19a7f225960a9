"""Slots come from weekly availability minus exceptions, in the clinician's own time zone."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from respite.counseling.models import (
    AvailabilityException,
    Booking,
    Engagement,
    Slot,
    WeeklyAvailability,
)
from respite.counseling.scheduling import generate_slots, match, wanted_slots
from respite.counseling.tests.conftest import make_clinician

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)  # a Monday


def test_weekly_window_cut_into_sessions_in_local_time(clinician):
    WeeklyAvailability.objects.create(clinician=clinician, weekday=1, start=time(17), end=time(20))
    created = generate_slots(clinician, days=7, now=NOW)
    la = zoneinfo.ZoneInfo("America/Los_Angeles")
    starts = [s.starts_at.astimezone(la) for s in Slot.objects.all()]
    assert created == 3
    assert [(d.weekday(), d.hour, d.minute) for d in starts] == [(1, 17, 0), (1, 18, 0), (1, 19, 0)]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=50) for s in Slot.objects.all())
    assert generate_slots(clinician, days=7, now=NOW) == 0  # idempotent


def test_exceptions_remove_days_and_hours(clinician):
    WeeklyAvailability.objects.create(clinician=clinician, weekday=1, start=time(17), end=time(20))
    WeeklyAvailability.objects.create(clinician=clinician, weekday=2, start=time(17), end=time(20))
    AvailabilityException.objects.create(
        clinician=clinician, date=date(2030, 3, 5)
    )  # whole Tuesday
    AvailabilityException.objects.create(
        clinician=clinician, date=date(2030, 3, 6), start=time(18), end=time(19)
    )
    generate_slots(clinician, days=7, now=NOW)
    la = zoneinfo.ZoneInfo("America/Los_Angeles")
    assert [s.starts_at.astimezone(la).strftime("%a %H:%M") for s in Slot.objects.all()] == [
        "Wed 17:00",
        "Wed 19:00",
    ]


def test_regeneration_keeps_booked_slots_and_drops_unbooked(clinician, code):
    window = WeeklyAvailability.objects.create(
        clinician=clinician, weekday=1, start=time(17), end=time(19)
    )
    generate_slots(clinician, days=7, now=NOW)
    booked, free = list(Slot.objects.all())
    eng = Engagement.objects.create(
        access_code=code,
        clinician=clinician,
        state="CA",
        contact_method="phone",
        contact="555 0100 22",
    )
    Booking.objects.create(engagement=eng, slot=booked)
    window.delete()
    generate_slots(clinician, days=7, now=NOW)
    assert list(Slot.objects.all()) == [booked]
    assert not Slot.objects.filter(pk=free.pk).exists()


def test_spring_forward_gap_is_skipped(db):
    clinician = make_clinician("dst", tz="America/New_York")
    # 2030-03-10 is the US spring-forward Sunday: 02:00-03:00 local does not exist.
    WeeklyAvailability.objects.create(clinician=clinician, weekday=6, start=time(1), end=time(4))
    clinician.session_minutes = 50
    starts = [
        s.astimezone(clinician.tz).strftime("%H:%M")
        for s, _e in wanted_slots(clinician, start_day=date(2030, 3, 10), days=1)
    ]
    assert "02:00" not in starts and starts[0] == "01:00"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tz=st.sampled_from(
        ["America/Los_Angeles", "America/New_York", "Pacific/Honolulu", "America/Phoenix"]
    ),
    windows=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 22), st.integers(1, 6)), min_size=1, max_size=4
    ),
    off=st.lists(st.integers(0, 13), max_size=3),
    start=st.dates(min_value=date(2030, 1, 1), max_value=date(2031, 12, 31)),
)
def test_generated_slots_fit_windows_and_avoid_exceptions(tz, windows, off, start):
    clinician = make_clinician(tz=tz)
    for weekday, hour, length in windows:
        end_hour = min(23, hour + length)
        WeeklyAvailability.objects.create(
            clinician=clinician,
            weekday=weekday,
            start=time(hour),
            end=time(end_hour, 59 if end_hour == 23 else 0),
        )
    days_off = {start + timedelta(days=d) for d in off}
    for d in days_off:
        AvailabilityException.objects.create(clinician=clinician, date=d)
    slots = wanted_slots(clinician, start_day=start, days=14)
    zone = zoneinfo.ZoneInfo(tz)
    assert len(slots) == len(set(slots))
    for s, e in slots:
        local = s.astimezone(zone)
        assert local.date() not in days_off
        assert start <= local.date() < start + timedelta(days=14)
        assert any(
            w.weekday == local.weekday()
            and w.start <= local.time()
            and (e.astimezone(zone).time() <= w.end or e.astimezone(zone).date() > local.date())
            for w in clinician.availability.all()
        )
    clinician.delete()


def test_match_requires_state_licence_and_ranks_language_specialty_then_earliest(db):
    from respite.counseling.tests.conftest import make_slot

    english = make_clinician("en-early", states=["CA"], languages=["en"])
    spanish = make_clinician(
        "es-late", states=["CA", "TX"], languages=["en", "es"], specialties=["grief"]
    )
    spanish_other = make_clinician("es-early", states=["CA"], languages=["es"])
    texas_only = make_clinician("tx", states=["TX"], languages=["es"])
    unverified = make_clinician("new", states=["CA"], languages=["es"], verified=False)
    make_slot(english, hours_ahead=5)
    make_slot(spanish, hours_ahead=48)
    make_slot(spanish_other, hours_ahead=10)
    make_slot(texas_only, hours_ahead=5)
    make_slot(unverified, hours_ahead=5)
    ranked = [m.clinician for m in match(state="CA", language="es", specialty="grief")]
    assert ranked == [spanish, spanish_other, english]
    assert [m.clinician for m in match(state="CA", language="en")] == [
        english,
        spanish,
        spanish_other,
    ]
    assert [m.clinician for m in match(state="NY", language="en")] == []
