import pytest
from django.test import Client

from respite.core.models import AuditLog
from respite.core.testing import PASSWORD
from respite.peers.models import (
    Source,
    SupportRequest,
    TrainingCompletion,
    TrainingMaterial,
    do_create_request,
)
from respite.peers.tests.factories import make_referral, make_supporter


@pytest.fixture
def supporter_client(icu_supporter):
    client = Client()
    client.login(username="ivan", password=PASSWORD)
    return client


def _url(org, req, action=""):
    return f"/staff/o/{org.slug}/peer-support/r/{req.pk}/{action}"


@pytest.mark.django_db
def test_accept_contact_follow_up_close(org, er, icu_supporter, supporter_client):
    req = make_referral(
        org, er, source=Source.COLLEAGUE, contact="555-0100", event_type="medical_error"
    )
    assert b"PS-" in supporter_client.get(f"/staff/o/{org.slug}/peer-support/").content
    supporter_client.post(_url(org, req, "accept/"))
    assert (
        supporter_client.post(_url(org, req, "contact/"), {"method": "portal"}).status_code == 400
    )
    supporter_client.post(_url(org, req, "contact/"), {"method": "phone"})
    supporter_client.post(
        _url(org, req, "follow-up/"), {"follow_up_on": "2030-01-05", "referral": "crisis"}
    )
    assert (
        supporter_client.post(_url(org, req, "follow-up/"), {"referral": "diagnosis"}).status_code
        == 400
    )
    req.refresh_from_db()
    assert req.contacted_at and req.contact_method == "phone" and req.referral == "crisis"
    assert str(req.follow_up_on) == "2030-01-05"
    page = supporter_client.post(_url(org, req, "close/"), {"confirm": "on"})
    assert b'data-testid="rating-code"' in page.content
    req.refresh_from_db()
    assert req.closed_at and req.contact == "" and req.rating_code_id
    actions = set(AuditLog.objects.filter(target_id=str(req.pk)).values_list("action", flat=True))
    assert {"peers.request_accepted", "peers.contact_recorded", "peers.request_closed"} <= actions
    assert all("555-0100" not in str(e.detail) for e in AuditLog.objects.all())
    # closed: no more changes
    assert supporter_client.post(_url(org, req, "contact/"), {"method": "phone"}).status_code == 404


@pytest.mark.django_db
def test_anonymous_request_needs_a_message(org, icu_supporter, supporter_client):
    req = do_create_request(org, Source.SELF_CODE, code_for="requester")[0]
    supporter_client.post(_url(org, req, "accept/"))
    assert (
        supporter_client.post(_url(org, req, "contact/"), {"method": "portal"}).status_code == 400
    )
    supporter_client.post(
        _url(org, req, "contact/"), {"method": "portal", "message": "I'm Ivan, ext 4411"}
    )
    req.refresh_from_db()
    assert req.supporter_message == "I'm Ivan, ext 4411" and req.contacted_at


@pytest.mark.django_db
def test_lead_offers_and_reassigns_only_to_suggested(
    org, er, icu, lead, icu_supporter, er_supporter
):
    req = make_referral(org, er)
    req.do_accept(icu_supporter)
    other = make_supporter(org, "olga", [icu])
    client = Client()
    client.login(username=lead.username, password=PASSWORD)
    page = client.get(f"/staff/o/{org.slug}/peer-support/lead/queue/{req.pk}/")
    assert (
        b"Olga" in page.content and b"Erin" not in page.content and b"555-0123" not in page.content
    )
    client.post(
        f"/staff/o/{org.slug}/peer-support/lead/queue/{req.pk}/offer/",
        {"supporter": er_supporter.pk},
    )
    req.refresh_from_db()
    assert req.assigned == icu_supporter and not req.offers.filter(pk=er_supporter.pk).exists()
    client.post(
        f"/staff/o/{org.slug}/peer-support/lead/queue/{req.pk}/offer/", {"supporter": other.pk}
    )
    req.refresh_from_db()
    assert req.assigned is None and req.offers.filter(pk=other.pk).exists()
    assert (
        client.post(
            f"/staff/o/{org.slug}/peer-support/lead/queue/{req.pk}/offer/", {"supporter": "x"}
        ).status_code
        == 302
    )


