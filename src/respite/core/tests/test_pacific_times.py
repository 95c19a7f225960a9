"""A California organization's staff see Pacific times on every staff page that shows a time, and in
their emails: never UTC, and never a Pacific time labelled "UTC"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from respite.core import privacy
from respite.core.models import AuditLog
from respite.core.roles import StaffRole
from respite.core.testing import make_staff, run_tasks

pytestmark = pytest.mark.django_db

# 18:00 UTC is 11:00 in California (daylight time) on this day. On the hour: times next to a worker's
# case or request are kept to the hour.
FIXED = datetime(2026, 7, 1, 18, 0, tzinfo=UTC)
PACIFIC = {"en": "11 a.m.", "es": "11:00"}
UTC_SHOWN = {"en": "6 p.m.", "es": "18:00"}


@pytest.fixture
def california(org):
    org.time_zone = "America/Los_Angeles"
    org.save()
    return org


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _assert_pacific(
    client: Client, url: str, language: str, pacific: str = "", utc: str = ""
) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, url
    main = response.content.decode().split("<main", 1)[1]
    assert (pacific or PACIFIC[language]) in main, url
    assert (utc or UTC_SHOWN[language]) not in main, url
    assert not re.search(r"\bUTC\b", main), url
    return main


@pytest.mark.parametrize("language", ["en", "es"])
def test_counseling_pages_show_pacific_times(california, language):
    from respite.counseling.models import Message
    from respite.counseling.tests.conftest import make_case

    case = make_case(california, opened=FIXED)
    Message.objects.filter(case=case).update(created_at=FIXED)
    counselor = _as(make_staff(california, StaffRole.COUNSELOR, "cora"))
    _assert_pacific(counselor, f"/staff/o/{california.slug}/counseling/", language)


@pytest.mark.parametrize("language", ["en", "es"])
def test_peer_support_pages_show_pacific_times(california, language):
    from respite.peers.models import Shift, Source, SupportRequest, do_create_request
    from respite.peers.tests.factories import make_lead, make_supporter

    supporter = make_supporter(california, "pat")
    lead = make_lead(california)
    req, _ = do_create_request(california, Source.SELF_CONTACT, contact="555-0100", code_for=None)
    SupportRequest.objects.filter(pk=req.pk).update(created_at=FIXED - timedelta(days=1))
    req.offers.add(supporter)
    # Shifts are listed while ahead: 18:00 UTC on a winter day next year is 10:00 in California.
    winter = datetime(timezone.now().year + 1, 1, 15, 18, 0, tzinfo=UTC)
    Shift.objects.create(supporter=supporter, start=winter, end=winter + timedelta(hours=2))
    base = f"/staff/o/{california.slug}/peer-support/"

    _assert_pacific(_as(supporter.user), f"{base}r/{req.pk}/", language)
    availability = _assert_pacific(
        _as(supporter.user),
        f"{base}availability/",
        language,
        pacific={"en": "10 a.m.", "es": "10:00"}[language],
        utc=UTC_SHOWN[language],
    )
    assert "America/Los_Angeles" in availability
    _assert_pacific(_as(lead), f"{base}lead/queue/{req.pk}/", language)


@pytest.mark.parametrize("language", ["en", "es"])
def test_audit_log_shows_pacific_times(california, org_admin, language):
    AuditLog.objects.create(
        actor=org_admin, actor_label="owner", organization=california, action="x.y", at=FIXED
    )
    _assert_pacific(
        _as(org_admin),
        f"/staff/o/{california.slug}/audit/",
        language,
        pacific="2026-07-01 11:00",
        utc="18:00",
    )


def test_a_volunteers_booking_email_shows_their_pacific_time(california):
    from respite.counseling import notify
    from respite.counseling.models import Booking, Engagement, Slot
    from respite.counseling.tests.conftest import make_clinician

    clinician = make_clinician("therapist", email="therapist@example.org", display_name="Dr Vega")
    slot = Slot.objects.create(
        clinician=clinician, starts_at=FIXED, ends_at=FIXED + timedelta(minutes=50)
    )
    engagement = Engagement.objects.create(
        access_code=privacy.new_access_code(california)[1],
        organization=california,
        clinician=clinician,
        state="CA",
        contact_method="phone",
    )
    booking = Booking.objects.create(engagement=engagement, slot=slot)

    notify.booked(booking)
    run_tasks()

    body = mail.outbox[-1].body
    assert "2026-07-01 11:00 (America/Los_Angeles)" in body
    assert "18:00" not in body


def test_staff_notices_render_in_the_persons_zone(california):
    """Every staff email is made by ``notify_staff`` inside the person's zone: a time formatted by
    any notice comes out Pacific for a California organization's staff."""
    from respite.core.notify import notify_staff

    person = make_staff(california, StaffRole.COUNSELOR, "cora")
    person.email = "cora@example.org"
    person.save()

    def render(_user) -> tuple[str, str]:
        return "Notice", f"At {timezone.localtime(FIXED):%H:%M}"

    notify_staff([person], "test.notice", render, always=True)
    run_tasks()
    assert mail.outbox[-1].body == "At 11:00"
