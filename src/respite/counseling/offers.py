"""What the counseling app offers on a screening result: only people who exist (see screening.routing)."""

from __future__ import annotations

from respite.core.models import Membership, Organization
from respite.core.roles import StaffRole
from respite.counseling.models import Clinician


def counselors_available(organization: Organization) -> bool:
    """The portal has at least one active counselor account to answer a shared result."""
    return Membership.objects.filter(
        organization=organization, role=StaffRole.COUNSELOR, user__is_active=True
    ).exists()


def therapists_available(organization: Organization) -> bool:  # noqa: ARG001 - one signature for all offers
    """Verified volunteer therapists taking new workers (they serve every portal)."""
    return Clinician.objects.listed().exists()