@pytest.mark.django_db
def test_shifts(org, icu_supporter, supporter_client):
    url = f"/staff/o/{org.slug}/peer-support/availability/"
    assert (
        supporter_client.post(
            url, {"start": "2030-01-01T08:00", "end": "2030-01-01T07:00"}
        ).status_code
        == 400
    )
    supporter_client.post(url, {"start": "2030-01-01T08:00", "end": "2030-01-01T20:00"})
    assert icu_supporter.shifts.count() == 1


@pytest.mark.django_db
def test_education_is_sanitised_and_completion_tracked(org, lead, icu_supporter, supporter_client):
    client = Client()
    client.login(username=lead.username, password=PASSWORD)
    response = client.post(
        f"/staff/o/{org.slug}/peer-support/lead/materials/new/",
        {
            "title": "First conversation",
            "published": "on",
            "body": '<p onclick="x()">Listen</p><script>alert(1)</script><a href="javascript:x()">bad</a>',
        },
    )
    assert response.status_code == 302
    material = TrainingMaterial.objects.get()
    assert (
        "script" not in material.body
        and "onclick" not in material.body
        and "javascript" not in material.body
    )
    assert "<p>Listen</p>" in material.body
    draft = TrainingMaterial.objects.create(organization=org, title="Draft", body="x")
    assert (
        supporter_client.get(f"/staff/o/{org.slug}/peer-support/training/{draft.pk}/").status_code
        == 404
    )
    page = supporter_client.get(f"/staff/o/{org.slug}/peer-support/training/{material.pk}/")
    assert b"<p>Listen</p>" in page.content
    supporter_client.post(f"/staff/o/{org.slug}/peer-support/training/{material.pk}/complete/")
    assert TrainingCompletion.objects.filter(material=material, supporter=icu_supporter).exists()
    grid = client.get(f"/staff/o/{org.slug}/peer-support/lead/materials/").content.decode()
    assert "Ivan" in grid and "done" in grid


@pytest.mark.django_db
def test_lead_manages_roster(org, lead, icu):
    from respite.core.roles import StaffRole
    from respite.core.testing import make_staff

    new = make_staff(org, StaffRole.PEER_SUPPORTER, "newbie")
    client = Client()
    client.login(username=lead.username, password=PASSWORD)
    response = client.post(
        f"/staff/o/{org.slug}/peer-support/lead/roster/new/",
        {
            "user": new.pk,
            "display_name": "Nia",
            "training_course": "RISE",
            "trained_on": "2025-01-10",
            "refresher_due": "2026-01-10",
            "departments": [icu.pk],
            "role_groups": ["nurse"],
            "languages": ["en"],
            "max_open": "2",
            "active": "on",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/staff/o/{org.slug}/peer-support/lead/roster/").content.decode()
    assert "Nia" in page and "2026" in page
    # a counselor cannot be put on the roster (only peer_supporter accounts)
    counselor = make_staff(org, StaffRole.COUNSELOR, "couns")
    response = client.post(
        f"/staff/o/{org.slug}/peer-support/lead/roster/new/",
        {"user": counselor.pk, "display_name": "C", "languages": ["en"], "max_open": "2"},
    )
    assert response.status_code == 400
    client.post(f"/staff/o/{org.slug}/peer-support/lead/departments/add/", {"name": "Radiology"})
    assert b"Radiology" in client.get(f"/staff/o/{org.slug}/peer-support/lead/roster/").content


@pytest.mark.django_db
def test_org_admin_names_leads(org, org_admin, icu_supporter):
    client = Client()
    client.login(username=org_admin.username, password=PASSWORD)
    response = client.post(
        f"/staff/o/{org.slug}/peer-support/settings/",
        {"target_hours": "12", "offer_to": "2", "leads": [icu_supporter.user.pk]},
    )
    assert response.status_code == 302
    assert (
        client.post(
            f"/staff/o/{org.slug}/peer-support/settings/", {"target_hours": "0", "offer_to": "2"}
        ).status_code
        == 400
    )
    lead_client = Client()
    lead_client.login(username="ivan", password=PASSWORD)
    assert lead_client.get(f"/staff/o/{org.slug}/peer-support/lead/").status_code == 200
    assert SupportRequest.objects.count() == 0
