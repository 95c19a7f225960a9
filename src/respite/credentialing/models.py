"""Saved audits of an organization's credentialing or licensing form, kept to show progress.

A form is an institutional document, not a worker's data: keeping its questions is fine. No worker
is named or counted here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from respite.core.models import Organization
from respite.credentialing import auditor


class Label(models.TextChoices):
    INTRUSIVE = "intrusive", _("Intrusive")
    ACCEPTABLE = "acceptable", _("Acceptable")
    OTHER = "other", _("Not a health question")


# The Wellbeing First Champion checklist. The first item is measured from the audit itself; the
# others are ticked by the organization.
CHECKLIST = [
    ("intrusive_removed", _("Intrusive mental-health questions removed")),
    ("supportive_language", _("Supportive language added (seeking care is encouraged)")),
    ("safe_haven", _("Safe haven for those in treatment or in good standing with a PHP")),
    ("communicated", _("Changes communicated to staff")),
]
TICKED = ("supportive_language", "safe_haven", "communicated")


class AuditQuerySet(models.QuerySet):
    def for_organization(self, org: Organization) -> AuditQuerySet:
        return self.filter(organization=org)

    def with_counts(self) -> AuditQuerySet:
        return self.annotate(
            n_intrusive=Count("questions", filter=Q(questions__label=Label.INTRUSIVE)),
            n_acceptable=Count("questions", filter=Q(questions__label=Label.ACCEPTABLE)),
            n_other=Count("questions", filter=Q(questions__label=Label.OTHER)),
        )


class Audit(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    source_kind = models.CharField(max_length=10)
    profession = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the form's own text suggests toward the checklist (a hint shown beside the ticks).
    hint_supportive_language = models.BooleanField(default=False)
    hint_safe_haven = models.BooleanField(default=False)
    supportive_language = models.BooleanField(_("supportive language added"), default=False)
    safe_haven = models.BooleanField(_("safe haven in place"), default=False)
    communicated = models.BooleanField(_("communicated to staff"), default=False)
    # The form itself, for the redlined copy: the .docx as uploaded, or the lines read from any
    # other source. An institutional document (no worker data); capped at readers.MAX_BYTES.
    source_docx = models.BinaryField(null=True, blank=True, editable=False)
    source_lines = models.JSONField(default=list, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "credentialing:audit_detail", kwargs={"org": self.organization.slug, "pk": self.pk}
        )

    @property
    def intrusive_removed(self) -> bool:
        if hasattr(self, "n_intrusive"):  # annotated by with_counts()
            return self.n_intrusive == 0
        return not self.questions.filter(label=Label.INTRUSIVE).exists()

    def checklist(self) -> list[dict]:
        """The Champion checklist of this audit: each item, whether it is done, and whether the
        organization ticks it or the audit measures it."""
        done = {
            "intrusive_removed": self.intrusive_removed,
            **{name: getattr(self, name) for name in TICKED},
        }
        hints = {
            "supportive_language": self.hint_supportive_language,
            "safe_haven": self.hint_safe_haven,
        }
        return [
            {
                "id": key,
                "label": label,
                "done": done[key],
                "ticked": key in TICKED,
                "hint": hints.get(key, False),
            }
            for key, label in CHECKLIST
        ]

    def checklist_done(self) -> int:
        return sum(item["done"] for item in self.checklist())

    @classmethod
    def do_create(
        cls,
        *,
        organization: Organization,
        title: str,
        form,
        user,
        profession: str | None = None,
        findings: list[auditor.Finding] | None = None,
    ) -> Audit:
        """Save the audit of a read form with its questions (``findings`` if already audited)."""
        if findings is None:
            findings = auditor.audit(form.lines, profession)
        hints = auditor.champion_hints(form.lines, findings)
        form_profession = profession or auditor.detect_profession(form.text)
        with transaction.atomic():
            audit = cls.objects.create(
                organization=organization,
                title=title,
                source_kind=form.kind,
                profession=form_profession,
                created_by=user,
                hint_supportive_language=hints.supportive_language,
                hint_safe_haven=hints.safe_haven,
                source_docx=form.data or None,
                source_lines=[]
                if form.data
                else [{"text": line.text, "location": line.location} for line in form.lines],
            )
            AuditQuestion.objects.bulk_create(
                [
                    AuditQuestion(
                        audit=audit,
                        position=i,
                        text=f.text[:4000],
                        location=f.location,
                        label=f.label,
                        reasons=list(f.reasons),
                        profession=f.profession,
                        notes=list(f.notes),
                    )
                    for i, f in enumerate(findings, start=1)
                ]
            )
        return audit


class AuditQuestion(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    text = models.TextField(max_length=4000)
    location = models.JSONField(default=dict)
    label = models.CharField(max_length=12, choices=Label.choices)
    reasons = models.JSONField(default=list)
    profession = models.CharField(max_length=40)
    notes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["audit", "position"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "position"], name="unique_question_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text[:60]}"

    def reason_texts(self, lang: str = "en") -> list[str]:
        return [
            auditor.reason_text(r, lang) for r in self.reasons if r in auditor.vocabulary().reasons
        ]

    def suggestion(self, lang: str = "en") -> str | None:
        return auditor.suggestion(self.profession, lang) if self.label == Label.INTRUSIVE else None
