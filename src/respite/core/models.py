from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from respite.core.crypto import EncryptedTextField
from respite.core.roles import DEFAULT_ROLE_GROUPS, RoleGroup, StaffRole

if TYPE_CHECKING:
    from django import forms
    from django_stubs_ext import StrOrPromise

M = TypeVar("M", bound=models.Model)


def validate_time_zone(value: str) -> None:
    if value and value not in available_time_zones():
        raise ValidationError(_("Unknown time zone: %(zone)s") % {"zone": value})


def available_time_zones() -> set[str]:
    import zoneinfo

    return zoneinfo.available_timezones()


def _default_role_groups() -> list[str]:
    return [str(r) for r in DEFAULT_ROLE_GROUPS]


class Organization(models.Model):
    """An employer or program running its own branded portal at /o/<slug>/."""

    slug = models.SlugField(unique=True, max_length=60)
    name = models.CharField(max_length=200)
    name_es = models.CharField(
        _("name in Spanish"),
        max_length=200,
        blank=True,
        help_text=_("Shown to people who read Spanish. Leave empty to use the English name."),
    )
    # Names the current logo (OrganizationLogo) in its URL, so browsers may keep it until it changes.
    logo_digest = models.CharField(max_length=16, blank=True, editable=False)
    welcome = models.TextField(
        _("welcome message"),
        blank=True,
        max_length=2000,
        help_text=_("Shown on the portal's front page. Plain text."),
    )
    accent_color = models.CharField(
        max_length=7,
        default="#1d5c63",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1d5c63."))],
        help_text=_("Dark enough for white text (contrast is checked)."),
    )
    state = models.CharField(
        _("US state"), max_length=2, blank=True, help_text=_("Two-letter code, e.g. CA.")
    )
    role_groups = models.JSONField(default=_default_role_groups, blank=True)
    min_group_size = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(5)],
        help_text=_("Smallest group any aggregate may describe. Never below 5."),
    )
    is_listed = models.BooleanField(
        default=True, help_text=_("Listed on the deployment's front page.")
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_(
            "Staff pages and emails show times in this zone unless a person picks their own."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal", kwargs={"org": self.slug})

    def local_name(self) -> str:
        """The name in the language of the page being made."""
        from django.utils.translation import get_language

        if (get_language() or "en").startswith("es") and self.name_es:
            return self.name_es
        return self.name

    def logo_url(self) -> str:
        if not self.logo_digest:
            return ""
        return reverse("organization_logo", kwargs={"org": self.slug, "digest": self.logo_digest})

    def clean(self) -> None:
        unknown = set(self.role_groups or []) - set(RoleGroup.values)
        if unknown:
            raise ValidationError(
                {"role_groups": _("Unknown role groups: %s") % ", ".join(sorted(unknown))}
            )
        if not _contrast_ok(self.accent_color):
            raise ValidationError({"accent_color": _("This colour is too light for white text.")})

    def role_group_choices(self) -> list[tuple[str, StrOrPromise]]:
        return [(g, _ROLE_LABELS[g]) for g in self.role_groups or [] if g in _ROLE_LABELS]


# Lazy labels, translated where they are shown; built once (``choices`` builds a new list each time,
# and the check-in reads these on every page and post).
_ROLE_LABELS: dict[str, StrOrPromise] = dict(RoleGroup.choices)

WCAG_AA_CONTRAST = 4.5  # normal-size text (WCAG 2.2, 1.4.3)
SRGB_LINEAR_LIMIT = 0.03928  # where the sRGB curve turns linear (WCAG's relative luminance)


def _contrast_ok(hex_color: str) -> bool:
    """WCAG AA contrast (4.5:1) of white text on the accent colour."""
    try:
        rgb = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    except (ValueError, IndexError):
        return False
    lin = [c / 12.92 if c <= SRGB_LINEAR_LIMIT else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return (1.05) / (lum + 0.05) >= WCAG_AA_CONTRAST


class OrganizationLogo(models.Model):
    """The logo as served: re-encoded as PNG by ``core.branding`` (no metadata, no scripts), kept
    apart from Organization so pages that load an organization do not load its image."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="logo")
    png = models.BinaryField()
    digest = models.CharField(max_length=16)

    def __str__(self) -> str:
        return f"logo of {self.organization}"


class MembershipQuerySet(models.QuerySet):
    def for_user(self, user) -> MembershipQuerySet:
        return self.filter(user=user, user__is_active=True)


class Membership(models.Model):
    """A staff account's role, in one organization (or platform-wide for platform admins)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=StaffRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="unique_membership"
            ),
            models.CheckConstraint(
                condition=models.Q(role="platform_admin", organization__isnull=True)
                | (~models.Q(role="platform_admin") & models.Q(organization__isnull=False)),
                name="platform_admin_has_no_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organization or 'platform'}"


def is_platform_admin(user) -> bool:
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or Membership.objects.for_user(user).filter(role=StaffRole.PLATFORM_ADMIN).exists()
    )


def has_role(user, organization: Organization | None, *roles: str) -> bool:
    """True when the user holds one of the roles in the organization. Platform admins pass for
    org_admin only: they administer organizations but never read counseling or peer content."""
    if not user.is_authenticated or not user.is_active:
        return False
    if StaffRole.ORG_ADMIN in roles and is_platform_admin(user):
        return True
    return (
        Membership.objects.for_user(user).filter(organization=organization, role__in=roles).exists()
    )


def organizations_for(user, *roles: str) -> models.QuerySet[Organization]:
    if StaffRole.ORG_ADMIN in roles and is_platform_admin(user):
        return Organization.objects.all()
    return Organization.objects.filter(
        memberships__user=user, memberships__role__in=roles
    ).distinct()


class AuditLogQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditLog(models.Model):
    """Append-only record of staff actions. Records what was done to which object, never worker
    answers or free text: ``detail`` holds field names and ids only."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=150, help_text=_("Username at the time, kept if the account goes.")
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")

    @classmethod
    def save_form(
        cls,
        form: forms.ModelForm[M],
        actor: Any,
        action: str,
        *,
        organization: Organization | None = None,
        prepare: Callable[[M], None] | None = None,
    ) -> M:
        """Save a ModelForm and log which fields changed (names only), in one transaction.

        ``prepare(obj)`` sets what the form does not (owner, derived fields) before the save."""
        with transaction.atomic():
            if prepare is None:
                obj = form.save()
            else:
                obj = form.save(commit=False)
                prepare(obj)
                obj.save()
                form.save_m2m()
            cls.record(
                actor, action, obj, organization=organization, fields=sorted(form.changed_data)
            )
        return obj

    @classmethod
    def record(
        cls,
        actor,
        action: str,
        target: models.Model | None = None,
        *,
        organization: Organization | None = None,
        **detail,
    ) -> AuditLog:
        """Log a staff action. ``detail`` must hold names and ids only (never content)."""
        return cls.objects.create(
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=getattr(actor, "get_username", lambda: "system")(),
            organization=organization,
            action=action,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            detail=detail,
        )


class AccessCode(models.Model):
    """An anonymous worker's key. Only a keyed hash is stored; the code itself is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    digest = models.CharField(max_length=64, unique=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_on = models.DateField(
        default=timezone.localdate, help_text=_("Day only: no exact time is kept.")
    )

    def __str__(self) -> str:
        return f"access code {self.digest[:8]}…"


class ThrottleCounter(models.Model):
    """Failure counters for rate limits, keyed by a salted hash (never a raw IP or credential)."""

    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="unique_throttle_window")
        ]

    def __str__(self) -> str:
        return f"throttle {self.key[:8]}… {self.count}"


