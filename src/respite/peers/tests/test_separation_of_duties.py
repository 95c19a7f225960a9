"""Separation of duties, tried by a program lead who wants to read a worker's contact details.

The lead routes requests: they never support one, never see contact details, and changing a
supporter's departments (always audited) never opens an open request to someone from the
requester's own department.
"""

from __future__ import annotations

import pytest
from django.test import Client

from respite.core.models import AuditLog, Membership
from respite.core.roles import StaffRole
from respite.peers.models import Supporter, SupportRequest
from respite.peers.tests.factories import make_referral, make_supporter

pytestmark = pytest.mark.django_db
CONTACT = "555-0199 ask for Dana"


def _request(org, department) -> SupportRequest:
    return make_referral(org, department, contact=CONTACT, event_type="patient_death")


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _staff(org, path: str) -> str:
    return f"/staff/o/{org.slug}/peer-support/{path}"


def test_lead_cannot_put_themself_on_the_roster(org, lead):
    Membership.objects.create(organization=org, user=lead, role=StaffRole.PEER_SUPPORTER)
    client = _as(lead)
    response = client.post(
        _staff(org, "lead/roster/new/"),
        {"user": lead.pk, "display_name": "Me", "languages": ["en"], "max_open": 3, "active": "on"},
    )
    assert response.status_code == 400
    assert not Supporter.objects.filter(user=lead).exists()


def test_lead_on_the_roster_anyway_never_gets_a_request_nor_its_contact(org, lead, er, icu):
    """Say the lead was a supporter before being made lead (or a second admin put them there)."""
    Membership.objects.create(organization=org, user=lead, role=StaffRole.PEER_SUPPORTER)
    me = Supporter.objects.create(
        organization=org, user=lead, display_name="Lead", languages=["en"]
    )
    me.departments.set([icu])
    req = _request(org, er)
    assert me not in req.offers.all()
    client = _as(lead)
    offered = client.post(
        _staff(org, f"lead/queue/{req.pk}/offer/"), {"supporter": me.pk}, follow=True
    )
    assert "cannot take this request" in offered.content.decode()
    # Offer it by hand in the database, as a compromised second lead might: still no way in.
    req.offers.add(me)
    assert client.post(_staff(org, f"r/{req.pk}/accept/")).status_code == 404
    req.refresh_from_db()
    assert req.assigned_id is None
    # Already assigned to them before they became lead: the handoff page (with the contact) is closed.
    SupportRequest.objects.filter(pk=req.pk).update(assigned=me)
    for path in (f"r/{req.pk}/", "lead/queue/", f"lead/queue/{req.pk}/", "", "lead/"):
        response = client.get(_staff(org, path))
        assert CONTACT not in response.content.decode(), path
    assert client.get(_staff(org, f"r/{req.pk}/")).status_code == 404


def test_removing_a_department_is_audited_and_opens_no_open_request_to_that_department(
    org, lead, er, icu, icu_supporter
):
    erin = make_supporter(org, "erin", [er])
    req = _request(org, er)
    client = _as(lead)
    # The lead takes Emergency off Erin's profile...
    response = client.post(
        _staff(org, f"lead/roster/{erin.pk}/"),
        {
            "display_name": "Erin",
            "departments": [icu.pk],
            "languages": ["en"],
            "max_open": 3,
            "active": "on",
        },
    )
    assert response.status_code == 302
    entry = AuditLog.objects.get(action="peers.supporter_departments_changed")
    assert entry.detail == {"added": [icu.pk], "removed": [er.pk]} and entry.actor == lead
    assert entry.organization == org
    # ...and tries to hand her the open Emergency request: refused, and she cannot take it either.
    offered = client.post(
        _staff(org, f"lead/queue/{req.pk}/offer/"), {"supporter": erin.pk}, follow=True
    )
    assert "cannot take this request" in offered.content.decode()
    req.offers.add(erin)
    erin_client = _as(erin.user)
    erin_client.post(_staff(org, f"r/{req.pk}/accept/"))
    req.refresh_from_db()
    assert req.assigned_id is None
    assert CONTACT not in erin_client.get(_staff(org, f"r/{req.pk}/")).content.decode()
    # Someone outside Emergency all along can still take it.
    assert _as(icu_supporter.user).post(_staff(org, f"r/{req.pk}/accept/")).status_code == 302
    req.refresh_from_db()
    assert req.assigned_id == icu_supporter.pk


def test_adding_a_department_takes_its_open_requests_away(org, lead, er, icu_supporter):
    req = _request(org, er)
    assert icu_supporter in req.suggestions()
    icu_supporter.departments.add(er)
    assert icu_supporter not in req.suggestions()
    _as(icu_supporter.user).post(_staff(org, f"r/{req.pk}/accept/"))
    req.refresh_from_db()
    assert req.assigned_id is None
