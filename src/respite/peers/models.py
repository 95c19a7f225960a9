"""Peer support: roster, requests, assignment, follow-up and education.

What is stored about a person who asks for support (or is referred) is the least the program needs
to reach them: an encrypted contact that is deleted at close, their department (only to keep
supporters from it), language, broad role group and the kind of event from a fixed list. Never a
name chosen by the program, never a story, never clinical details.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import nh3
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from respite.core.crypto import EncryptedTextField
from respite.core.errors import DomainError
from respite.core.fields import CoarseDateTimeField
from respite.core.models import AccessCode, Membership, Organization
from respite.core.roles import RoleGroup, StaffRole

LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]


class PeerProgram(models.Model):
    """One organization's program settings and its program leads.

    Leads are named here rather than inferred from the org-admin role: an employer's administrator
    is not automatically the person who should see the program's queue and workload.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="peer_program"
    )
    target_hours = models.PositiveSmallIntegerField(
        _("time-to-contact target (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text=_("A supporter should reach out within this many hours of a request."),
    )
    offer_to = models.PositiveSmallIntegerField(
        _("supporters offered each request"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_(
            "How many suggested supporters are asked at once; the first to accept takes it."
        ),
    )
    leads = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="peer_programs_led",
        verbose_name=_("program leads"),
    )

    def __str__(self) -> str:
        return f"peer program of {self.organization}"

    @classmethod
    def for_org(cls, organization: Organization) -> PeerProgram:
        program, _created = cls.objects.get_or_create(organization=organization)
        return program

    @property
    def target(self) -> timedelta:
        return timedelta(hours=self.target_hours)


def is_lead(user, organization: Organization) -> bool:
    """True when the user leads this organization's peer program (an active account)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return PeerProgram.objects.filter(organization=organization, leads=user).exists()


class Department(models.Model):
    """A department or unit, only so that a supporter never comes from the requester's own."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="peer_departments"
    )
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_peer_department")
        ]

    def __str__(self) -> str:
        return self.name


class SupporterQuerySet(models.QuerySet):
    def with_load(self) -> SupporterQuerySet:
        return self.annotate(
            open_count=Count(
                "assigned_requests", filter=Q(assigned_requests__closed_at__isnull=True)
            )
        )


