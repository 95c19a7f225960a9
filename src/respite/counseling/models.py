"""Counseling: anonymous counselor dialogue (cases and messages) and volunteer-therapist booking.

Workers are known only by their access code. Counselors see the screening a worker chose to share,
never the code. Free text and contact details are encrypted at rest; contact details are wiped when
the engagement that needed them ends.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from respite.core.crypto import EncryptedTextField
from respite.core.fields import CoarseDateTimeField
from respite.core.models import AccessCode, Organization
from respite.counseling.states import STATE_CODES
from respite.screening.instruments import TIER_RANK
from respite.screening.models import Screening

DEFAULT_REPLY_TARGET_HOURS = 48


def coarse_now() -> datetime:
    """The current hour. Worker-side times (sharing, writing) are kept to the hour, not the second:
    exact times beside a worker's answers help re-identify them, and reply targets are in hours."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


class CounselingSettings(models.Model):
    """Per-organization counseling options. A missing row means the defaults."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="counseling_settings"
    )
    reply_target_hours = models.PositiveSmallIntegerField(
        _("reply target (hours)"),
        default=DEFAULT_REPLY_TARGET_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text=_(
            "Counselors aim to answer within this time. Workers are told it when they share."
        ),
    )

    def __str__(self) -> str:
        return f"counseling settings for {self.organization}"

    @classmethod
    def for_org(cls, organization: Organization) -> CounselingSettings:
        found = cls.objects.filter(organization=organization).first()
        return found or cls(organization=organization)


# --- Anonymous dialogue ----------------------------------------------------------------------
class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CaseQuerySet(models.QuerySet):
    def queue(self) -> CaseQuerySet:
        """Highest risk first (crisis > urgent > counseling > self-care), then the longest waiting."""
        return self.order_by("-risk_rank", "opened_at")


class Case(models.Model):
    """A screening a worker shared with their organization's counselors, and the conversation.

    ``access_code`` is how the worker reaches the case; it is never shown to counselors.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    access_code = models.ForeignKey(AccessCode, on_delete=models.CASCADE, related_name="+")
    screening = models.OneToOneField(
        Screening, on_delete=models.CASCADE, related_name="counseling_case"
    )
    tier = models.CharField(max_length=20)
    urgent = models.BooleanField(default=False, help_text=_("Marked urgent by a counselor."))
    risk_rank = models.PositiveSmallIntegerField(default=0, db_index=True)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    # Worker-side times to the hour: the reply target is counted in hours (CounselingSettings).
    opened_at = CoarseDateTimeField(default=timezone.now)
    awaiting_reply_since = CoarseDateTimeField(
        null=True,
        blank=True,
        help_text=_("When the worker last wrote and no counselor has answered yet."),
    )
    first_reply_at = CoarseDateTimeField(null=True, blank=True)
    booking_suggested = models.BooleanField(default=False, help_text=_("Counts as a referral."))
    closed_at = CoarseDateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["organization", "status", "risk_rank"])]

    def __str__(self) -> str:
        return f"case {str(self.id)[:8]}"

    def save(self, *args, **kwargs):
        self.risk_rank = self.compute_risk_rank()
        if kwargs.get("update_fields") is not None and "urgent" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "risk_rank"}
        super().save(*args, **kwargs)

    def compute_risk_rank(self) -> int:
        rank = TIER_RANK.get(self.tier, 0)
        return max(rank, TIER_RANK["urgent"]) if self.urgent else rank

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN

    @property
    def risk(self) -> str:
        return (
            "urgent"
            if self.urgent and TIER_RANK.get(self.tier, 0) < TIER_RANK["urgent"]
            else self.tier
        )

    def reply_due(self, target_hours: int) -> datetime | None:
        if self.awaiting_reply_since is None or not self.is_open:
            return None
        return self.awaiting_reply_since + timedelta(hours=target_hours)

    def is_overdue(self, target_hours: int, now: datetime | None = None) -> bool:
        due = self.reply_due(target_hours)
        return due is not None and (now or timezone.now()) > due


