"""Two-factor sign-in: an authenticator app (TOTP, django-otp) and one-time recovery codes.

Rules held here:
- Everyone whose role reads or routes worker content (counselor, peer supporter, peer-program lead,
  volunteer therapist) and every admin (organization, platform, Django admin) must use a second factor.
  After the password, such a person reaches nothing but the second-factor pages until they enrol or
  verify (``core.middleware.TwoFactorMiddleware``); the API treats their session as nobody's.
- Wrong codes are throttled per (account, client network), and more loosely per account: someone who
  learnt a password cannot lock its owner out from another network, nor guess from many networks.
- Recovery codes are shown once, stored as keyed hashes and work once each.
- Enrolling, turning off, new recovery codes, a used recovery code and an admin's reset are audited in
  every organization the person works in; a reset is announced to the person by email.

WebAuthn is not offered (optional in the issue).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from respite.core import privacy
from respite.core.models import (
    AuditLog,
    Membership,
    Organization,
    RecoveryCode,
    RecoveryCodeDevice,
)
from respite.core.roles import StaffRole

REQUIRED_ROLES = frozenset(
    {
        StaffRole.ORG_ADMIN,
        StaffRole.COUNSELOR,
        StaffRole.PEER_SUPPORTER,
        StaffRole.PEER_LEAD,
        StaffRole.VOLUNTEER_THERAPIST,
        StaffRole.PLATFORM_ADMIN,
    }
)
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper


class TwoFactorError(Exception):
    """A refused second-factor action; ``message`` is shown as it is (already translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_required(user: Any) -> bool:
    """True for accounts that must use a second factor (from the cached staff navigation data, so
    a staff page pays no query for it)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    from respite.core.navigation import staff_data

    data = staff_data(user)
    if "core:platform_organizations" in data["global"]:
        return True
    return any(set(roles) & {str(r) for r in REQUIRED_ROLES} for roles in data["roles"].values())


def totp_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: Any) -> TOTPDevice:
    """The authenticator being set up (not yet confirmed by a code); one per account."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (no image host, no script)."""
    import segno

    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", omitsize=False, title=_("QR code for your app")
    )
    # An image to assistive technology, named by its <title>.
    return svg.replace("<svg ", '<svg role="img" ', 1)


def secret_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


# --- Recovery codes ---------------------------------------------------------------------------------


def _normalize_recovery(token: str) -> str:
    return "".join(c for c in (token or "").lower() if c.isalnum())[:40]


def recovery_digest(user_id: int, token: str) -> str:
    return privacy.keyed_hash(f"{user_id}:{_normalize_recovery(token)}", "recovery-code")


def _new_recovery_codes(user: Any) -> list[str]:
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_digest(user.pk, c)) for c in codes
    )
    return codes


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(device__user=user, used_on__isnull=True).count()


# --- Audit ------------------------------------------------------------------------------------------


def _organizations(user: Any) -> list[Organization | None]:
    orgs: list[Organization | None] = list(
        Organization.objects.filter(
            pk__in=Membership.objects.filter(user=user, organization__isnull=False).values(
                "organization"
            )
        )
    )
    return orgs or [None]


def audit(actor: Any, action: str, subject: Any, **detail: Any) -> None:
    """Record a second-factor event about ``subject`` in each organization they work in."""
    for org in _organizations(subject):
        AuditLog.record(actor, action, subject, organization=org, **detail)


# --- Throttle ---------------------------------------------------------------------------------------


def _throttle_keys(request: HttpRequest, user: Any) -> list[tuple[str, int]]:
    network = privacy._network(privacy.client_address(request))
    return [
        (
            privacy.keyed_hash(f"otp:account-network:{user.pk}:{network}", "throttle"),
            settings.RESPITE_TWO_FACTOR_FAILURES_PER_NETWORK,
        ),
        (
            privacy.keyed_hash(f"otp:account:{user.pk}", "throttle"),
            settings.RESPITE_TWO_FACTOR_FAILURES_PER_ACCOUNT,
        ),
    ]


def _check_throttle(request: HttpRequest, user: Any) -> list[str]:
    keys = _throttle_keys(request, user)
    counts = privacy._throttle_counts([k for k, _limit in keys])
    if any(counts.get(k, 0) >= limit for k, limit in keys):
        minutes = privacy.wait_minutes(privacy.Throttled(privacy.seconds_left_in_window()))
        raise TwoFactorError(privacy.too_many_codes(minutes))
    return [k for k, _limit in keys]


