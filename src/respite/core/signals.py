"""Sign-ins and failed sign-ins (with a password) go to the audit log of each organization the account works in.

A failure for a name that matches no account is logged without the name: people sometimes type a
password into the username box."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from respite.core.models import AuditLog, Membership


def _org_ids(user: Any) -> list:
    ids = list(
        Membership.objects.filter(user=user, organization__isnull=False)
        .values_list("organization", flat=True)
        .distinct()
    )
    return ids or [None]


def record_sign_in(user: Any) -> None:
    """Called by the sign-in forms (staff and Django admin) once the password checked out. Not a
    ``user_logged_in`` receiver: accounts logged in by code (tests, an accepted invitation) did not
    sign in with a password."""
    for org_id in _org_ids(user):
        AuditLog.objects.create(
            actor=user,
            actor_label=user.get_username(),
            organization_id=org_id,
            action="auth.signed_in",
            target_type="auth.user",
            target_id=str(user.pk),
        )


def on_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    username = (credentials or {}).get("username") or ""
    user = get_user_model().objects.filter(username__iexact=username).first() if username else None
    if user is None:
        AuditLog.objects.create(actor=None, actor_label="", action="auth.sign_in_failed")
        return
    for org_id in _org_ids(user):
        AuditLog.objects.create(
            actor=None,
            actor_label=user.get_username(),
            organization_id=org_id,
            action="auth.sign_in_failed",
            target_type="auth.user",
            target_id=str(user.pk),
        )


def warm_staff_navigation(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from respite.core.navigation import staff_data

    staff_data(user)