class Author(models.TextChoices):
    WORKER = "worker", _("You")
    COUNSELOR = "counselor", _("Counselor")


class Message(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=10, choices=Author.choices)
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = EncryptedTextField(
        blank=True, help_text=_("Sensitive: encrypted at rest, never logged.")
    )
    resources = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "Snapshot of directory resources a counselor shared: [{id, name, url, phone}]."
        ),
    )
    suggests_booking = models.BooleanField(default=False)
    created_at = CoarseDateTimeField(default=timezone.now)  # to the hour: the reply target

    class Meta:
        ordering = ["pk"]  # insertion order: worker times are coarsened to the hour

    def __str__(self) -> str:
        return f"message {self.pk} ({self.author})"


# --- Volunteer therapists ----------------------------------------------------------------------
class LicenceType(models.TextChoices):
    PSYCHOLOGIST = "psychologist", _("Psychologist (PhD/PsyD)")
    PSYCHIATRIST = "psychiatrist", _("Psychiatrist (MD/DO)")
    LCSW = "lcsw", _("Licensed clinical social worker")
    LPC = "lpc", _("Licensed professional counselor")
    LMFT = "lmft", _("Licensed marriage and family therapist")
    PMHNP = "pmhnp", _("Psychiatric nurse practitioner")


class Specialty(models.TextChoices):
    TRAUMA = "trauma", _("Trauma")
    GRIEF = "grief", _("Grief")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    MORAL_INJURY = "moral_injury", _("Moral injury")
    BURNOUT = "burnout", _("Burnout")
    ANXIETY = "anxiety", _("Anxiety")
    DEPRESSION = "depression", _("Depression")


class Modality(models.TextChoices):
    VIDEO = "video", _("Video")
    PHONE = "phone", _("Phone")


LANGUAGES = (("en", _("English")), ("es", _("Spanish")))


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone.")) from exc


def validate_states(value: list) -> None:
    if not isinstance(value, list) or not value or set(value) - STATE_CODES:
        raise ValidationError(_("Choose at least one state, by its two-letter code."))


class ClinicianQuerySet(models.QuerySet):
    def listed(self) -> ClinicianQuerySet:
        """Only clinicians a platform admin has verified, and who are taking new workers."""
        return self.filter(verified_at__isnull=False, accepting=True, user__is_active=True)


class Clinician(models.Model):
    """A licensed volunteer therapist. Listed to workers only once a platform admin verified the licence."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician"
    )
    display_name = models.CharField(_("name shown to workers"), max_length=120)
    licence_type = models.CharField(_("licence type"), max_length=20, choices=LicenceType.choices)
    states = models.JSONField(_("states licensed in"), default=list, validators=[validate_states])
    licence_number = models.CharField(_("licence number"), max_length=60)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    languages = models.JSONField(default=list)
    specialties = models.JSONField(default=list, blank=True)
    modalities = models.JSONField(default=list)
    session_cap = models.PositiveSmallIntegerField(
        _("sessions per worker"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(16)],
    )
    session_minutes = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(15), MaxValueValidator(120)]
    )
    time_zone = models.CharField(
        max_length=60, default="America/Los_Angeles", validators=[validate_timezone]
    )
    bio = models.TextField(blank=True, max_length=1000)
    accepting = models.BooleanField(_("taking new workers"), default=True)
    # A calendar app subscribes to /staff/volunteers/calendar/<token>.ics; only a hash is kept, so the
    # link is shown once and revoked by replacing or clearing it.
    feed_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicianQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def licensed_in(self, state: str) -> bool:
        return state in (self.states or [])


class WeeklyAvailability(models.Model):
    """A recurring window, in the clinician's own time zone, cut into sessions."""

    clinician = models.ForeignKey(Clinician, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text=_("0 = Monday")
    )
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="availability_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start}-{self.end}"