class StaffProfile(models.Model):
    """What a staff account needs to be reached: the language and time zone its email and pages use,
    and how often it wants notifications. The address itself is the account's ``email``."""

    class Frequency(models.TextChoices):
        IMMEDIATELY = "immediately", _("Right away")
        DIGEST = "digest", _("One email a day")
        OFF = "off", _("Off")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Leave empty to use your organization's time zone."),
    )
    frequency = models.CharField(
        _("notification emails"),
        max_length=12,
        choices=Frequency.choices,
        default=Frequency.IMMEDIATELY,
    )

    def __str__(self) -> str:
        return f"profile of {self.user}"


class OutboundEmail(models.Model):
    """One email on its way. Sending happens in a task, never in the request that asked for it, so a
    mail outage never costs a worker a response. The address and body are encrypted at rest and erased
    once the message is sent: the product forgets who it wrote to (a pulse invitation's address, a
    worker's reply-notice address)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # Callers that might ask twice (a reminder job re-run, a retried request) pass a key; the second
    # ask finds the first row and sends nothing.
    key = models.CharField(max_length=160, unique=True, null=True, blank=True)
    to = EncryptedTextField()
    subject = models.CharField(max_length=200)
    body = EncryptedTextField()
    calendar = EncryptedTextField(
        blank=True, help_text="An iCalendar object attached as invite.ics."
    )
    kind = models.CharField(
        max_length=60, help_text="What sort of notice (for operators); never content."
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    created_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"{self.kind} email #{self.pk} ({self.status})"


class PendingDigest(models.Model):
    """A notification held for a staff member's daily digest (their chosen frequency)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    line = EncryptedTextField()
    created_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"digest line #{self.pk}"


class PeriodicRun(models.Model):
    """One row per periodic job and period: the worker that inserts it enqueues that run, so several
    workers sharing a database never enqueue the same run twice."""

    job = models.CharField(max_length=60)
    period = models.BigIntegerField(
        help_text="Seconds since the epoch divided by the job's interval."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="unique_periodic_run")
        ]

    def __str__(self) -> str:
        return f"{self.job} #{self.period}"


