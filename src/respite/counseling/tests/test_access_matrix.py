"""Every case, message and booking endpoint against every role: 404 unless a party.

Admins (organization and platform) see counts only and are never a party to content.
"""

from __future__ import annotations

from datetime import date, time

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from respite.core.roles import StaffRole
from respite.core.testing import make_staff
from respite.counseling.models import (
    Author,
    AvailabilityException,
    Booking,
    BookingStatus,
    Case,
    Engagement,
    Message,
    WeeklyAvailability,
)
from respite.counseling.scheduling import do_book
from respite.counseling.tests.conftest import (
    login,
    make_clinician,
    make_screening,
    make_slot,
    worker_client,
)

pytestmark = pytest.mark.django_db

ACTORS = [
    "anonymous",
    "other_worker",
    "other_org_counselor",
    "org_admin",
    "peer_supporter",
    "counselor",
    "unbooked_clinician",
    "booked_clinician",
    "platform_admin",
    "worker",
]


@pytest.fixture
def world(org, other_org, code, other_code, case, clinician, org_admin, counselor, platform_admin):
    Message.objects.create(case=case, author=Author.WORKER, body="secret worker text")
    booking = do_book(
        code=code,
        organization=org,
        slot_id=make_slot(clinician).pk,
        state="CA",
        language="en",
        contact_method="phone",
        contact="555 010 7777",
    )
    clients = {
        "anonymous": Client(),
        "other_worker": worker_client(other_code),
        "other_org_counselor": login(make_staff(other_org, StaffRole.COUNSELOR, "c2")),
        "org_admin": login(org_admin),
        "peer_supporter": login(make_staff(org, StaffRole.PEER_SUPPORTER, "peer")),
        "counselor": login(counselor),
        "unbooked_clinician": login(make_clinician("someone-else").user),
        "booked_clinician": login(clinician.user),
        "platform_admin": login(platform_admin),
        "worker": worker_client(code),
    }
    return {
        "org": org,
        "case": case,
        "booking": booking,
        "engagement": booking.engagement,
        "clients": clients,
        "screening": make_screening(org, code=code),
        "availability": WeeklyAvailability.objects.create(
            clinician=clinician, weekday=2, start=time(9), end=time(10)
        ),
        "time_off": AvailabilityException.objects.create(
            clinician=clinician, date=date(2030, 1, 2)
        ),
    }


WORKER, COUNSELOR, CLINICIAN = {"worker"}, {"counselor"}, {"booked_clinician"}

# (method, url name, the object its pk names, POST data, the actors who are a party)
ENDPOINTS = [
    ("get", "counseling:case", "case", {}, WORKER),
    ("post", "counseling:case_reply", "case", {"body": "x"}, WORKER),
    ("post", "counseling:case_delete", "case", {"confirm": "on"}, WORKER),
    ("post", "counseling:share", "screening", {}, WORKER),
    ("get", "counseling:engagement", "engagement", {}, WORKER),
    ("post", "counseling:rematch", "engagement", {}, WORKER),
    ("post", "counseling:engagement_delete", "engagement", {"confirm": "on"}, WORKER),
    ("post", "counseling:booking_cancel", "booking", {}, WORKER),
    ("get", "counseling:booking_ics", "booking", {}, WORKER),
    ("get", "counseling:booking_move", "booking", {}, WORKER),
    ("get", "counseling_staff:case", "case", {}, COUNSELOR),
    ("post", "counseling_staff:case_reply", "case", {"body": "x"}, COUNSELOR),
    ("post", "counseling_staff:case_urgent", "case", {"urgent": "1"}, COUNSELOR),
    ("post", "counseling_staff:case_close", "case", {}, COUNSELOR),
    ("post", "volunteers:booking_decline", "booking", {}, CLINICIAN),
    ("post", "volunteers:booking_complete", "booking", {}, CLINICIAN),
    ("get", "volunteers:booking_ics", "booking", {}, CLINICIAN),
    ("post", "volunteers:availability_delete", "availability", {}, CLINICIAN),
    ("post", "volunteers:exception_delete", "time_off", {}, CLINICIAN),
]
# Object pages tested elsewhere, with the reason.
ELSEWHERE = {
    "volunteers:verify": "platform admins only, and not their own: test_booking",
}


def _url(w, name: str, obj: str) -> str:
    kwargs = {"pk": w[obj].pk}
    if not name.startswith("volunteers:"):
        kwargs["org"] = w["org"].slug
    return reverse(name, kwargs=kwargs)


def _endpoints(w):
    return [
        (method, _url(w, name, obj), data, parties)
        for method, name, obj, data, parties in ENDPOINTS
    ]


def _object_urls(namespace: str) -> set[str]:
    """Every url name of the namespace that takes a ``pk``: the pages about one object."""
    _prefix, resolver = get_resolver().namespace_dict[namespace]
    return {
        f"{namespace}:{key}"
        for key, values in resolver.reverse_dict.lists()
        if isinstance(key, str)
        for possibility, *_rest in values
        for _format, params in possibility
        if "pk" in params
    }


def test_the_matrix_covers_every_object_page():
    """A new case, booking or engagement page fails here until it is added to ENDPOINTS."""
    found = set().union(
        *(_object_urls(ns) for ns in ("counseling", "counseling_staff", "volunteers"))
    )
    listed = {name for _m, name, *_rest in ENDPOINTS}
    assert found - listed - set(ELSEWHERE) == set()
    assert listed <= found  # no stale entry


def test_every_endpoint_is_404_unless_a_party(world):
    for method, url, data, parties in _endpoints(world):
        for actor in ACTORS:
            if actor in parties:
                continue
            response = getattr(world["clients"][actor], method)(url, data)
            assert response.status_code == 404, (actor, url, response.status_code)
            assert b"secret worker text" not in response.content
    # Nothing changed while non-parties knocked.
    assert Case.objects.get().status == "open" and not Case.objects.get().urgent
    assert Message.objects.count() == 1
    assert Booking.objects.get().status == BookingStatus.BOOKED
    assert Engagement.objects.get().contact == "555 010 7777"
    assert WeeklyAvailability.objects.count() == 1 and AvailabilityException.objects.count() == 1


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS])
def test_each_endpoint_works_for_its_party(world, endpoint):
    method, name, obj, data, parties = endpoint
    url = _url(world, name, obj)
    for actor in parties:
        response = getattr(world["clients"][actor], method)(url, data)
        assert response.status_code in (200, 302), (actor, url, response.status_code)


def test_org_pages_for_admins_are_counts_only(world):
    org = world["org"]
    for actor in ("org_admin", "platform_admin"):
        client = world["clients"][actor]
        report = client.get(reverse("counseling_staff:report", kwargs={"org": org.slug}))
        assert report.status_code == 200 and b"secret worker text" not in report.content
        assert (
            client.get(reverse("counseling_staff:queue", kwargs={"org": org.slug})).status_code
            == 404
        )
    for actor in ("counselor", "peer_supporter", "other_org_counselor", "booked_clinician"):
        assert (
            world["clients"][actor]
            .get(reverse("counseling_staff:report", kwargs={"org": org.slug}))
            .status_code
            == 404
        )


def test_signed_out_staff_lists_redirect_to_login(world):
    response = Client().get(reverse("counseling_staff:queue", kwargs={"org": world["org"].slug}))
    assert response.status_code == 302 and "/staff/login/" in response.url