class AvailabilityException(models.Model):
    """A day (or part of a day) off, in the clinician's time zone."""

    clinician = models.ForeignKey(Clinician, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField()
    start = models.TimeField(null=True, blank=True, help_text=_("Empty for the whole day."))
    end = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "start"]

    def __str__(self) -> str:
        return f"off {self.date}"

    def covers(self, local_start: datetime, local_end: datetime) -> bool:
        if local_start.date() != self.date:
            return False
        if self.start is None or self.end is None:
            return True
        return local_start.time() < self.end and self.start < (
            local_end.time() if local_end.date() == self.date else time.max
        )


class Slot(models.Model):
    """One bookable session time (UTC). Free while it has no active booking."""

    clinician = models.ForeignKey(Clinician, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    withdrawn = models.BooleanField(default=False, help_text=_("The clinician declined this time."))

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["clinician", "starts_at"], name="unique_slot_time")
        ]

    def __str__(self) -> str:
        return f"{self.clinician} {self.starts_at:%Y-%m-%d %H:%M}Z"


class EngagementStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class EndReason(models.TextChoices):
    COMPLETED = "completed", _("Sessions finished")
    CAP = "cap", _("Session limit reached")
    CANCELLED = "cancelled", _("All sessions cancelled")
    DECLINED = "declined", _("Declined by the therapist")
    REMATCH = "rematch", _("Asked for a different therapist")
    WORKER = "worker", _("Ended by the worker")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    EMAIL = "email", _("Email")


class Engagement(models.Model):
    """An anonymous worker's series of sessions with one clinician.

    ``contact`` is the one identifying thing the worker gives, so the clinician can reach them. It is
    encrypted at rest and erased by ``end()``, whatever the reason the engagement ends.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    access_code = models.ForeignKey(AccessCode, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    clinician = models.ForeignKey(Clinician, on_delete=models.CASCADE, related_name="engagements")
    state = models.CharField(max_length=2)
    language = models.CharField(max_length=5, default="en")
    contact_method = models.CharField(max_length=10, choices=ContactMethod.choices)
    contact = EncryptedTextField(
        blank=True,
        help_text=_(
            "Sensitive: the worker's chosen contact. Encrypted; erased when the engagement ends."
        ),
    )
    status = models.CharField(
        max_length=10, choices=EngagementStatus.choices, default=EngagementStatus.ACTIVE
    )
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)
    # The day is enough: nothing about a series of sessions is counted in hours.
    created_at = CoarseDateTimeField(default=timezone.now, precision="day")
    ended_at = CoarseDateTimeField(null=True, blank=True, precision="day")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["access_code", "clinician"],
                condition=models.Q(status="active"),
                name="one_active_engagement_per_clinician",
            ),
        ]

    def __str__(self) -> str:
        return f"engagement {str(self.id)[:8]}"

    @property
    def is_active(self) -> bool:
        return self.status == EngagementStatus.ACTIVE

    def sessions_used(self) -> int:
        return self.bookings.filter(status__in=HOLDING).count()

    def end(self, reason: str) -> None:
        """End the engagement and erase the contact: it was kept only to arrange these sessions."""
        self.status = EngagementStatus.ENDED
        self.end_reason = reason
        self.ended_at = timezone.now()
        self.contact = ""
        self.save(update_fields=["status", "end_reason", "ended_at", "contact"])


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    COMPLETED = "completed", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    DECLINED = "declined", _("Declined by the therapist")


# Statuses that hold the slot and count towards the session cap.
HOLDING = ("booked", "completed")


class Booking(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="bookings")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="bookings")
    status = models.CharField(
        max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    created_at = CoarseDateTimeField(default=timezone.now, precision="day")
    # RFC 5545 SEQUENCE: raised on every change the therapist's calendar must apply (a new time, a cancel).
    sequence = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["slot__starts_at"]
        constraints = [
            # The database, not a lock, guarantees one active booking per slot (select_for_update is a
            # no-op on SQLite). Cancelled and declined bookings leave the slot free.
            models.UniqueConstraint(
                fields=["slot"],
                condition=models.Q(status__in=["booked", "completed"]),
                name="one_active_booking_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"booking {str(self.id)[:8]}"

    @property
    def is_booked(self) -> bool:
        return self.status == BookingStatus.BOOKED
