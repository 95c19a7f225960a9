"""Access-control matrix: every request, handoff, follow-up and lead endpoint against every actor."""

import pytest
from django.test import Client
from django.urls import reverse

from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff
from respite.peers.models import Source, do_create_request
from respite.peers.tests.factories import make_lead, make_referral, make_supporter

ACTORS = [
    "anonymous",
    "outsider",
    "counselor",
    "org_admin",
    "unassigned_supporter",
    "assigned_supporter",
    "lead",
]

# (name, method, path template, POST data, the actors who are a party)
ENDPOINTS = [
    ("handoff", "get", "r/{pk}/", {}, {"assigned_supporter"}),
    ("accept", "post", "r/{pk}/accept/", {}, {"assigned_supporter"}),
    ("decline", "post", "r/{pk}/decline/", {}, set()),
    ("contact", "post", "r/{pk}/contact/", {"method": "phone"}, {"assigned_supporter"}),
    (
        "follow_up",
        "post",
        "r/{pk}/follow-up/",
        {"referral": "professional"},
        {"assigned_supporter"},
    ),
    ("close", "post", "r/{pk}/close/", {"confirm": "on"}, {"assigned_supporter"}),
    ("dashboard", "get", "lead/", {}, {"lead"}),
    ("queue", "get", "lead/queue/", {}, {"lead"}),
    ("lead_request", "get", "lead/queue/{pk}/", {}, {"lead"}),
    ("lead_offer", "post", "lead/queue/{pk}/offer/", {"supporter": "{spare}"}, {"lead"}),
    ("roster", "get", "lead/roster/", {}, {"lead"}),
    ("materials", "get", "lead/materials/", {}, {"lead"}),
    (
        "settings",
        "get",
        "settings/",
        {},
        {"org_admin", "lead"},
    ),  # the lead fixture is also an org admin
]


@pytest.fixture
def world(org, other_org, er, icu):
    lead = make_lead(org, "lead")
    assigned = make_supporter(org, "assigned", [icu])
    unassigned = make_supporter(org, "unassigned", [icu])
    spare = make_supporter(org, "spare", [icu])
    req = make_referral(org, er, contact="555-0100", event_type="patient_death")
    assert req.do_accept(assigned)
    users = {
        "outsider": make_staff(other_org, StaffRole.ORG_ADMIN, "outsider"),
        "counselor": make_staff(org, StaffRole.COUNSELOR, "counselor"),
        "org_admin": make_staff(org, StaffRole.ORG_ADMIN, "owner"),
        "unassigned_supporter": unassigned.user,
        "assigned_supporter": assigned.user,
        "lead": lead,
    }
    return {"req": req, "users": users, "spare": spare}


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize("actor", ACTORS)
def test_access_matrix(world, org, endpoint, actor):
    _name, method, template, data, parties = endpoint
    req = world["req"]
    client = Client()
    if actor != "anonymous":
        assert client.login(username=world["users"][actor].username, password=PASSWORD)
    url = f"/staff/o/{org.slug}/peer-support/" + template.format(pk=req.pk)
    payload = {k: v.format(spare=world["spare"].pk) for k, v in data.items()}
    response = getattr(client, method)(url, payload)
    if actor == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    elif actor in parties:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == 404
    if actor != "assigned_supporter":
        assert b"555-0100" not in response.content


@pytest.mark.django_db
def test_worker_status_page_is_not_open_to_staff(world, org, er):
    """The page exists and opens for the worker who holds the code; every staff role, the
    assigned supporter and program lead included, gets 404 at that same address."""
    req, words = do_create_request(
        org,
        Source.MANAGER,
        code_for="referrer",
        contact="555-0199",
        department=er,
        event_type="patient_death",
    )
    url = reverse("peers:status", kwargs={"org": org.slug, "pk": req.pk})
    worker = Client()
    checked = worker.post(reverse("peers:check", kwargs={"org": org.slug}), {"code": words})
    assert checked.status_code == 302 and checked["Location"] == url
    shown = worker.get(url)
    assert shown.status_code == 200 and req.reference in shown.content.decode()
    assert world["users"]
    for actor, user in world["users"].items():
        client = Client()
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 404, actor
        assert req.reference not in response.content.decode(), actor


@pytest.mark.django_db
def test_offered_supporter_sees_no_contact_before_accepting(org, er, icu):
    make_supporter(org, "offered", [icu])
    req = make_referral(org, er, contact="555-0100", event_type="patient_death")
    client = Client()
    client.login(username="offered", password=PASSWORD)
    page = client.get(f"/staff/o/{org.slug}/peer-support/r/{req.pk}/")
    assert page.status_code == 200 and b"555-0100" not in page.content and b"Accept" in page.content
    client.post(f"/staff/o/{org.slug}/peer-support/r/{req.pk}/accept/")
    assert b"555-0100" in client.get(f"/staff/o/{org.slug}/peer-support/r/{req.pk}/").content


@pytest.mark.django_db
def test_csrf_enforced_on_staff_posts(world, org):
    client = Client(enforce_csrf_checks=True)
    client.login(username="assigned", password=PASSWORD)
    response = client.post(
        f"/staff/o/{org.slug}/peer-support/r/{world['req'].pk}/contact/", {"method": "phone"}
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_wrong_method_is_refused(world, org):
    client = Client()
    client.login(username="assigned", password=PASSWORD)
    for path in ("accept", "contact", "follow-up", "close"):
        assert (
            client.get(f"/staff/o/{org.slug}/peer-support/r/{world['req'].pk}/{path}/").status_code
            == 405
        )
