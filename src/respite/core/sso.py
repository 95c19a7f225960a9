"""OpenID Connect sign-in, one identity provider per organization (``SingleSignOn``).

A small client rather than mozilla-django-oidc or django-allauth: both read one provider from the
settings file, while each organization here brings its own issuer, client and secret from the staff
console. The protocol work is the authorization-code flow with PKCE, ``state`` and ``nonce``; ID tokens
are checked with joserfc (signature against the provider's published keys, issuer, audience, expiry,
nonce).

What a provider proves is an email address, nothing more. Roles come only from the organization
console: an open invitation to that address is accepted at sign-in, or an existing account with that
address keeps the roles it has. A new address gets an account with no role at all.

An organization's provider may sign in only accounts that work in that organization alone: an
organization admin controls their provider, so it must never open an account that holds roles
elsewhere (another organization's, a platform admin's).

The sign-in ends in ``django.contrib.auth.login`` with the model backend, exactly like a password
sign-in, so whatever a password sign-in must pass next (two-factor) applies here too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from respite.core.models import (
    AuditLog,
    Invitation,
    Membership,
    Organization,
    SingleSignOn,
    SingleSignOnIdentity,
)

SESSION_KEY = "respite_sso"
TIMEOUT_SECONDS = 10
ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]


class SsoError(Exception):
    """A refused or failed single sign-on. ``message`` is for the person (translated); ``reason`` is
    a code for the audit log; ``status`` the HTTP status of the page that says so."""

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.status = status


def _unreachable() -> SsoError:
    return SsoError(
        "provider_unreachable",
        _(
            "Your organization's sign-in service is not answering right now. Please try again in "
            "a few minutes, or sign in with your Respite password."
        ),
        status=503,
    )


def _misbehaving() -> SsoError:
    return SsoError(
        "provider_invalid",
        _(
            "Your organization's sign-in service sent an answer we cannot trust, so you are not "
            "signed in. Please tell your organization's administrator."
        ),
        status=502,
    )


def _http_json(url: str, *, data: dict[str, str] | None = None, headers: dict | None = None) -> Any:
    """GET (or POST a form to) a provider URL and read JSON. Any network trouble means the provider
    is down for the person; a non-JSON or error answer means it misbehaves."""
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise _misbehaving()
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, headers={"Accept": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            raw = response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            raise _unreachable() from exc
        raise _misbehaving() from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _unreachable() from exc
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise _misbehaving() from exc


def discover(config: SingleSignOn) -> dict[str, Any]:
    """The provider's metadata; its issuer must be exactly the configured one."""
    issuer = config.issuer.rstrip("/")
    meta = _http_json(issuer + "/.well-known/openid-configuration")
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(meta, dict) or not all(isinstance(meta.get(k), str) for k in needed):
        raise _misbehaving()
    if meta["issuer"].rstrip("/") != issuer:
        raise _misbehaving()
    return meta


def redirect_uri() -> str:
    """The one callback address every organization registers at its provider."""
    return settings.RESPITE_SITE_URL + reverse("core:sso_callback")


def config_for(organization: Organization) -> SingleSignOn | None:
    return SingleSignOn.objects.filter(organization=organization, is_enabled=True).first()


def config_for_email(email: str) -> SingleSignOn | None:
    """Home-realm discovery: the enabled provider whose email domains include this address's."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    for config in SingleSignOn.objects.filter(is_enabled=True).exclude(email_domains=""):
        if domain in config.domains():
            return config
    return None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def begin(request: HttpRequest, config: SingleSignOn, next_url: str = "") -> str:
    """Remember state, nonce and PKCE verifier in the session; return the provider's sign-in URL."""
    meta = discover(config)
    state, nonce, verifier = (
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(64),
    )
    request.session[SESSION_KEY] = {
        "org": config.organization_id,
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": next_url,
    }
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri(),
        "scope": "openid email",
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode("ascii")).digest()),
        "code_challenge_method": "S256",
    }
    endpoint = meta["authorization_endpoint"]
    return endpoint + ("&" if "?" in endpoint else "?") + urllib.parse.urlencode(params)


@dataclass
class Claims:
    subject: str
    email: str
    email_verified: bool


def _verify_id_token(
    id_token: str, jwks: Any, config: SingleSignOn, issuer: str, nonce: str
) -> dict[str, Any]:
    try:
        keys = KeySet.import_key_set(jwks)
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=120,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": config.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _misbehaving() from exc
    claims = dict(token.claims)
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != config.client_id:
        raise _misbehaving()
    return claims