class Supporter(models.Model):
    """A trained peer supporter: a staff account with the peer_supporter role, on one roster."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="peer_supporters"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peer_rosters"
    )
    display_name = models.CharField(
        _("name shown to colleagues"),
        max_length=80,
        help_text=_("First name is enough. Shown to the person being supported once you accept."),
    )
    training_course = models.CharField(_("training course"), max_length=160, blank=True)
    trained_on = models.DateField(_("trained on"), null=True, blank=True)
    refresher_due = models.DateField(_("refresher due"), null=True, blank=True)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="supporters", verbose_name=_("departments or units")
    )
    role_groups = models.JSONField(_("roles"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    max_open = models.PositiveSmallIntegerField(
        _("most open requests at once"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Untick to pause: no new requests.")
    )

    objects = SupporterQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="unique_peer_supporter")
        ]

    def __str__(self) -> str:
        return self.display_name

    def on_call(self, now: datetime) -> bool:
        return any(s.start <= now < s.end for s in self.shifts.all())

    def training_status(self, today: date) -> str:
        if self.refresher_due is None:
            return "unknown"
        if self.refresher_due < today:
            return "overdue"
        if self.refresher_due <= today + timedelta(days=30):
            return "due_soon"
        return "ok"


class Shift(models.Model):
    """An on-call period. Supporters on call when a request arrives are suggested first."""

    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="shifts")
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="peer_shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.supporter} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"


class Source(models.TextChoices):
    SELF_CODE = "self_code", _("Self-referral, anonymous with a code")
    SELF_CONTACT = "self_contact", _("Self-referral with a contact")
    COLLEAGUE = "colleague", _("Referral by a colleague")
    MANAGER = "manager", _("Referral by a manager")
    GROUP = "group", _("Group request after a critical incident")


class EventType(models.TextChoices):
    PATIENT_DEATH = "patient_death", _("Death of a patient")
    UNEXPECTED_OUTCOME = "unexpected_outcome", _("Unexpected patient outcome")
    MEDICAL_ERROR = "medical_error", _("Medical error or near miss")
    VIOLENCE = "violence", _("Violence or threat at work")
    COLLEAGUE_LOSS = "colleague_loss", _("Death or injury of a colleague")
    PEDIATRIC = "pediatric", _("Serious harm to a child")
    MASS_CASUALTY = "mass_casualty", _("Mass casualty or disaster")
    COMPLAINT = "complaint", _("Complaint, investigation or lawsuit")
    OTHER = "other", _("Another difficult event")
    NONE = "none", _("Not about one event")


class Referral(models.TextChoices):
    NONE = "none", _("No referral")
    PROFESSIONAL = "professional", _("Professional help (EAP, counseling)")
    CRISIS = "crisis", _("Crisis resource")
    BOTH = "both", _("Both")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Message on the portal (anonymous request)")


class SupportRequestQuerySet(models.QuerySet):
    def open(self) -> SupportRequestQuerySet:
        return self.filter(closed_at__isnull=True)

    def offered_to(self, supporter: Supporter) -> SupportRequestQuerySet:
        return self.open().filter(assigned__isnull=True, offers=supporter)

    def not_contacted_by(self, when: datetime) -> SupportRequestQuerySet:
        return self.open().filter(contacted_at__isnull=True, created_at__lte=when)


class SupportRequest(models.Model):
    """One request for peer support: from the person, from a colleague or manager, or for a team.

    Contact details and the best time to reach someone are encrypted and deleted at close. The
    department is kept so the program can be audited for never sending a same-department supporter.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for a supporter")
        ACCEPTED = "accepted", _("A supporter has it and will reach out")
        CONTACTED = "contacted", _("A supporter has reached out")
        CLOSED = "closed", _("Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="peer_requests"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    event_type = models.CharField(max_length=30, choices=EventType.choices, default=EventType.NONE)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role_group = models.CharField(max_length=40, blank=True, choices=RoleGroup.choices)
    language = models.CharField(max_length=5, choices=LANGUAGES, default="en")
    team_size = models.PositiveSmallIntegerField(null=True, blank=True)
    contact = EncryptedTextField(
        blank=True, help_text=_("Encrypted; deleted when the request closes.")
    )
    best_time = EncryptedTextField(
        blank=True, help_text=_("Encrypted; deleted when the request closes.")
    )
    supporter_message = EncryptedTextField(
        blank=True,
        help_text=_("For anonymous requests: the supporter's own name and how to reach them."),
    )
    requester_code = models.ForeignKey(
        AccessCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    referrer_code = models.ForeignKey(
        AccessCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rating_code = models.ForeignKey(
        AccessCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    offers = models.ManyToManyField(Supporter, blank=True, related_name="offered_requests")
    # Separation of duties: everyone in the requester's department when the request was made stays
    # ineligible for it, so taking a supporter out of that department later never opens it to them.
    excluded = models.ManyToManyField(
        Supporter,
        blank=True,
        related_name="+",
        verbose_name=_("supporters from the requester's department when it was made"),
    )
    assigned = models.ForeignKey(
        Supporter,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    # To the hour: the program promises contact within hours (reminders and escalation count them).
    created_at = CoarseDateTimeField(default=timezone.now, db_index=True)
    accepted_at = CoarseDateTimeField(null=True, blank=True)
    contacted_at = CoarseDateTimeField(null=True, blank=True)
    contact_method = models.CharField(max_length=20, choices=ContactMethod.choices, blank=True)
    follow_up_on = models.DateField(null=True, blank=True)
    follow_up_done = models.BooleanField(default=False)
    referral = models.CharField(max_length=20, choices=Referral.choices, blank=True)
    closed_at = CoarseDateTimeField(null=True, blank=True)
    reminded_at = CoarseDateTimeField(null=True, blank=True)
    escalated_at = CoarseDateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    objects = SupportRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"peer request {self.reference}"

    @property
    def reference(self) -> str:
        """A short label staff can say aloud; the full id stays in URLs."""
        return f"PS-{str(self.id)[:6].upper()}"

    @property
    def status(self) -> str:
        if self.closed_at:
            return self.Status.CLOSED
        if self.contacted_at:
            return self.Status.CONTACTED
        if self.assigned_id:
            return self.Status.ACCEPTED
        return self.Status.WAITING

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)

    @property
    def anonymous(self) -> bool:
        return self.source == Source.SELF_CODE

    def role_of(self, code: AccessCode) -> str:
        """What the holder of one of this request's codes is to it: "requester", "referrer" or
        "rater" (the code the supporter handed over for the rating)."""
        if self.requester_code_id == code.pk:
            return "requester"
        if self.referrer_code_id == code.pk:
            return "referrer"
        return "rater"

    def rateable_by(self, role: str) -> bool:
        """The requester or the rater may rate the support, once the request is closed (once only:
        see ``rating``)."""
        return role in ("requester", "rater") and self.closed_at is not None

    def thread_open_to(self, role: str) -> bool:
        """The two-way thread is the anonymous requester's alone (a referrer or rater never sees it)."""
        return role == "requester" and self.anonymous and self.requester_code_id is not None

    def due_at(self, program: PeerProgram) -> datetime:
        return self.created_at + program.target

    def hours_to_contact(self) -> float | None:
        if self.contacted_at is None:
            return None
        return (self.contacted_at - self.created_at).total_seconds() / 3600

    def suggestions(self, now: datetime | None = None) -> list[Supporter]:
        """Supporters who may take this request, best first.

        Never anyone from the requester's department (a hard rule), never a paused supporter or one
        at capacity, and only supporters who speak the requester's language. Among those: on call
        now first, then the same broad role, then the lightest load.
        """
        now = now or timezone.now()
        staff = Membership.objects.filter(
            organization=self.organization, role=StaffRole.PEER_SUPPORTER
        )
        candidates = (
            Supporter.objects.filter(
                organization=self.organization,
                active=True,
                user__is_active=True,
                user__in=staff.values("user"),
            )
            .with_load()
            .prefetch_related("shifts")
        )
        candidates = candidates.exclude(pk__in=self.ineligible_supporters())
        chosen = []
        for s in candidates:
            if s.open_count < s.max_open and self.language in (s.languages or ["en"]):
                chosen.append(s)
        chosen.sort(
            key=lambda s: (
                not s.on_call(now),
                not (self.role_group and self.role_group in s.role_groups),
                s.open_count,
                s.display_name,
            )
        )
        return chosen

    def ineligible_supporters(self) -> models.QuerySet:
        """Supporters who may never take this request, whatever else changes: anyone in the
        requester's department now or when it was made, and the program's leads (who route
        requests, and so never support one or see its contact details)."""
        leads = PeerProgram.leads.through.objects.filter(
            peerprogram__organization_id=self.organization_id
        ).values("user")
        rule = Q(user__in=leads)
        if self.department_id:
            rule |= Q(departments=self.department_id)
        if self.pk:
            rule |= Q(pk__in=self.excluded.values("pk"))
        return (
            Supporter.objects.filter(organization_id=self.organization_id).filter(rule).values("pk")
        )

    def can_take(self, supporter: Supporter, now: datetime | None = None) -> bool:
        return any(s.pk == supporter.pk for s in self.suggestions(now))

    @transaction.atomic
    def do_accept(self, supporter: Supporter, now: datetime | None = None) -> bool:
        """Assign to the supporter if nobody took it first. False when someone else did."""
        now = now or timezone.now()
        if self.ineligible_supporters().filter(pk=supporter.pk).exists():
            return False
        taken = SupportRequest.objects.filter(
            pk=self.pk, assigned__isnull=True, closed_at__isnull=True
        ).update(assigned=supporter, accepted_at=now)
        if taken:
            self.assigned, self.accepted_at = supporter, now
            self.offers.clear()
        return bool(taken)

    def do_close(self, now: datetime | None = None) -> str | None:
        """Close, delete contact details, and return a one-time rating code for the supporter to pass on.

        An anonymous requester already holds a code and rates with it, so no new code is made.
        """
        from respite.core.privacy import new_access_code

        with transaction.atomic():
            words = None
            if not self.anonymous and self.rating_code_id is None:
                words, self.rating_code = new_access_code(self.organization, self.language)
            self.closed_at = now or timezone.now()
            self.contact = self.best_time = self.supporter_message = ""
            self.messages.all().delete()
            self.save(
                update_fields=[
                    "closed_at",
                    "contact",
                    "best_time",
                    "supporter_message",
                    "rating_code",
                ]
            )
        return words


MESSAGE_MAX_LENGTH = 2000


class PeerMessage(models.Model):
    """One message in an anonymous request's two-way thread: the worker answers with their code, so
    nobody needs to hand over a phone number. Encrypted like counseling; only the day is kept (never a
    time beside what a worker did); deleted with the other contact details when the request closes.
    Only the assigned supporter and the requester's code ever read it: never the program lead."""

    class Author(models.TextChoices):
        WORKER = "worker", _("You")
        SUPPORTER = "supporter", _("Your supporter")

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=10, choices=Author.choices)
    body = EncryptedTextField(help_text=_("Encrypted; deleted when the request closes."))
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["pk"]  # insertion order: only the day is stored

    def __str__(self) -> str:
        return f"peer message {self.pk} ({self.author})"


class ThreadError(Exception):
    """A message that cannot be sent; ``message`` is safe to show to the person who tried."""

    def __init__(self, message: StrOrPromise):
        super().__init__(message)
        self.message = message


def do_post_message(req: SupportRequest, author: str, body: str) -> PeerMessage:
    """Add a message to an anonymous request's thread and tell the other side (queued in the same
    transaction, never sent inside the request): the supporter by email through ``core.notify``, the
    worker through the alerts they opted into (``core.alerts``). Neither notice carries the text."""
    from respite.core import alerts
    from respite.peers import notify

    body = (body or "").strip()
    if not body:
        raise ThreadError(_("Write a message first."))
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ThreadError(_("Keep the message under %(n)s characters.") % {"n": MESSAGE_MAX_LENGTH})
    if not req.anonymous or req.closed_at is not None or req.assigned_id is None:
        raise ThreadError(_("This conversation is not open."))
    with transaction.atomic():
        message = PeerMessage.objects.create(request=req, author=author, body=body)
        if author == PeerMessage.Author.WORKER:
            notify.worker_wrote(req, message)
        elif req.requester_code_id:
            link = reverse("peers:status", kwargs={"org": req.organization.slug, "pk": req.pk})
            alerts.alert_worker(req.requester_code_id, "message", link)
    return message


class TrainingMaterial(models.Model):
    """Education for supporters (an ALL IN action), published by the program lead."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="peer_materials"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        blank=True,
        max_length=20000,
        help_text=_(
            "Basic formatting (paragraphs, lists, links) is kept; anything else is removed."
        ),
    )
    link = models.URLField(
        _("link"), blank=True, help_text=_("Optional: a course or video elsewhere.")
    )
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # Sanitise on the way in, so every later render can mark it safe.
        self.body = nh3.clean(
            self.body or "",
            tags={"p", "br", "ul", "ol", "li", "strong", "em", "a", "h3", "h4"},
            url_schemes={"https", "mailto"},
        )
        super().save(*args, **kwargs)


class TrainingCompletion(models.Model):
    material = models.ForeignKey(
        TrainingMaterial, on_delete=models.CASCADE, related_name="completions"
    )
    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="completions")
    completed_on = models.DateField(default=timezone.localdate)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["material", "supporter"], name="unique_peer_completion")
        ]

    def __str__(self) -> str:
        return f"{self.supporter} completed {self.material}"


def check_request(
    organization: Organization,
    source: str,
    *,
    contact: str = "",
    best_time: str = "",
    department: Department | None = None,
    role_group: str = "",
    event_type: str = EventType.NONE,
    team_size: int | None = None,
    **_other: object,
) -> None:
    """The rules of a request, for the portal's forms and the API alike; DomainError names the
    field at fault."""
    if source not in Source.values:
        raise DomainError(gettext("Unknown kind of request."), "source")
    if event_type not in EventType.values:
        raise DomainError(gettext("Choose one of the kinds of event."), "event_type")
    if role_group and role_group not in (organization.role_groups or []):
        raise DomainError(gettext("Choose one of your organization's kinds of work."), "role_group")
    if department is not None and department.organization_id != organization.pk:
        raise DomainError(gettext("Unknown department."), "department")
    anonymous = source == Source.SELF_CODE
    if anonymous and (contact or best_time):
        raise DomainError(
            gettext("An anonymous request takes no contact: choose to be contacted instead."),
            "contact",
        )
    if not anonymous and not contact.strip():
        raise DomainError(gettext("Say how to reach the person."), "contact")
    if source in (Source.COLLEAGUE, Source.MANAGER, Source.GROUP):
        if department is None:
            raise DomainError(gettext("Choose their department or unit."), "department")
        if event_type == EventType.NONE:
            raise DomainError(gettext("Choose the kind of event."), "event_type")
    if source == Source.GROUP and team_size is None:
        raise DomainError(gettext("Say about how many people."), "team_size")


def do_create_request(
    organization: Organization,
    source: str,
    *,
    code_for: str | None = None,
    code: AccessCode | None = None,
    now: datetime | None = None,
    **fields,
) -> tuple[SupportRequest, str | None]:
    """Create a request, offer it to the best suggested supporters and email them (after commit).

    ``code_for`` is "requester" (anonymous self-referral) or "referrer" (someone else asked): the
    worker's existing access ``code`` when they are signed in with one (one worker, one code), else a
    new code in the request's language, returned in word form, once.
    """
    from respite.core.privacy import new_access_code
    from respite.peers import notify

    check_request(organization, source, **fields)
    now = now or timezone.now()
    program = PeerProgram.for_org(organization)
    with transaction.atomic():
        req = SupportRequest(organization=organization, source=source, created_at=now, **fields)
        words = None
        if code_for:
            if code is None:
                words, code = new_access_code(organization, fields.get("language", "en"))
            setattr(req, f"{code_for}_code", code)
        req.save()
        if req.department_id:
            req.excluded.set(Supporter.objects.filter(departments=req.department_id))
        offered = req.suggestions(now)[: program.offer_to]
        req.offers.set(offered)
        notify.offered(req, offered)  # queued in this transaction: no request without its notice
    return req, words


def request_for_code(code, organization=None) -> tuple | None:
    """``(code, request)`` for the request this access code belongs to (as requester, referrer or
    rater), or None: the resolver every code look-up of peer support hands to ``privacy.lookup_code``."""
    requests = SupportRequest.objects.filter(
        Q(requester_code=code) | Q(referrer_code=code) | Q(rating_code=code)
    )
    if organization is not None:
        requests = requests.filter(organization=organization)
    req = requests.first()
    return (code, req) if req is not None else None
