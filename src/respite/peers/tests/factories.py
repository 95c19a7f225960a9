"""Peer-support test data: plain ``make_*`` functions on top of core.testing."""

from __future__ import annotations

from datetime import datetime

from respite.core.models import Organization
from respite.core.roles import StaffRole
from respite.core.testing import make_staff
from respite.peers.models import (
    Department,
    PeerProgram,
    Shift,
    Source,
    Supporter,
    SupportRequest,
    do_create_request,
)


def make_department(org: Organization, name: str) -> Department:
    return Department.objects.get_or_create(organization=org, name=name)[0]


def make_supporter(
    org: Organization,
    username: str,
    departments=(),
    *,
    languages=("en",),
    role_groups=(),
    email: str | None = None,
    on_call: tuple[datetime, datetime] | None = None,
    **kwargs,
) -> Supporter:
    user = make_staff(org, StaffRole.PEER_SUPPORTER, username)
    user.email = email if email is not None else f"{username}@example.org"
    user.save(update_fields=["email"])
    supporter = Supporter.objects.create(
        organization=org,
        user=user,
        display_name=username.title(),
        languages=list(languages),
        role_groups=list(role_groups),
        **kwargs,
    )
    supporter.departments.set(departments)
    if on_call:
        Shift.objects.create(supporter=supporter, start=on_call[0], end=on_call[1])
    return supporter


def make_lead(org: Organization, username: str = "lead"):
    user = make_staff(org, StaffRole.ORG_ADMIN, username)
    user.email = f"{username}@example.org"
    user.save(update_fields=["email"])
    PeerProgram.for_org(org).leads.add(user)
    return user


def make_referral(
    org: Organization,
    department: Department | None,
    *,
    source: str = Source.MANAGER,
    contact: str = "555-0123",
    event_type: str = "violence",
    **kwargs,
) -> SupportRequest:
    """A request made for someone else (a manager's by default): the referrer holds its code."""
    return do_create_request(
        org,
        source,
        code_for="referrer",
        contact=contact,
        department=department,
        event_type=event_type,
        **kwargs,
    )[0]
