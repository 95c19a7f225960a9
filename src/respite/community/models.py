"""Community gatherings: events with RSVPs, a moderated gratitude-note wall and a pledge tally.

Organizers have no account: creating an event returns a private management link whose token is
stored only as a keyed hash (see README.md). Attendees give no name unless they want to, and an
email only for a reminder, encrypted and erased once the event is over.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from respite.core.crypto import EncryptedTextField
from respite.core.models import Organization
from respite.core.privacy import keyed_hash

MANAGE_PURPOSE = "community-manage"
# How long after the event its page, RSVPs, notes and pledges are kept before purge.
KEEP_AFTER_EVENT = timedelta(days=60)

TIMEZONES = [
    ("America/New_York", _("Eastern")),
    ("America/Chicago", _("Central")),
    ("America/Denver", _("Mountain")),
    ("America/Phoenix", _("Arizona")),
    ("America/Los_Angeles", _("Pacific")),
    ("America/Anchorage", _("Alaska")),
    ("Pacific/Honolulu", _("Hawaii")),
    ("America/Puerto_Rico", _("Atlantic (Puerto Rico)")),
    ("UTC", _("UTC")),
]


class Format(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIRTUAL = "virtual", _("Virtual")


class Audience(models.TextChoices):
    WORKERS = "workers", _("Health workers")
    MIXED = "mixed", _("Health workers and others (mixed)")
    OTHERS = "others", _("Family, friends and community (not health workers)")


class EventQuerySet(models.QuerySet["Event"]):
    def visible(self) -> EventQuerySet:
        return self.filter(removed=False)

    def for_token(self, organization: Organization, token: str) -> Event | None:
        if not token or len(token) > 100:
            return None
        return self.filter(
            organization=organization, manage_digest=keyed_hash(token, MANAGE_PURPOSE)
        ).first()

    def expired(self, now=None) -> EventQuerySet:
        return self.filter(starts_at__lt=(now or timezone.now()) - KEEP_AFTER_EVENT)


class Event(models.Model):
    """A watch gathering or discussion. ``id`` is the unguessable public id in the RSVP link."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="community_events"
    )
    title = models.CharField(_("title"), max_length=120)
    format = models.CharField(
        _("format"), max_length=12, choices=Format.choices, default=Format.IN_PERSON
    )
    starts_at = models.DateTimeField(_("starts at"))
    time_zone = models.CharField(
        _("time zone"), max_length=40, choices=TIMEZONES, default="America/New_York"
    )
    place = models.CharField(
        _("place"),
        max_length=200,
        blank=True,
        help_text=_("For in-person gatherings: where to go. Shown on the public RSVP page."),
    )
    link = models.URLField(
        _("meeting link"),
        max_length=500,
        blank=True,
        help_text=_("For virtual gatherings (https). Shown only after someone RSVPs."),
    )
    audience = models.CharField(
        _("who is coming"), max_length=10, choices=Audience.choices, default=Audience.MIXED
    )
    state = models.CharField(
        _("US state"),
        max_length=2,
        blank=True,
        help_text=_("Two-letter code, e.g. CA: picks state resources for the packet."),
    )
    notes_for = models.CharField(
        _("thank-you notes go to"),
        max_length=120,
        blank=True,
        help_text=_("A clinic, unit or team, e.g. “Riverside ER night shift”. Never a patient."),
    )
    donation_url = models.URLField(
        _("donation page"),
        max_length=500,
        blank=True,
        help_text=_("Where attendees donate (https). Respite never handles money."),
    )
    pledge_goal = models.PositiveIntegerField(
        _("pledge goal (US$)"), null=True, blank=True, validators=[MaxValueValidator(10_000_000)]
    )
    manage_digest = models.CharField(max_length=64, unique=True, editable=False)
    removed = models.BooleanField(
        default=False, help_text=_("Taken down by an organization admin.")
    )
    created_on = models.DateField(
        default=timezone.localdate, help_text=_("Day only: no exact time is kept.")
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:event", kwargs={"org": self.organization.slug, "pk": self.pk})

    def new_manage_token(self) -> str:
        """Set a fresh management token and return it; only its keyed hash is kept."""
        token = secrets.token_urlsafe(32)
        self.manage_digest = keyed_hash(token, MANAGE_PURPOSE)
        return token

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at, self.tz)

    @property
    def is_past(self) -> bool:
        return self.starts_at < timezone.now() - timedelta(hours=6)

    def tally(self) -> dict:
        """Totals for the event page: one query for RSVPs and one for pledges."""
        r = self.rsvps.aggregate(people=Sum("party_size"), replies=Count("id"))
        p = self.pledges.aggregate(total=Sum("amount"), count=Count("id"))
        goal = self.pledge_goal or 0
        total = p["total"] or 0
        return {
            "attending": r["people"] or 0,
            "replies": r["replies"],
            "pledged": total,
            "pledges": p["count"],
            "goal": goal,
            "progress": min(total, goal) if goal else 0,
            "percent": round(100 * total / goal) if goal else None,
        }


class Rsvp(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    nickname = models.CharField(_("first name or nickname (optional)"), max_length=40, blank=True)
    party_size = models.PositiveSmallIntegerField(
        _("number attending"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    reminder_email = EncryptedTextField(
        _("email for a reminder (optional)"),
        blank=True,
        help_text=_("Encrypted, used once for a reminder, erased after the event."),
    )
    reminder_sent = models.BooleanField(default=False)
    language = models.CharField(
        max_length=2, default="en", help_text=_("Language of the reminder email.")
    )
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["created_on", "id"]

    def __str__(self) -> str:
        return f"RSVP {self.party_size}"


class NoteStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Shown on the wall")
    REJECTED = "rejected", _("Not shown")


class NoteQuerySet(models.QuerySet):
    def approved(self) -> NoteQuerySet:
        return self.filter(status=NoteStatus.APPROVED)

    def pending(self) -> NoteQuerySet:
        return self.filter(status=NoteStatus.PENDING)


class Note(models.Model):
    """A thank-you note for the event's named clinic or unit. Plain text, sanitized with nh3."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField(_("your note"), max_length=1000)
    signed = models.CharField(_("signed (optional)"), max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=NoteStatus.choices, default=NoteStatus.PENDING)
    created_on = models.DateField(default=timezone.localdate)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_on", "id"]

    def __str__(self) -> str:
        return f"note {str(self.id)[:8]}"


class Pledge(models.Model):
    """A promise to donate through the organizer's donation page. No payment passes through Respite."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="pledges")
    tier = models.CharField(
        max_length=40, blank=True, help_text=_("Toolkit tier id, or empty for another amount.")
    )
    amount = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)]
    )
    display_name = models.CharField(_("name to show (optional)"), max_length=40, blank=True)
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["-created_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=1), name="community_pledge_positive")
        ]

    def __str__(self) -> str:
        return f"pledge {self.amount}"