def finish(request: HttpRequest) -> tuple[SingleSignOn, Claims, str]:
    """Check the provider's answer at the callback: the configuration, the verified claims and where
    to go next. The session's pending sign-in is used once, whatever happens."""
    pending = request.session.pop(SESSION_KEY, None)
    state = request.GET.get("state", "")
    if (
        not isinstance(pending, dict)
        or not state
        or not constant_time_compare(state, pending.get("state", ""))
    ):
        raise SsoError(
            "state_mismatch",
            _("This sign-in link is not from this browser or is too old. Please start again."),
        )
    config = SingleSignOn.objects.filter(organization_id=pending["org"], is_enabled=True).first()
    if config is None:
        raise SsoError("not_configured", _("Single sign-on is off for this organization."))
    if request.GET.get("error"):
        raise SsoError(
            "provider_refused",
            _("The sign-in was cancelled or refused by your organization's sign-in service."),
            status=403,
        )
    code = request.GET.get("code", "")
    if not code:
        raise _misbehaving()
    meta = discover(config)
    basic = base64.b64encode(
        (
            urllib.parse.quote(config.client_id, safe="")
            + ":"
            + urllib.parse.quote(config.client_secret, safe="")
        ).encode()
    ).decode("ascii")
    tokens = _http_json(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri(),
            "code_verifier": pending["verifier"],
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        raise _misbehaving()
    claims = _verify_id_token(
        tokens["id_token"], _http_json(meta["jwks_uri"]), config, meta["issuer"], pending["nonce"]
    )
    if "email" not in claims and meta.get("userinfo_endpoint") and tokens.get("access_token"):
        info = _http_json(
            meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        # The userinfo answer counts only for the subject the signed ID token named.
        if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
            raise _misbehaving()
        claims = {**info, **claims}
    verified = claims.get("email_verified")
    return (
        config,
        Claims(
            subject=str(claims["sub"]),
            email=str(claims.get("email") or "").strip().lower(),
            email_verified=verified is True or verified == "true",
        ),
        pending.get("next", ""),
    )


def _works_elsewhere(user: Any, organization: Organization) -> bool:
    from respite.peers.models import PeerProgram

    return (
        user.is_superuser
        or user.is_staff
        or Membership.objects.filter(user=user).exclude(organization=organization).exists()
        or PeerProgram.objects.filter(leads=user).exclude(organization=organization).exists()
    )


def _refuse_elsewhere() -> SsoError:
    return SsoError(
        "account_elsewhere",
        _(
            "The account with this email address also works outside this organization, so it "
            "cannot use this organization's sign-in service. Sign in with your Respite password."
        ),
        status=403,
    )


def do_sso_sign_in(config: SingleSignOn, claims: Claims) -> Any:
    """The account a provider's verified claims sign in as, with any open invitation of this
    organization to that address accepted. Never grants a role by itself."""
    from respite.core.staff import StaffError, do_accept_invitation

    org = config.organization
    domains = config.domains()
    if claims.email and domains and claims.email.rpartition("@")[2] not in domains:
        raise SsoError(
            "domain_not_allowed",
            _("Your email address is not at a domain this organization signs in with."),
            status=403,
        )
    User = get_user_model()
    with transaction.atomic():
        identity = (
            SingleSignOnIdentity.objects.select_related("user")
            .filter(organization=org, issuer=config.issuer, subject=claims.subject)
            .first()
        )
        if identity is not None:
            user = identity.user
        else:
            if not claims.email or not claims.email_verified:
                raise SsoError(
                    "email_not_verified",
                    _(
                        "Your organization's sign-in service did not confirm your email address, "
                        "so we cannot tell who you are here."
                    ),
                    status=403,
                )
            found = User.objects.filter(username__iexact=claims.email).first() or (
                User.objects.filter(email__iexact=claims.email).order_by("pk").first()
            )
            if found is not None:
                user = found
            else:
                user = User(username=claims.email, email=claims.email)
                user.set_unusable_password()
                user.save()
                AuditLog.record(user, "staff.account_created", user, organization=org, method="sso")
            SingleSignOnIdentity.objects.create(
                organization=org, issuer=config.issuer, subject=claims.subject, user=user
            )
        if not user.is_active:
            raise SsoError(
                "account_inactive",
                _("This account is switched off. Ask your organization's administrator."),
                status=403,
            )
        if _works_elsewhere(user, org):
            raise _refuse_elsewhere()
        if claims.email and claims.email_verified:
            for invitation in Invitation.objects.open().filter(
                organization=org, email__iexact=claims.email
            ):
                try:
                    do_accept_invitation(invitation, user=user)
                except StaffError:  # used by a parallel request meanwhile
                    continue
    return user


def record_sign_in(user: Any, organization: Organization) -> None:
    """In the audit log of the organization whose provider signed the person in (the only one they
    may work in: see ``_works_elsewhere``), even before they hold a role there."""
    AuditLog.objects.create(
        actor=user,
        actor_label=user.get_username(),
        organization=organization,
        action="auth.signed_in",
        target_type="auth.user",
        target_id=str(user.pk),
        detail={"method": "sso"},
    )


def record_failure(organization: Organization | None, reason: str) -> None:
    AuditLog.objects.create(
        actor=None,
        actor_label="",
        organization=organization,
        action="auth.sso_failed",
        detail={"reason": reason},
    )
