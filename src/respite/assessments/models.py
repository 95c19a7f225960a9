"""Organizational self-assessments, their answers, action plans and commitments.

Everything here is about the organization, never about a worker: answers rate policies and programs,
and the only people named are the staff who contributed (who answered what, and when).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from respite.assessments import frameworks
from respite.core.models import AuditLog, Organization


class AssessmentQuerySet(models.QuerySet):
    def completed(self) -> AssessmentQuerySet:
        return self.filter(completed_at__isnull=False)

    def for_framework(self, framework_id: str) -> AssessmentQuerySet:
        return self.filter(framework=framework_id)


class Assessment(models.Model):
    """One run of a framework by an organization. Several admins may answer; it stays open until one
    of them marks it complete, and completed runs of the same framework show progress over time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    framework = models.CharField(max_length=40)
    title = models.CharField(_("title"), max_length=120)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "framework", "completed_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def spec(self) -> frameworks.Framework:
        spec = frameworks.get(self.framework)
        if spec is None:  # a framework file was removed after the assessment ran
            raise LookupError(f"unknown framework {self.framework!r}")
        return spec

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    @property
    def on_date(self) -> date:
        return (self.completed_at or self.created_at).date()

    def answer_map(self) -> dict[str, Answer]:
        return {a.criterion: a for a in self.answers.all()}

    def scorecard(self, lang: str | None = None) -> Scorecard:
        return Scorecard.build(self.spec, self.answer_map(), lang)

    def previous(self) -> Assessment | None:
        """The last completed assessment of the same framework before this one, to compare against."""
        return (
            Assessment.objects.completed()
            .for_framework(self.framework)
            .filter(
                organization_id=self.organization_id,
                completed_at__lt=self.completed_at or timezone.now(),
            )
            .exclude(pk=self.pk)
            .order_by("-completed_at")
            .first()
        )

    @transaction.atomic
    def do_record_answers(
        self, user: Any, values: dict[str, tuple[int, str]], *, consensus: bool = False
    ) -> list[str]:
        """Save changed answers ({criterion: (value, note)}), each stamped with who and when, and
        put the change in the audit log (criterion ids only; ``consensus`` when the raters' meeting
        agreed them). Returns the ids of criteria that changed.
        """
        existing = self.answer_map()
        now = timezone.now()
        changed = []
        for criterion_id, (value, note) in values.items():
            if self.spec.criterion(criterion_id) is None or self.spec.level(value) is None:
                raise ValueError(f"invalid answer for {criterion_id!r}")
            answer = existing.get(criterion_id)
            if answer is None:
                Answer.objects.create(
                    assessment=self,
                    criterion=criterion_id,
                    value=value,
                    note=note,
                    answered_by=user,
                    answered_by_label=user.get_username(),
                    answered_at=now,
                )
            elif (answer.value, answer.note) != (value, note):
                answer.value, answer.note, answer.answered_by = value, note, user
                answer.answered_by_label, answer.answered_at = user.get_username(), now
                answer.save(
                    update_fields=[
                        "value",
                        "note",
                        "answered_by",
                        "answered_by_label",
                        "answered_at",
                    ]
                )
            else:
                continue
            changed.append(criterion_id)
        if changed:
            AuditLog.record(
                user,
                "assessment.answered",
                self,
                organization=self.organization,
                criteria=changed,
                **({"consensus": True} if consensus else {}),
            )
        return changed


