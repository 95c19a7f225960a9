"""Vocabularies shared by every app: staff roles and worker role groups."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform admin")
    ORG_ADMIN = "org_admin", _("Organization admin")
    COUNSELOR = "counselor", _("Counselor")
    PEER_SUPPORTER = "peer_supporter", _("Peer supporter")
    # Granted in the organization console; the peer program's own list of leads
    # (peers.PeerProgram.leads) is kept in step, so the peers app needs no change.
    PEER_LEAD = "peer_lead", _("Peer-program lead")
    # A licensed volunteer therapist working with this organization; the licence itself is verified
    # by a platform admin on the therapist's profile (counseling.Clinician).
    VOLUNTEER_THERAPIST = "volunteer_therapist", _("Volunteer therapist")
    ASSESSMENT_RATER = "assessment_rater", _("Assessment rater")


# Roles an organization admin may grant in the console (platform admin is never granted there).
ORG_ROLES = [
    StaffRole.ORG_ADMIN,
    StaffRole.COUNSELOR,
    StaffRole.PEER_SUPPORTER,
    StaffRole.PEER_LEAD,
    StaffRole.VOLUNTEER_THERAPIST,
    StaffRole.ASSESSMENT_RATER,
]

# Roles that read worker content or route it: nobody grants one of these to themselves without a
# second admin's approval.
SENSITIVE_ROLES = frozenset({StaffRole.COUNSELOR, StaffRole.PEER_SUPPORTER, StaffRole.PEER_LEAD})


class RoleGroup(models.TextChoices):
    """Broad job groups a worker may pick (optional). Broad on purpose: narrow groups identify people."""

    PHYSICIAN = "physician", _("Physician or resident")
    NURSE = "nurse", _("Nurse")
    ADVANCED_PRACTICE = "advanced_practice", _("Nurse practitioner or physician assistant")
    MEDICAL_ASSISTANT = "medical_assistant", _("Medical assistant")
    ENVIRONMENTAL_SERVICES = "environmental_services", _("Environmental services")
    COMMUNITY_HEALTH_WORKER = "community_health_worker", _("Community health worker")
    ALLIED_HEALTH = "allied_health", _("Therapist, technician or pharmacist")
    SUPPORT_STAFF = "support_staff", _("Administrative or support staff")
    STUDENT = "student", _("Student or trainee")
    OTHER = "other", _("Other")


DEFAULT_ROLE_GROUPS = [
    RoleGroup.PHYSICIAN,
    RoleGroup.NURSE,
    RoleGroup.ENVIRONMENTAL_SERVICES,
    RoleGroup.MEDICAL_ASSISTANT,
    RoleGroup.COMMUNITY_HEALTH_WORKER,
    RoleGroup.OTHER,
]
