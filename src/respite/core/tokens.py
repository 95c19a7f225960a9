"""API tokens: scoped, expiring keys a staff member makes for exports (``Authorization: Bearer``).

Rules held here:
- A token belongs to one person and one organization, carries scopes, and expires (at most a year).
  Only a keyed hash is stored; the token is shown once, on the page that answers its creation.
- It acts as its owner: an endpoint still checks the owner's role, so a token never opens more than
  its owner could, and stops working when the owner loses the role or the account.
- A path naming another organization is answered 404, whatever the owner's roles there.
- Unknown, expired and revoked tokens get 401; a token without the endpoint's scope gets 403
  (problem details, like every API error).
- Creation, revocation and every use are audited (never the token itself).

Staff-only API operations (everything else under /api/v1/ is public, anonymous data):
- ``pulse:read`` (organization admins): pulse surveys, dashboards, CSV export, measures, before/after.
- ``peers:read`` (peer-program leads): the peer program's aggregate dashboard.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.errors import HttpError
from ninja.security import HttpBearer

from respite.core import privacy
from respite.core.models import ApiToken, AuditLog, Organization
from respite.core.roles import StaffRole

# scope -> (label, roles that may hold it)
SCOPES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "pulse:read": (
        gettext_lazy("Read pulse survey results and exports (aggregates only)"),
        (StaffRole.ORG_ADMIN,),
    ),
    "peers:read": (
        gettext_lazy("Read the peer program's dashboard (aggregates only)"),
        (StaffRole.PEER_LEAD,),
    ),
}
TOKEN_ROLES = tuple(dict.fromkeys(r for _label, roles in SCOPES.values() for r in roles))
DAYS = [7, 30, 90, 365]
PREFIX = "rsp_"


def scope_labels() -> dict[str, str]:
    return {scope: str(label) for scope, (label, _roles) in SCOPES.items()}


def scopes_for(user: Any, organization: Organization) -> list[str]:
    """The scopes this person's roles in the organization allow."""
    from respite.core.staff import roles_in

    held = {str(r) for r in roles_in(user, organization)}
    return [s for s, (_label, roles) in SCOPES.items() if held & {str(r) for r in roles}]


def _digest(raw: str) -> str:
    return privacy.keyed_hash(raw, "api-token")


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=80,
        help_text=gettext_lazy("What it is for, e.g. “monthly report”."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("What it may read"), widget=forms.CheckboxSelectMultiple
    )
    days = forms.TypedChoiceField(
        label=gettext_lazy("Expires after"),
        coerce=int,
        choices=[],
        initial=30,
    )

    def __init__(self, *args: Any, scopes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = scope_labels()
        cast(forms.ChoiceField, self.fields["scopes"]).choices = [(s, labels[s]) for s in scopes]
        cast(forms.ChoiceField, self.fields["days"]).choices = [
            (d, _("%(days)s days") % {"days": d}) for d in DAYS
        ]


def do_create(
    user: Any, organization: Organization, name: str, scopes: list[str], days: int
) -> tuple[str, ApiToken]:
    allowed = set(scopes_for(user, organization))
    if not scopes or not set(scopes) <= allowed or days not in DAYS:
        raise ValueError("scopes or expiry not allowed")
    raw = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            organization=organization,
            name=name,
            scopes=sorted(scopes),
            digest=_digest(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        AuditLog.record(
            user, "api.token_created", token, organization=organization, scopes=sorted(scopes)
        )
    return raw, token


def do_revoke(actor: Any, token: ApiToken) -> None:
    with transaction.atomic():
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        ):
            AuditLog.record(actor, "api.token_revoked", token, organization=token.organization)


class TokenAuth(HttpBearer):
    """django-ninja auth for one scope: ``auth=[TokenAuth("pulse:read"), django_auth]``."""

    def __init__(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        if not token:
            return None
        row = (
            ApiToken.objects.filter(digest=_digest(token))
            .select_related("user", "organization")
            .first()
        )
        if row is None or row.status != "active" or not row.user.is_active:
            raise HttpError(401, _("This token is unknown, expired or revoked."))
        if self.scope not in row.scopes:
            raise HttpError(403, _("This token does not allow this request."))
        match = getattr(request, "resolver_match", None)
        slug = match.kwargs.get("org") if match is not None else None
        if slug is not None and slug != row.organization.slug:
            raise HttpError(404, _("Not found."))
        request.user = row.user
        today = timezone.localdate()
        if row.last_used_on != today:
            ApiToken.objects.filter(pk=row.pk).update(last_used_on=today)
        AuditLog.record(
            row.user,
            "api.token_used",
            row,
            organization=row.organization,
            scope=self.scope,
            method=request.method,
            path=request.path[:200],
        )
        return row