class Answer(models.Model):
    """The organization's rating of one criterion, with who gave it and when."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    criterion = models.CharField(max_length=40)
    value = models.PositiveSmallIntegerField()
    note = models.TextField(
        _("evidence note"),
        blank=True,
        max_length=2000,
        help_text=_(
            "What the rating rests on: policies, documents, numbers. Never name or describe a worker."
        ),
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by_label = models.CharField(
        max_length=150, help_text=_("Username at the time, kept if the account goes.")
    )
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="one_answer_per_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion}={self.value}"


class Rater(models.Model):
    """A staff member invited to rate an assessment on their own, before the team meets.

    Raters see and change only their own ratings; the spread and the consensus view are for the
    organization's admins, so no rater is anchored by another's answers."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="raters")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_on = models.DateField(default=timezone.localdate)
    submitted_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["invited_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "user"], name="one_invitation_per_rater")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.assessment}"


class Rating(models.Model):
    """One rater's own rating of one criterion, with the evidence they rest it on."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(Rater, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.CharField(max_length=40)
    value = models.PositiveSmallIntegerField()
    note = models.TextField(_("evidence note"), blank=True, max_length=2000)
    rated_on = models.DateField(default=timezone.localdate)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rater", "criterion"], name="one_rating_per_rater_and_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion}={self.value}"


@dataclass(frozen=True)
class Spread:
    """The raters' ratings of one criterion: how many, the median, the range, and each level's count."""

    values: tuple[int, ...]
    max_value: int

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        mid = len(ordered) // 2
        return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

    @property
    def low(self) -> int | None:
        return min(self.values) if self.values else None

    @property
    def high(self) -> int | None:
        return max(self.values) if self.values else None

    @property
    def range(self) -> int | None:
        return max(self.values) - min(self.values) if self.values else None

    @property
    def disagree(self) -> bool:
        """Raters two or more levels apart: talk about this one first."""
        return (self.range or 0) >= 2

    @property
    def suggested(self) -> int | None:
        """The median as a level; a half-way median goes to the lower level (claim less, not more)."""
        return None if self.median is None else int(self.median)

    def counts(self) -> list[int]:
        return [self.values.count(v) for v in range(self.max_value + 1)]


def spreads(assessment: Assessment) -> dict[str, Spread]:
    """{criterion: Spread} over every rating given to this assessment (one query)."""
    values: dict[str, list[int]] = {}
    for criterion, value in assessment.ratings.values_list("criterion", "value"):
        values.setdefault(criterion, []).append(value)
    top = assessment.spec.max_value
    return {c.id: Spread(tuple(values.get(c.id, ())), top) for c in assessment.spec.criteria}


@transaction.atomic
def do_record_ratings(rater: Rater, values: dict[str, tuple[int, str]], submit: bool) -> list[str]:
    """Save a rater's own ratings ({criterion: (value, note)}); ``submit`` marks them done.

    Returns the ids of criteria that changed, for the audit log."""
    spec = rater.assessment.spec
    existing = {r.criterion: r for r in rater.ratings.all()}
    changed = []
    today = timezone.localdate()
    for criterion_id, (value, note) in values.items():
        if spec.criterion(criterion_id) is None or spec.level(value) is None:
            raise ValueError(f"invalid rating for {criterion_id!r}")
        rating = existing.get(criterion_id)
        if rating is None:
            Rating.objects.create(
                assessment=rater.assessment,
                rater=rater,
                criterion=criterion_id,
                value=value,
                note=note,
                rated_on=today,
            )
        elif (rating.value, rating.note) != (value, note):
            rating.value, rating.note, rating.rated_on = value, note, today
            rating.save(update_fields=["value", "note", "rated_on"])
        else:
            continue
        changed.append(criterion_id)
    if submit and rater.submitted_on is None:
        rater.submitted_on = today
        rater.save(update_fields=["submitted_on"])
    return changed


@dataclass
class AreaScore:
    area: frameworks.Area
    name: str
    answered: int
    total: int
    points: int
    max_points: int
    weak: list[tuple[frameworks.Criterion, int]] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        """Share of the best possible rating, over answered criteria only (None if none answered)."""
        return round(100 * self.points / self.max_points) if self.max_points else None

    @property
    def is_gap(self) -> bool:
        return self.percent is not None and self.percent < 100


@dataclass
class Scorecard:
    framework: frameworks.Framework
    areas: list[AreaScore]

    @classmethod
    def build(
        cls, spec: frameworks.Framework, answers: dict[str, Answer], lang: str | None = None
    ) -> Scorecard:
        rows = []
        for area in spec.areas:
            rated = [(c, answers[c.id].value) for c in area.criteria if c.id in answers]
            rows.append(
                AreaScore(
                    area=area,
                    name=frameworks.tr(area.name, lang),
                    answered=len(rated),
                    total=len(area.criteria),
                    points=sum(v for _c, v in rated),
                    max_points=len(rated) * spec.max_value,
                    weak=sorted(
                        [(c, v) for c, v in rated if v < spec.max_value], key=lambda cv: cv[1]
                    ),
                )
            )
        return cls(spec, rows)

    @property
    def overall(self) -> int | None:
        points = sum(a.points for a in self.areas)
        top = sum(a.max_points for a in self.areas)
        return round(100 * points / top) if top else None

    @property
    def answered(self) -> int:
        return sum(a.answered for a in self.areas)

    @property
    def total(self) -> int:
        return sum(a.total for a in self.areas)

    def gaps(self) -> list[AreaScore]:
        """Areas below full marks, weakest first (ties keep the framework's order)."""
        order = {a.area.id: i for i, a in enumerate(self.areas)}
        return sorted(
            (a for a in self.areas if a.is_gap), key=lambda a: (a.percent, order[a.area.id])
        )

    def percent_by_area(self) -> dict[str, int | None]:
        return {a.area.id: a.percent for a in self.areas}


class ActionItemQuerySet(models.QuerySet):
    def due(self, within_days: int = 7, today: date | None = None) -> ActionItemQuerySet:
        """Open items due within ``within_days`` (overdue ones included)."""
        today = today or timezone.localdate()
        return self.filter(
            status__in=ActionItem.OPEN,
            due_date__isnull=False,
            due_date__lte=today + timedelta(days=within_days),
        )


class ActionItem(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    OPEN = (Status.PLANNED, Status.IN_PROGRESS)

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    assessment = models.ForeignKey(
        Assessment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        help_text=_("The assessment this came from."),
    )
    framework = models.CharField(max_length=40)
    area = models.CharField(_("area"), max_length=40)
    goal = models.CharField(_("goal"), max_length=40, blank=True)
    title = models.CharField(_("action"), max_length=200)
    details = models.TextField(
        _("details"),
        blank=True,
        max_length=4000,
        help_text=_("About the organization's policies and programs. Never about a worker."),
    )
    owner = models.CharField(
        _("owner"),
        max_length=120,
        blank=True,
        help_text=_("Role or name of the staff member responsible, e.g. Chief Wellness Officer."),
    )
    owner_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner's staff account"),
        help_text=_("Receives reminders of due items by email."),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    measure_key = models.CharField(
        _("pulse measure to watch"),
        max_length=80,
        blank=True,
        help_text=_("A pulse-survey measure; the report shows it before and after this action."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_on = models.DateField(null=True, blank=True)
    last_reminded_on = models.DateField(null=True, blank=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["organization", "status", "due_date"])]

    def __str__(self) -> str:
        return self.title

    @property
    def spec(self) -> frameworks.Framework | None:
        return frameworks.get(self.framework)

    @property
    def owner_display(self) -> str:
        """The owner as written, or the owner's account name when only the account is set."""
        if self.owner:
            return self.owner
        return self.owner_account.get_username() if self.owner_account else ""

    def area_name(self, lang: str | None = None) -> str:
        area = self.spec.area(self.area) if self.spec else None
        return frameworks.tr(area.name, lang) if area else self.area

    def goal_text(self, lang: str | None = None) -> str:
        area = self.spec.area(self.area) if self.spec else None
        goal = area.goal(self.goal) if area else None
        return frameworks.tr(goal.text, lang) if goal else ""

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def is_overdue(self, today: date | None = None) -> bool:
        return (
            self.is_open
            and self.due_date is not None
            and self.due_date < (today or timezone.localdate())
        )

    def measure_date(self) -> date:
        """The day the change took effect: completion if done, otherwise when the item was created."""
        return self.completed_on or self.created_at.date()


class Commitment(models.Model):
    """A public pledge with a target date, e.g. the National Plan's Change Maker commitment."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MET = "met", _("Met")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    framework = models.CharField(max_length=40, blank=True)
    area = models.CharField(max_length=40, blank=True)
    suggested = models.CharField(
        max_length=40, blank=True, help_text=_("Id of the framework's suggested commitment.")
    )
    title = models.CharField(_("commitment"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    target_date = models.DateField(_("target date"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["target_date", "pk"]

    def __str__(self) -> str:
        return self.title

    def area_name(self, lang: str | None = None) -> str:
        spec = frameworks.get(self.framework)
        area = spec.area(self.area) if spec else None
        return frameworks.tr(area.name, lang) if area else ""


def public_commitments(organization: Organization, lang: str | None = None) -> list[dict[str, Any]]:
    """The organization's active and met commitments, for pages every worker may read (pulse's
    "you said, we did" page): title, target date, status label and framework area, nothing about
    who made them. Commitments are public pledges by design; action items stay on staff pages."""
    out: list[dict[str, Any]] = []
    for c in Commitment.objects.filter(
        organization=organization,
        status__in=[Commitment.Status.ACTIVE, Commitment.Status.MET],
    ):
        out.append(
            {
                "title": c.title,
                "target_date": c.target_date,
                "status": str(c.get_status_display()),
                "met": c.status == Commitment.Status.MET,
                "area": c.area_name(lang),
            }
        )
    return out
