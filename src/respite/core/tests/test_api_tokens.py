"""API tokens, tried as their owner and as an attacker: scoped, expiring, hashed, revocable,
audited, bound to one organization, shown once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from respite.core.models import ApiToken, AuditLog, Membership
from respite.core.roles import StaffRole
from respite.core.testing import find, make_staff
from respite.peers.models import PeerProgram
from respite.pulse.tests.factories import make_survey

pytestmark = pytest.mark.django_db


def _create(client: Client, org, scopes: list[str], days: int = 30, name: str = "report") -> str:
    response = client.post(
        f"/staff/o/{org.slug}/api-tokens/", {"name": name, "scopes": scopes, "days": days}
    )
    assert response.status_code == 200, response.content.decode()
    return find(r'value="(rsp_[A-Za-z0-9_-]+)"', response.content.decode())


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def admin_client(org_admin) -> Client:
    client = Client()
    client.force_login(org_admin)
    return client


def test_an_admin_makes_a_pulse_token_that_reads_pulse_and_is_audited(org, org_admin, admin_client):
    survey = make_survey(org)
    token = _create(admin_client, org, ["pulse:read"])
    api = Client()  # no session: the token alone
    response = api.get(f"/api/v1/pulse/{org.slug}/surveys", **_bearer(token))
    assert response.status_code == 200 and response.json()["contents"][0]["id"] == survey.pk
    assert api.get(
        f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/export.csv", **_bearer(token)
    ).status_code in (200, 422)
    used = AuditLog.objects.filter(action="api.token_used", organization=org)
    assert used.count() == 2 and used.first().actor == org_admin
    # Never the token itself, in any audit row.
    assert not any(token in str(e.detail) or token in e.target_id for e in AuditLog.objects.all())
    assert AuditLog.objects.filter(action="api.token_created").count() == 1
    row = ApiToken.objects.get()
    assert token not in row.digest and row.last_used_on == timezone.localdate()


def test_the_token_is_never_on_any_page_after_creation(org, admin_client):
    token = _create(admin_client, org, ["pulse:read"])
    for path in (
        f"/staff/o/{org.slug}/api-tokens/",
        f"/staff/o/{org.slug}/audit/",
        f"/staff/o/{org.slug}/audit/?format=csv",
        "/staff/",
    ):
        body = admin_client.get(path).content.decode()
        assert token not in body and token[4:20] not in body, path


def test_expired_revoked_unknown_and_wrong_scope_tokens_are_refused(org, org_admin, admin_client):
    make_survey(org)
    url = f"/api/v1/pulse/{org.slug}/surveys"
    api = Client()

    expired = _create(admin_client, org, ["pulse:read"], name="old")
    ApiToken.objects.filter(name="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked = _create(admin_client, org, ["pulse:read"], name="gone")
    pk = ApiToken.objects.get(name="gone").pk
    assert admin_client.post(f"/staff/o/{org.slug}/api-tokens/{pk}/revoke/").status_code == 302
    for bad in (expired, revoked, "rsp_made-up", revoked + "x"):
        response = api.get(url, **_bearer(bad))
        assert response.status_code == 401, bad
        assert response["Content-Type"].startswith("application/problem+json")

    # A peer-dashboard token on a pulse endpoint: 403.
    Membership.objects.create(user=org_admin, organization=org, role=StaffRole.PEER_LEAD)
    PeerProgram.for_org(org).leads.add(org_admin)
    peers_only = _create(admin_client, org, ["peers:read"], name="peers")
    response = api.get(url, **_bearer(peers_only))
    assert response.status_code == 403
    assert response.json()["type"] == "urn:respite:problem:forbidden"
    assert (
        api.get(f"/api/v1/peer-support/{org.slug}/dashboard", **_bearer(peers_only)).status_code
        == 200
    )
    assert AuditLog.objects.filter(action="api.token_revoked").count() == 1


def test_another_organizations_data_is_never_reachable(org, other_org, org_admin, admin_client):
    # The owner is an admin of both organizations; the token is for one.
    Membership.objects.create(user=org_admin, organization=other_org, role=StaffRole.ORG_ADMIN)
    theirs = make_survey(other_org)
    token = _create(admin_client, org, ["pulse:read"])
    api = Client()
    for path in (
        f"/api/v1/pulse/{other_org.slug}/surveys",
        f"/api/v1/pulse/{other_org.slug}/surveys/{theirs.pk}/dashboard",
        f"/api/v1/pulse/{other_org.slug}/surveys/{theirs.pk}/export.csv",
        f"/api/v1/pulse/{org.slug}/surveys/{theirs.pk}/dashboard",
    ):
        assert api.get(path, **_bearer(token)).status_code == 404, path


def test_a_token_stops_when_its_owner_loses_the_role(org, admin_client):
    second = make_staff(org, StaffRole.ORG_ADMIN, "second")
    client = Client()
    client.force_login(second)
    token = _create(client, org, ["pulse:read"])
    Membership.objects.filter(user=second).delete()
    assert Client().get(f"/api/v1/pulse/{org.slug}/surveys", **_bearer(token)).status_code == 404


def test_nobody_makes_a_token_with_a_scope_their_roles_lack(org, counselor, outsider, admin_client):
    # A counselor has no token page at all; an outsider neither.
    for user in (counselor, outsider):
        client = Client()
        client.force_login(user)
        assert client.get(f"/staff/o/{org.slug}/api-tokens/").status_code == 404
    # An admin (not a peer lead) cannot pick the peer scope, nor an expiry of their own.
    response = admin_client.post(
        f"/staff/o/{org.slug}/api-tokens/", {"name": "x", "scopes": ["peers:read"], "days": 30}
    )
    assert response.status_code == 400
    response = admin_client.post(
        f"/staff/o/{org.slug}/api-tokens/", {"name": "x", "scopes": ["pulse:read"], "days": 9999}
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_only_the_owner_or_an_admin_revokes(org, org_admin, admin_client, other_org):
    lead = make_staff(org, StaffRole.PEER_LEAD, "lead")
    PeerProgram.for_org(org).leads.add(lead)
    lead_client = Client()
    lead_client.force_login(lead)
    _create(admin_client, org, ["pulse:read"], name="admins")
    admins = ApiToken.objects.get(name="admins")
    # The lead sees only their own tokens and cannot revoke the admin's.
    assert "admins" not in lead_client.get(f"/staff/o/{org.slug}/api-tokens/").content.decode()
    assert (
        lead_client.post(f"/staff/o/{org.slug}/api-tokens/{admins.pk}/revoke/").status_code == 404
    )
    # An admin of another organization cannot reach it at all.
    stranger = make_staff(other_org, StaffRole.ORG_ADMIN, "stranger")
    client = Client()
    client.force_login(stranger)
    assert client.post(f"/staff/o/{org.slug}/api-tokens/{admins.pk}/revoke/").status_code == 404
    assert (
        client.post(f"/staff/o/{other_org.slug}/api-tokens/{admins.pk}/revoke/").status_code == 404
    )
    admins.refresh_from_db()
    assert admins.revoked_at is None


def test_the_token_page_is_in_spanish(org, admin_client):
    page = admin_client.get(f"/staff/o/{org.slug}/api-tokens/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Tokens de API" in page.content.decode()
