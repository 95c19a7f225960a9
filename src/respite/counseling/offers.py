"""What the counseling app offers on a screening result: only people who exist (see screening.routing).

Whether they exist is ``core.services``' one decision (the same as the worker menu's), cached and
recomputed after any change to roles, accounts or therapists."""

from __future__ import annotations

from respite.core.models import Organization
from respite.core.services import COUNSELING, THERAPISTS, cached_available_services


def counselors_available(organization: Organization) -> bool:
    """The portal has at least one active counselor account to answer a shared result."""
    return cached_available_services(organization)[COUNSELING]


def therapists_available(organization: Organization) -> bool:
    """Verified volunteer therapists taking new workers (they serve every portal)."""
    return cached_available_services(organization)[THERAPISTS]
