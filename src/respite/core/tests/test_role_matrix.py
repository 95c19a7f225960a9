"""Role matrix: every actor against every staff URL and every signed-in API operation of one
organization, generated from the URL map and the OpenAPI schema, so a new endpoint is covered
without editing this file.

The roles a staff URL admits are read from the view itself (``staff_view`` and peers' ``lead_view``
record them as ``staff_roles``). Anyone else must be turned away before anything happens: anonymous
visitors are sent to sign in, signed-in staff get 404 (403/405 also pass), never a page, never a
change. Platform admins pass where organization admins do (they administer organizations) and
nowhere else: never a counselor's or a peer supporter's page, never the peer lead's.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import resolve

from respite.core.models import Membership
from respite.core.roles import StaffRole
from respite.core.testing import make_staff
from respite.core.tests.test_security_suite import _fill, _routes
from respite.peers.models import PeerProgram

pytestmark = pytest.mark.django_db

DENIED = {403, 404, 405}


@pytest.fixture
def actors(org, other_org, platform_admin):
    """Named actors. ``roles`` are what each holds in ``org``, the organization under attack."""
    lead = make_staff(org, StaffRole.ORG_ADMIN, "lead")
    PeerProgram.for_org(org).leads.add(lead)
    found = {
        "anonymous": (None, set()),
        "org_admin": (make_staff(org, StaffRole.ORG_ADMIN, "owner"), {StaffRole.ORG_ADMIN}),
        "counselor": (make_staff(org, StaffRole.COUNSELOR, "counselor"), {StaffRole.COUNSELOR}),
        "peer_supporter": (
            make_staff(org, StaffRole.PEER_SUPPORTER, "supporter"),
            {StaffRole.PEER_SUPPORTER},
        ),
        "peer_lead": (lead, {StaffRole.ORG_ADMIN, "peer_lead"}),
        "platform_admin": (platform_admin, {"platform_admin"}),
    }
    # The same roles in another organization: full powers there, none here.
    for role in (StaffRole.ORG_ADMIN, StaffRole.COUNSELOR, StaffRole.PEER_SUPPORTER):
        user = make_staff(other_org, role, f"other_{role}")
        found[f"other_org_{role}"] = (user, set())
    other_lead = make_staff(other_org, StaffRole.ORG_ADMIN, "other_lead")
    PeerProgram.for_org(other_org).leads.add(other_lead)
    found["other_org_peer_lead"] = (other_lead, set())
    assert not Membership.objects.filter(
        user__username__startswith="other_", organization=org
    ).exists()
    return found


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _admits(staff_roles: frozenset, held: set) -> bool:
    if "platform_admin" in held:
        return StaffRole.ORG_ADMIN in staff_roles
    return bool(staff_roles & held)


# Staff-area pages that anyone may open by design, with the reason. Each stays a short, reviewed list.
PUBLIC_STAFF_ROUTES = {
    "staff/o/<slug:org>/volunteer/apply/": "a volunteer therapist applies before having an account",
}


def _org_staff_urls(org_slug: str) -> list[tuple[str, frozenset | None, bool]]:
    """(path, roles the view admits or None when undeclared, whether the path names an object)."""
    urls = []
    for route, _pattern in _routes():
        if not route.startswith("staff/o/<slug:org>/") or route in PUBLIC_STAFF_ROUTES:
            continue
        path = _fill(route, org_slug)
        if path is None:
            continue
        view = resolve(path).func
        names_object = len(re.findall(r"<[^>]+>", route)) > 1
        urls.append((path, getattr(view, "staff_roles", None), names_object))
    return urls


def test_the_matrix_covers_the_staff_area(org):
    urls = _org_staff_urls(org.slug)
    assert len(urls) >= 40
    declared = [path for path, roles, _ in urls if roles is not None]
    # Pages with their own per-object rule (a counseling case's counselor) declare no roles; the
    # matrix still holds every other organization and anonymous visitors out of them.
    assert len(declared) >= 0.8 * len(urls)


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_actor_reaches_a_staff_url_their_roles_do_not_admit(method, org, actors):
    wrong = []
    admitted_ok = 0
    for name, (user, held) in actors.items():
        client = _client(user)
        for path, roles, names_object in _org_staff_urls(org.slug):
            response = getattr(client, method)(path, {})
            status = response.status_code
            assert status < 500, (name, method, path, status)
            if roles is None and name != "anonymous" and not name.startswith("other_org_"):
                continue  # an undeclared page: only outsiders are known to be turned away
            if roles is not None and _admits(roles, held):
                if method == "get" and not names_object and status == 200:
                    admitted_ok += 1
                continue
            if user is None:
                if status not in DENIED and (
                    status != 302 or "/login/" not in response["Location"]
                ):
                    wrong.append((name, method, path, status))
            elif status not in DENIED:
                wrong.append((name, method, path, status))
    assert not wrong, wrong
    if method == "get":
        assert admitted_ok >= 10  # the matrix is not vacuous: admitted roles do see their pages


# Which staff roles (in the organization named in the path) each signed-in API operation admits.
# A new signed-in operation fails test_every_signed_in_operation_is_in_the_matrix until added here.
API_ROLES = {
    "/api/v1/peer-support/{org}/dashboard": frozenset({"peer_lead"}),
    "/api/v1/pulse/{org}/": frozenset({StaffRole.ORG_ADMIN}),
}


def _signed_in_operations() -> list[tuple[str, str]]:
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    return [
        (method, path)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if op.get("security")
    ]


def _api_roles(path: str) -> frozenset | None:
    return next((roles for prefix, roles in API_ROLES.items() if path.startswith(prefix)), None)


def test_every_signed_in_operation_is_in_the_matrix():
    ops = _signed_in_operations()
    assert ops
    assert all("{org}" in path and _api_roles(path) is not None for _, path in ops), ops


def test_no_actor_reaches_an_api_operation_their_roles_do_not_admit(org, actors):
    wrong = []
    for name, (user, held) in actors.items():
        client = _client(user)
        for method, path in _signed_in_operations():
            concrete = path.replace("{org}", org.slug)
            concrete = re.sub(r"\{[^}]+\}", "1", concrete)
            response = getattr(client, method)(concrete)
            assert response.status_code < 500, (name, path, response.status_code)
            if _admits(_api_roles(path), held):
                continue
            # 422: the query failed validation before anything was read (no data either way).
            expected = {401, 422} if user is None else {401, 403, 404, 422}
            if response.status_code not in expected:
                wrong.append((name, method, path, response.status_code))
    assert not wrong, wrong