class WorkerAlert(models.Model):
    """A way to tell an anonymous worker that something waits for them, chosen by the worker: a
    browser push subscription or an email address. Tied only to the access code and deleted with it;
    the target is encrypted at rest. Texts sent are neutral ("You have a new message in Respite")."""

    class Channel(models.TextChoices):
        PUSH = "push", _("Browser notification")
        EMAIL = "email", _("Email")

    access_code = models.ForeignKey(AccessCode, on_delete=models.CASCADE, related_name="alerts")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    target = EncryptedTextField(help_text="Push subscription (JSON) or email address; encrypted.")
    language = models.CharField(max_length=8, default="en")
    # Check-in reminders (push only): every N days, the next on a day (never a time of day).
    checkin_days = models.PositiveSmallIntegerField(null=True, blank=True)
    next_checkin_on = models.DateField(null=True, blank=True)
    created_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"{self.channel} alert #{self.pk}"


class InvitationQuerySet(models.QuerySet):
    def open(self) -> InvitationQuerySet:
        """Sent, not yet used, not withdrawn, not expired."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).exclude(digest="")


class Invitation(models.Model):
    """A single-use, expiring link that makes (or extends) a staff account with roles in one
    organization. Only a keyed hash of the link's token is kept; a resend replaces it, so an older
    link stops working. A volunteer therapist's own application is an invitation nobody has sent yet
    (``digest`` empty) until an admin approves it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    roles = models.JSONField(default=list)
    display_name = models.CharField(_("name"), max_length=120, blank=True)
    digest = models.CharField(max_length=64, blank=True, db_index=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    is_application = models.BooleanField(default=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation #{self.pk} to {self.organization}"

    def role_labels(self) -> list[str]:
        labels = dict(StaffRole.choices)
        return [str(labels.get(r, r)) for r in self.roles]

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "withdrawn"
        if not self.digest:
            return "applied"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "open"


class RoleGrantRequest(models.Model):
    """An admin asked for a role that reads or routes worker content for their own account: it waits
    for a second admin of the organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, choices=StaffRole.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved = models.BooleanField(null=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} asks for {self.role} in {self.organization}"


class SingleSignOn(models.Model):
    """An organization's OpenID Connect identity provider. Signing in through it proves an email
    address and nothing more: roles still come only from the organization console (an invitation to
    that address, or the roles an existing account with that address already holds)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="single_sign_on"
    )
    is_enabled = models.BooleanField(_("sign-in with this provider is on"), default=True)
    issuer = models.URLField(
        _("issuer"),
        max_length=300,
        help_text=_("The provider's issuer URL, e.g. https://login.example.org/realms/staff."),
    )
    client_id = models.CharField(_("client ID"), max_length=200)
    client_secret = EncryptedTextField(_("client secret"))
    email_domains = models.CharField(
        _("email domains"),
        max_length=500,
        blank=True,
        help_text=_(
            "Optional, separated by commas (e.g. example.org, example.com). Staff who type an "
            "address at one of these domains are sent to this provider, and only addresses at "
            "these domains may sign in through it."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"single sign-on of {self.organization}"

    def domains(self) -> list[str]:
        return [d.strip().lower() for d in self.email_domains.split(",") if d.strip()]

    def clean(self) -> None:
        bad = [d for d in self.domains() if not _DOMAIN.match(d)]
        if bad:
            raise ValidationError(
                {"email_domains": _("Not a domain name: %(names)s") % {"names": ", ".join(bad)}}
            )
        clash = (
            SingleSignOn.objects.exclude(pk=self.pk)
            .exclude(organization_id=self.organization_id)
            .values_list("email_domains", flat=True)
        )
        taken = {d.strip().lower() for value in clash for d in value.split(",") if d.strip()}
        if taken & set(self.domains()):
            raise ValidationError(
                {"email_domains": _("Another organization already uses one of these domains.")}
            )


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class SingleSignOnIdentity(models.Model):
    """Which account a provider's subject signs in as (found once by verified email, then kept, so a
    later change of address at the provider cannot move the sign-in to another account)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "issuer", "subject"], name="unique_sso_subject"
            )
        ]

    def __str__(self) -> str:
        return f"sso identity #{self.pk}"


class RecoveryCodeDevice(Device):
    """A staff member's one-time recovery codes, as a django-otp device: signing in with one marks the
    session verified like an authenticator code does. Only keyed hashes are stored; each works once."""

    class Meta:
        verbose_name = "recovery code set"

    def verify_token(self, token: str) -> bool:
        from respite.core.twofactor import recovery_digest

        digest = recovery_digest(self.user_id, token)
        return bool(
            RecoveryCode.objects.filter(device=self, digest=digest, used_on__isnull=True).update(
                used_on=timezone.localdate()
            )
        )

    def remaining(self) -> int:
        return RecoveryCode.objects.filter(device=self, used_on__isnull=True).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code #{self.pk}"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A staff member's scoped, expiring key for the API (``Authorization: Bearer``), for one
    organization. Only a keyed hash is kept; the token is shown once, when it is made. It acts as its
    owner, so it opens nothing the owner's roles do not, and stops when they lose the role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    scopes = models.JSONField(default=list)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_on = models.DateField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"API token #{self.pk} ({self.name})"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"
