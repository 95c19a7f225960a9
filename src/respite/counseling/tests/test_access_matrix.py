"""Every case, message and booking endpoint against every role: 404 unless a party.

Admins (organization and platform) see counts only and are never a party to content.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from respite.core.roles import StaffRole
from respite.core.testing import make_staff
from respite.counseling.models import Author, Booking, BookingStatus, Case, Engagement, Message
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
    }


def _endpoints(w):
    o, c, b, e = w["org"].slug, w["case"].pk, w["booking"].pk, w["engagement"].pk
    worker = {"worker"}
    counselor = {"counselor"}
    clinician = {"booked_clinician"}
    return [
        ("get", reverse("counseling:case", kwargs={"org": o, "pk": c}), {}, worker),
        (
            "post",
            reverse("counseling:case_reply", kwargs={"org": o, "pk": c}),
            {"body": "x"},
            worker,
        ),
        (
            "post",
            reverse("counseling:case_delete", kwargs={"org": o, "pk": c}),
            {"confirm": "on"},
            worker,
        ),
        (
            "post",
            reverse("counseling:share", kwargs={"org": o, "pk": w["screening"].pk}),
            {},
            worker,
        ),
        ("get", reverse("counseling:engagement", kwargs={"org": o, "pk": e}), {}, worker),
        ("post", reverse("counseling:rematch", kwargs={"org": o, "pk": e}), {}, worker),
        (
            "post",
            reverse("counseling:engagement_delete", kwargs={"org": o, "pk": e}),
            {"confirm": "on"},
            worker,
        ),
        ("post", reverse("counseling:booking_cancel", kwargs={"org": o, "pk": b}), {}, worker),
        ("get", reverse("counseling:booking_ics", kwargs={"org": o, "pk": b}), {}, worker),
        ("get", reverse("counseling_staff:case", kwargs={"org": o, "pk": c}), {}, counselor),
        (
            "post",
            reverse("counseling_staff:case_reply", kwargs={"org": o, "pk": c}),
            {"body": "x"},
            counselor,
        ),
        (
            "post",
            reverse("counseling_staff:case_urgent", kwargs={"org": o, "pk": c}),
            {"urgent": "1"},
            counselor,
        ),
        ("post", reverse("counseling_staff:case_close", kwargs={"org": o, "pk": c}), {}, counselor),
        ("post", reverse("volunteers:booking_decline", kwargs={"pk": b}), {}, clinician),
        ("post", reverse("volunteers:booking_complete", kwargs={"pk": b}), {}, clinician),
        ("get", reverse("volunteers:booking_ics", kwargs={"pk": b}), {}, clinician),
    ]


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


@pytest.mark.parametrize("index", range(16))
def test_each_endpoint_works_for_its_party(world, index):
    method, url, data, parties = _endpoints(world)[index]
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
