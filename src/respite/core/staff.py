"""Staff accounts and roles: every write is a ``do_*`` action in one transaction, audited, so the
console pages (and any future API) cannot disagree. Role grants happen only here.

Rules held here:
- Invitations are single-use, expire after ``INVITATION_DAYS`` and keep only a keyed hash of the link.
- Nobody grants themselves a role that reads or routes worker content (``SENSITIVE_ROLES``): the
  grant waits for a second admin of the organization.
- Every grant and removal is announced to the organization's admins (``notify_staff``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from respite.core.models import AuditLog, Invitation, Membership, Organization, RoleGrantRequest
from respite.core.roles import ORG_ROLES, SENSITIVE_ROLES, StaffRole
from respite.core.tasks import queue_email

INVITATION_DAYS = 7
MAX_TOKEN_CHARS = 100  # longer than any link we send: refused before any look-up


class StaffError(Exception):
    """A refused staff action; ``message`` is shown to the person as it is (already translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Who holds what ---------------------------------------------------------------------------------


def roles_in(user: Any, organization: Organization) -> set[str]:
    """The roles a person holds in one organization, including the peer-program lead list kept by the
    peers app and org-admin for platform admins (who administer every organization)."""
    from respite.core.models import is_platform_admin

    if not user.is_authenticated or not user.is_active:
        return set()
    roles = set(
        Membership.objects.for_user(user)
        .filter(organization=organization)
        .values_list("role", flat=True)
    )
    if is_platform_admin(user):
        roles.add(StaffRole.ORG_ADMIN)
    from respite.peers.models import is_lead

    if is_lead(user, organization):
        roles.add(StaffRole.PEER_LEAD)
    return roles


def holders(organization: Organization, role: str) -> list[Any]:
    """Active accounts holding ``role`` in the organization (whom a notice about that work goes to)."""
    return list(
        get_user_model()
        .objects.filter(
            is_active=True, memberships__organization=organization, memberships__role=role
        )
        .distinct()
    )


def org_admins(organization: Organization) -> list[Any]:
    return holders(organization, StaffRole.ORG_ADMIN)


# --- Invitations ------------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hmac.new(
        str(settings.SECRET_KEY).encode(), f"invitation:{token}".encode(), hashlib.sha256
    ).hexdigest()


def _clean_roles(roles: list[str]) -> list[str]:
    roles = [r for r in ORG_ROLES if r in set(roles)]
    if not roles:
        raise StaffError(_("Choose at least one role."))
    return [str(r) for r in roles]


def _send_invitation(invitation: Invitation) -> None:
    """Give the invitation a new link and queue it (the older link, if any, stops working)."""
    token = secrets.token_urlsafe(32)
    invitation.digest = _digest(token)
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["digest", "expires_at"])
    link = settings.RESPITE_SITE_URL + reverse("core:accept_invitation", kwargs={"token": token})
    org = invitation.organization
    body = _(
        "You are invited to work in Respite for %(org)s as: %(roles)s.\n\n"
        "Open this link within %(days)s days to set your password and sign in. It works once.\n\n"
        "%(link)s\n\nIf you did not expect this, ignore this email."
    ) % {
        "org": org.name,
        "roles": ", ".join(invitation.role_labels()),
        "days": INVITATION_DAYS,
        "link": link,
    }
    queue_email(invitation.email, _("Your invitation to Respite"), body, kind="staff_invitation")


def do_invite(actor: Any, organization: Organization, email: str, roles: list[str]) -> Invitation:
    email = email.strip().lower()
    roles = _clean_roles(roles)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=organization, email=email, roles=roles, invited_by=actor
        )
        _send_invitation(invitation)
        AuditLog.record(actor, "staff.invited", invitation, organization=organization, roles=roles)
    return invitation


def do_resend(actor: Any, invitation: Invitation) -> None:
    if invitation.accepted_at or invitation.revoked_at:
        raise StaffError(_("This invitation was already used or withdrawn."))
    with transaction.atomic():
        _send_invitation(invitation)
        AuditLog.record(
            actor, "staff.invitation_resent", invitation, organization=invitation.organization
        )


def do_withdraw(actor: Any, invitation: Invitation) -> None:
    if invitation.accepted_at:
        raise StaffError(_("This invitation was already used."))
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        AuditLog.record(
            actor, "staff.invitation_withdrawn", invitation, organization=invitation.organization
        )


