"""Booking a volunteer therapist: licence, caps, cancellation, decline, contact erasure, .ics."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from respite.core import privacy
from respite.core.models import AuditLog
from respite.counseling import notify, scheduling
from respite.counseling.models import Booking, Engagement
from respite.counseling.tests.conftest import (
    VOLUNTEER_PROFILE,
    login,
    make_clinician,
    make_slot,
    worker_client,
)

pytestmark = pytest.mark.django_db

CONTACT = "+1 555 010 9999"


def _book(client, org, slot, state="CA", contact=CONTACT, method="text"):
    return client.post(
        reverse("counseling:book", kwargs={"org": org.slug, "slot": slot.pk}),
        {"state": state, "contact_method": method, "contact": contact},
    )


def _raw_contact(engagement) -> str:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT contact FROM counseling_engagement WHERE id = %s",
            [engagement.pk.hex if connection.vendor == "sqlite" else engagement.pk],
        )
        return cur.fetchone()[0]


def test_book_a_slot_and_contact_is_encrypted_at_rest(org, worker, clinician):
    slot = make_slot(clinician)
    response = _book(worker, org, slot)
    engagement = Engagement.objects.get()
    assert response.status_code == 302
    assert response.url == reverse(
        "counseling:engagement", kwargs={"org": org.slug, "pk": engagement.pk}
    )
    assert engagement.contact == CONTACT
    raw = _raw_contact(engagement)
    assert raw and "555 010" not in raw and raw.startswith("gAAAA")
    page = worker.get(response.url).content.decode()
    assert "Add to my calendar" in page and CONTACT not in page


def test_booking_needs_a_code_in_session(org, clinician):
    slot = make_slot(clinician)
    page = Client().get(reverse("counseling:book", kwargs={"org": org.slug, "slot": slot.pk}))
    assert "I have an access code" in page.content.decode()
    assert not Booking.objects.exists()


def test_taken_slot_is_a_clear_409(org, code, other_code, clinician):
    slot = make_slot(clinician)
    assert _book(worker_client(code), org, slot).status_code == 302
    response = _book(worker_client(other_code), org, slot)
    assert response.status_code == 409
    assert (
        "no longer available" in response.content.decode()
        or "just booked" in response.content.decode()
    )
    assert Booking.objects.count() == 1


def test_therapist_must_be_licensed_in_workers_state(org, worker, clinician):
    response = _book(worker, org, make_slot(clinician), state="TX")
    assert response.status_code == 400 and "not licensed in the state" in response.content.decode()


def test_bad_contact_is_a_400_with_message(org, worker, clinician):
    response = _book(worker, org, make_slot(clinician), contact="call me", method="phone")
    assert response.status_code == 400 and "Enter a phone number" in response.content.decode()
    response = _book(worker, org, make_slot(clinician, hours_ahead=30), contact="", method="email")
    assert response.status_code == 400


def test_unverified_clinician_cannot_be_booked(org, worker):
    slot = make_slot(make_clinician("pending", verified=False))
    assert _book(worker, org, slot).status_code == 409


def test_session_cap_is_enforced(org, worker, code):
    capped = make_clinician("capped", cap=2)
    slots = [make_slot(capped, hours_ahead=h) for h in (24, 48, 72)]
    assert _book(worker, org, slots[0]).status_code == 302
    assert (
        _book(worker, org, slots[1], contact="").status_code == 302
    )  # second session reuses the contact
    response = _book(worker, org, slots[2], contact="")
    assert response.status_code == 400 and "all 2 sessions" in response.content.decode()


def test_cancel_frees_slot_and_cancelling_all_erases_contact(org, worker, other_code, clinician):
    slot = make_slot(clinician)
    _book(worker, org, slot)
    booking = Booking.objects.get()
    url = reverse("counseling:booking_cancel", kwargs={"org": org.slug, "pk": booking.pk})
    asked = worker.post(url)  # one tap only asks
    assert asked.status_code == 200 and "Cancel this session?" in asked.content.decode()
    assert Booking.objects.get().status == "booked"
    worker.post(url, {"confirm": "end"})
    engagement = Engagement.objects.get()
    assert engagement.status == "ended" and engagement.end_reason == "cancelled"
    assert engagement.contact == "" and _raw_contact(engagement) in ("", None)
    assert _book(worker_client(other_code), org, slot).status_code == 302  # the slot is free again


def test_cancel_one_session_keeps_the_series(org, worker, other_code, clinician):
    slot = make_slot(clinician)
    _book(worker, org, slot)
    booking = Booking.objects.get()
    url = reverse("counseling:booking_cancel", kwargs={"org": org.slug, "pk": booking.pk})
    worker.post(url, {"confirm": "keep"})
    engagement = Engagement.objects.get()
    assert Booking.objects.get().status == "cancelled" and engagement.status == "active"
    assert (
        _book(worker_client(other_code), org, slot).status_code == 302
    )  # the time is free for others


def test_last_session_done_erases_contact(org, worker, clinician):
    first, second = make_slot(clinician, hours_ahead=24), make_slot(clinician, hours_ahead=48)
    _book(worker, org, first)
    _book(worker, org, second, contact="")
    therapist = login(clinician.user)
    b1, b2 = Booking.objects.order_by("slot__starts_at")
    therapist.post(reverse("volunteers:booking_complete", kwargs={"pk": b1.pk}))
    assert Engagement.objects.get().contact == CONTACT  # one more session to go
    therapist.post(reverse("volunteers:booking_complete", kwargs={"pk": b2.pk}), {"last": "on"})
    engagement = Engagement.objects.get()
    assert (
        engagement.status == "ended"
        and engagement.contact == ""
        and _raw_contact(engagement) in ("", None)
    )


def test_reaching_the_cap_ends_engagement(org, worker):
    capped = make_clinician("cap1", cap=1)
    _book(worker, org, make_slot(capped))
    scheduling.do_complete(Booking.objects.get())
    engagement = Engagement.objects.get()
    assert engagement.end_reason == "cap" and engagement.contact == ""


def test_worker_deleting_their_code_deletes_contact(org, worker, clinician):
    _book(worker, org, make_slot(clinician))
    worker.post(reverse("screening:delete_all", kwargs={"org": org.slug}), {"confirm": "on"})
    assert not Engagement.objects.exists() and not Booking.objects.exists()
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM counseling_engagement")
        assert cur.fetchone()[0] == 0


def test_worker_withdraw_and_delete_frees_the_slot(org, worker, other_code, clinician):
    slot = make_slot(clinician)
    _book(worker, org, slot)
    engagement = Engagement.objects.get()
    worker.post(
        reverse("counseling:engagement_delete", kwargs={"org": org.slug, "pk": engagement.pk}),
        {"confirm": "on"},
    )
    assert not Engagement.objects.exists()
    assert _book(worker_client(other_code), org, slot).status_code == 302


def test_clinician_sees_schedule_and_declines(org, worker, clinician):
    slot = make_slot(clinician)
    _book(worker, org, slot)
    booking = Booking.objects.get()
    therapist = login(clinician.user)
    schedule = therapist.get(reverse("volunteers:schedule")).content.decode()
    assert CONTACT in schedule  # the therapist needs it to reach the worker
    therapist.post(reverse("volunteers:booking_decline", kwargs={"pk": booking.pk}))
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == "declined" and slot.withdrawn
    engagement = Engagement.objects.get()
    assert engagement.end_reason == "declined" and engagement.contact == ""
    # A therapist who declined is not offered to this worker again.
    assert clinician.pk in scheduling.excluded_for(engagement.access_code)


def test_rematch_cancels_sessions_and_excludes_therapist(org, worker, code, clinician):
    other = make_clinician("other-therapist")
    make_slot(other)
    _book(worker, org, make_slot(clinician))
    engagement = Engagement.objects.get()
    response = worker.post(
        reverse("counseling:rematch", kwargs={"org": org.slug, "pk": engagement.pk})
    )
    assert Booking.objects.get().status == "cancelled"
    page = worker.get(response.url)
    assert [m.clinician for m in page.context["found"]] == [other]


def test_ics_files_are_valid_and_carry_no_contact(org, worker, clinician):
    slot = make_slot(clinician)
    _book(worker, org, slot)
    booking = Booking.objects.get()
    for response in (
        worker.get(reverse("counseling:booking_ics", kwargs={"org": org.slug, "pk": booking.pk})),
        login(clinician.user).get(reverse("volunteers:booking_ics", kwargs={"pk": booking.pk})),
    ):
        assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
        assert "attachment" in response["Content-Disposition"]
        cal = Calendar.from_ical(response.content)
        event = cal.walk("VEVENT")[0]
        assert event.decoded("dtstart") == slot.starts_at and event.decoded("dtend") == slot.ends_at
        assert str(event["uid"]) == notify.booking_uid(
            booking
        )  # the same event as the emailed invitation
        body = response.content.decode()
        assert CONTACT not in body and "0109999" not in body  # not just "555": a uuid can hold that
        assert str(booking.engagement.access_code_id) not in body
        assert org.name not in body


def test_platform_admin_verifies_licence_with_audit(platform_admin):
    pending = make_clinician("pending2", verified=False)
    assert scheduling.match(state="CA") == []
    make_slot(pending)
    admin = login(platform_admin)
    admin.post(reverse("volunteers:verify", kwargs={"pk": pending.pk}))
    pending.refresh_from_db()
    assert pending.verified_at and pending.verified_by == platform_admin
    assert AuditLog.objects.filter(
        action="counseling.clinician_verified", target_id=str(pending.pk)
    ).exists()
    assert [m.clinician for m in scheduling.match(state="CA")] == [pending]


def test_only_platform_admins_verify(org_admin, counselor, clinician):
    pending = make_clinician("pending3", verified=False)
    for user in (org_admin, counselor, clinician.user):
        assert (
            login(user).post(reverse("volunteers:verify", kwargs={"pk": pending.pk})).status_code
            == 404
        )
        assert login(user).get(reverse("volunteers:review")).status_code == 404
    pending.refresh_from_db()
    assert pending.verified_at is None


def test_changing_licence_sends_profile_back_for_verification(clinician):
    therapist = login(clinician.user)
    data = {**VOLUNTEER_PROFILE, "states": ["CA", "OR"]}
    assert therapist.post(reverse("volunteers:profile"), data).status_code == 302
    clinician.refresh_from_db()
    assert clinician.verified_at is None and clinician.states == ["CA", "OR"]
    bad = therapist.post(
        reverse("volunteers:profile"), {**data, "time_zone": "Mars/Olympus", "session_cap": "99"}
    )
    assert bad.status_code == 400


def test_new_code_for_booking_without_screening(org, clinician):
    client = Client()
    response = client.post(reverse("counseling:new_code", kwargs={"org": org.slug}))
    words = response.context["code"]
    assert privacy.normalize_code(words)
    slot = make_slot(clinician)
    assert _book(client, org, slot).status_code == 302


def test_therapists_api_lists_verified_only_with_validation(client, clinician):
    make_slot(clinician)
    make_slot(make_clinician("hidden", verified=False))
    data = client.get("/api/v1/counseling/therapists?state=CA").json()["contents"]
    assert [d["id"] for d in data] == [clinician.pk] and "licence_number" not in data[0]
    bad = client.get("/api/v1/counseling/therapists?state=ZZ")
    assert bad.status_code == 422 and "detail" in bad.json()


def test_demo_is_idempotent_and_lists_verified_therapists(org, other_org):
    from respite.counseling import demo

    org.state = "CA"
    org.save()
    demo.load([org, other_org])
    demo.load([org, other_org])
    assert scheduling.match(state="CA", language="es")[0].clinician.display_name == "Ana R., LCSW"
    assert len({m.clinician.pk for m in scheduling.match(state="CA")}) == 2


def test_pages_are_translated_to_spanish(org, worker):
    page = worker.get(
        reverse("counseling:therapists", kwargs={"org": org.slug}), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert "Sesiones gratuitas con un terapeuta voluntario" in page.content.decode()