def _failed(request: HttpRequest, user: Any, keys: list[str]) -> None:
    privacy.throttle_record_failure(*keys)
    for org in _organizations(user):
        # Like a failed password: no actor (it may not be them), their name as the label.
        AuditLog.objects.create(
            actor=None,
            actor_label=user.get_username(),
            organization=org,
            action="auth.second_factor_failed",
            target_type="auth.user",
            target_id=str(user.pk),
        )


# --- Actions ----------------------------------------------------------------------------------------


def device_for_token(user: Any, token: str) -> Any:
    """Which of the person's devices a typed code is for: six digits are the authenticator's,
    anything else a recovery code."""
    if token.replace(" ", "").isdigit():
        return totp_device(user)
    return RecoveryCodeDevice.objects.filter(user=user).first()


def do_enrol(request: HttpRequest, token: str) -> list[str]:
    """Confirm the pending authenticator with a code from it; mark this session verified; return
    the new recovery codes (shown once)."""
    user = request.user
    keys = _check_throttle(request, user)
    device = pending_device(user)
    if not device.verify_token((token or "").strip().replace(" ", "")):
        _failed(request, user, keys)
        raise TwoFactorError(_("That code did not match. Check your phone's clock and try again."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit(user, "staff.two_factor_enrolled", user)
    _mark_verified(request, device)
    return codes


def do_verify(request: HttpRequest, token: str) -> None:
    """Check a code from the authenticator, or a recovery code, and mark this session verified."""
    user = request.user
    keys = _check_throttle(request, user)
    token = (token or "").strip()
    device: Any = None
    candidate = device_for_token(user, token)
    if candidate is not None and candidate.verify_token(token.replace(" ", "")):
        device = candidate
        if isinstance(device, RecoveryCodeDevice):
            audit(user, "staff.recovery_code_used", user)
    if device is None:
        _failed(request, user, keys)
        raise TwoFactorError(_("That code did not match. Try again, or use a recovery code."))
    _mark_verified(request, device)


def _mark_verified(request: HttpRequest, device: Any) -> None:
    # A new session id with the new privilege: an id seen before the second factor opens nothing.
    request.session.cycle_key()
    otp_login(request, device)


def do_regenerate(request: HttpRequest, token: str) -> list[str]:
    """New recovery codes (the old ones stop working); needs a current authenticator code."""
    user = request.user
    _confirm_with_code(request, token)
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit(user, "staff.recovery_codes_regenerated", user)
    return codes


def do_disable(request: HttpRequest, token: str) -> None:
    """Remove the authenticator and recovery codes; needs a current authenticator code. Someone
    whose role needs a second factor must then set one up again before any other page."""
    user = request.user
    _confirm_with_code(request, token)
    with transaction.atomic():
        _remove(user)
        audit(user, "staff.two_factor_disabled", user)


def _confirm_with_code(request: HttpRequest, token: str) -> None:
    user = request.user
    keys = _check_throttle(request, user)
    device = totp_device(user)
    if device is None or not device.verify_token((token or "").strip().replace(" ", "")):
        _failed(request, user, keys)
        raise TwoFactorError(_("That code did not match. Try again."))


def _remove(user: Any) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()


def do_reset(admin: Any, organization: Organization, member: Any) -> None:
    """An admin removes a staff member's second factor (a lost phone): audited and announced to the
    member. Their verified sessions stop being verified at once (the device is gone), and they set up
    a new one at their next page. Nobody resets their own this way, and only a platform admin resets
    a platform admin's."""
    from respite.core.models import is_platform_admin
    from respite.core.notify import notify_staff, site_link

    if member.pk == admin.pk:
        raise TwoFactorError(_("Use your own two-factor page to change your second factor."))
    if is_platform_admin(member) and not is_platform_admin(admin):
        raise TwoFactorError(_("Only a platform admin can reset a platform admin's second factor."))
    with transaction.atomic():
        _remove(member)
        AuditLog.record(admin, "staff.two_factor_reset", member, organization=organization)

        def render(user: Any) -> tuple[str, str]:
            return (
                _("Your two-factor sign-in was reset"),
                _(
                    "An admin of %(org)s reset your two-factor sign-in. The next time you sign in to "
                    "Respite you will set up your authenticator app again.\n\n"
                    "If you did not ask for this, tell your organization's admins at once.\n\n"
                    "%(link)s"
                )
                % {"org": organization.name, "link": site_link("core:login")},
            )

        notify_staff([member], "two_factor_reset", render, always=True)