def invitation_for_token(token: str) -> Invitation | None:
    """The open invitation a link belongs to, or None (unknown, used, withdrawn and expired links
    all look the same)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return (
        Invitation.objects.open()
        .select_related("organization")
        .filter(digest=_digest(token))
        .first()
    )


def do_accept_invitation(invitation: Invitation, *, user: Any = None, password: str = "") -> Any:
    """Use an invitation: make the account (``password``) or extend ``user``'s, then grant its roles.
    A role the inviter would be granting to themselves waits for a second admin."""
    User = get_user_model()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).open().first()
        if locked is None:
            raise StaffError(_("This invitation link has expired or was already used."))
        if user is None:
            existing = User.objects.filter(username__iexact=locked.email).first()
            if existing is not None and existing.is_active:
                raise StaffError(
                    _("An account with this email exists: sign in first, then open the link again.")
                )
            if existing is not None:
                # A deactivated person invited again: the link proves the address; they pick a new password.
                user = existing
                user.is_active = True
                user.set_password(password)
                user.save(update_fields=["is_active", "password"])
                AuditLog.record(
                    user, "staff.account_reactivated", user, organization=locked.organization
                )
            else:
                user = User.objects.create_user(
                    username=locked.email, email=locked.email, password=password
                )
                AuditLog.record(
                    user, "staff.account_created", user, organization=locked.organization
                )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        AuditLog.record(user, "staff.invitation_accepted", locked, organization=locked.organization)
        for role in locked.roles:
            do_grant_role(locked.invited_by, locked.organization, user, role, via_invitation=True)
    return user


# --- Volunteer therapists apply -----------------------------------------------------------------------


def do_apply_as_volunteer(organization: Organization, email: str, display_name: str) -> Invitation:
    """A therapist asks to volunteer; nothing is granted until an admin approves (which sends the link).
    Asking twice for the same address adds nothing."""
    email = email.strip().lower()
    with transaction.atomic():
        existing = Invitation.objects.filter(
            organization=organization,
            email=email,
            is_application=True,
            digest="",
            revoked_at__isnull=True,
        ).first()
        if existing:
            return existing
        application = Invitation.objects.create(
            organization=organization,
            email=email,
            display_name=display_name[:120],
            roles=[StaffRole.VOLUNTEER_THERAPIST],
            is_application=True,
        )
        AuditLog.record(None, "staff.volunteer_applied", application, organization=organization)
    notify_staff_admins(
        organization,
        "volunteer_application",
        lambda _u: (
            _("Respite: a volunteer therapist applied"),
            _(
                "A therapist applied to volunteer with %(org)s. Review it in the staff console: %(link)s"
            )
            % {"org": organization.name, "link": _console_link(organization)},
        ),
    )
    return application


def do_approve_application(actor: Any, application: Invitation) -> None:
    if not application.is_application or application.digest or application.revoked_at:
        raise StaffError(_("This application was already decided."))
    with transaction.atomic():
        application.invited_by = actor
        application.save(update_fields=["invited_by"])
        _send_invitation(application)
        AuditLog.record(
            actor, "staff.volunteer_approved", application, organization=application.organization
        )


# --- Roles ------------------------------------------------------------------------------------------


ROLE_NOTICE = {
    "granted": gettext_lazy("%(user)s now holds the role %(role)s in %(org)s (by %(actor)s)."),
    "removed": gettext_lazy(
        "%(user)s no longer holds the role %(role)s in %(org)s (by %(actor)s)."
    ),
    "requested": gettext_lazy(
        "%(actor)s asked for the role %(role)s for their own account in %(org)s. "
        "A second admin must approve it in the staff console."
    ),
}


def _console_link(organization: Organization) -> str:
    return settings.RESPITE_SITE_URL + reverse("core:staff_list", kwargs={"org": organization.slug})


def notify_staff_admins(organization: Organization, kind: str, render: Any) -> None:
    from respite.core.notify import notify_staff

    notify_staff(org_admins(organization), kind, render, always=True)


def _announce(what: str, actor: Any, organization: Organization, user: Any, role: str) -> None:
    label = dict(StaffRole.choices).get(role, role)

    def render(_recipient: Any) -> tuple[str, str]:
        text = str(ROLE_NOTICE[what]) % {
            "user": user.get_username(),
            "role": str(label),
            "org": organization.name,
            "actor": actor.get_username() if actor else _("an invitation"),
        }
        return _("Respite: staff roles changed"), f"{text}\n\n{_console_link(organization)}"

    notify_staff_admins(organization, f"role_{what}", render)


def _self_grant(actor: Any, user: Any) -> bool:
    return actor is not None and user is not None and actor.pk == user.pk


def do_grant_role(
    actor: Any, organization: Organization, user: Any, role: str, *, via_invitation: bool = False
) -> bool:
    """Grant ``role``; returns False when it waits for a second admin instead (self-grant of a role
    that reads or routes worker content)."""
    if role not in ORG_ROLES:
        raise StaffError(_("Unknown role."))
    with transaction.atomic():
        if role in SENSITIVE_ROLES and _self_grant(actor, user):
            _grant, created = RoleGrantRequest.objects.get_or_create(
                organization=organization,
                user=user,
                role=role,
                decided_at__isnull=True,
                defaults={"requested_by": actor},
            )
            if created:
                AuditLog.record(
                    actor, "staff.role_requested", user, organization=organization, role=role
                )
                _announce("requested", actor, organization, user, role)
            return False
        _membership, created = Membership.objects.get_or_create(
            user=user, organization=organization, role=role
        )
        if role == StaffRole.PEER_LEAD:
            from respite.peers.models import PeerProgram

            PeerProgram.for_org(organization).leads.add(user)
        if created:
            AuditLog.record(
                actor or user,
                "staff.role_granted",
                user,
                organization=organization,
                role=role,
                via="invitation" if via_invitation else "console",
            )
            _announce("granted", actor, organization, user, role)
    return True


def do_decide_grant(actor: Any, grant: RoleGrantRequest, approve: bool) -> None:
    if grant.decided_at:
        raise StaffError(_("This request was already decided."))
    if actor.pk in (grant.user_id, grant.requested_by_id):
        raise StaffError(_("A second admin must decide this request."))
    with transaction.atomic():
        grant.decided_at = timezone.now()
        grant.decided_by = actor
        grant.approved = approve
        grant.save(update_fields=["decided_at", "decided_by", "approved"])
        AuditLog.record(
            actor,
            "staff.role_approved" if approve else "staff.role_refused",
            grant.user,
            organization=grant.organization,
            role=grant.role,
        )
        if approve:
            do_grant_role(actor, grant.organization, grant.user, grant.role)


def do_revoke_role(actor: Any, organization: Organization, user: Any, role: str) -> None:
    with transaction.atomic():
        if role == StaffRole.ORG_ADMIN and _self_grant(actor, user):
            raise StaffError(_("Ask another admin to remove your own admin role."))
        if (
            role == StaffRole.ORG_ADMIN
            and len([a for a in org_admins(organization) if a.pk != user.pk]) == 0
        ):
            raise StaffError(_("An organization needs at least one admin."))
        deleted, _rows = Membership.objects.filter(
            user=user, organization=organization, role=role
        ).delete()
        if role == StaffRole.PEER_LEAD:
            from respite.peers.models import PeerProgram

            PeerProgram.for_org(organization).leads.remove(user)
            deleted = deleted or 1
        if deleted:
            AuditLog.record(actor, "staff.role_removed", user, organization=organization, role=role)
            _announce("removed", actor, organization, user, role)


def do_set_roles(actor: Any, organization: Organization, user: Any, roles: list[str]) -> list[str]:
    """Make ``user``'s roles in the organization exactly ``roles``; returns roles left waiting for a
    second admin."""
    wanted = set(roles) & set(ORG_ROLES)
    current = roles_in(user, organization) & set(ORG_ROLES)
    waiting = []
    with transaction.atomic():
        for role in sorted(wanted - current):
            if not do_grant_role(actor, organization, user, role):
                waiting.append(role)
        for role in sorted(current - wanted):
            do_revoke_role(actor, organization, user, role)
    return waiting


def do_deactivate(actor: Any, organization: Organization, user: Any) -> None:
    """Remove every role the person holds here; an account left with no role anywhere is switched off
    (it can no longer sign in)."""
    if _self_grant(actor, user):
        raise StaffError(_("You cannot deactivate your own account."))
    with transaction.atomic():
        for role in sorted(roles_in(user, organization) & set(ORG_ROLES)):
            do_revoke_role(actor, organization, user, role)
        if not Membership.objects.filter(user=user).exists() and user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
        AuditLog.record(actor, "staff.deactivated", user, organization=organization)


# --- Organizations ------------------------------------------------------------------------------------


def do_create_organization(actor: Any, form: Any, admin_email: str) -> Organization:
    """Platform console: the organization and an invitation for its first admin, in one transaction."""
    with transaction.atomic():
        org = form.save()
        AuditLog.record(actor, "organization.created", org, organization=org)
        do_invite(actor, org, admin_email, [StaffRole.ORG_ADMIN])
    return org
