from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from respite.core.models import AccessCode, Organization
from respite.screening import instruments

# An unsaved screening is kept only long enough for the worker to choose to save it.
UNSAVED_TTL = timedelta(hours=24)


class ScreeningQuerySet(models.QuerySet):
    def unsaved_expired(self) -> ScreeningQuerySet:
        return self.filter(access_code__isnull=True, created_at__lt=timezone.now() - UNSAVED_TTL)


def purge_unsaved() -> int:
    """Delete unsaved screenings past their time to live (a periodic job)."""
    return Screening.objects.unsaved_expired().delete()[0]


class Screening(models.Model):
    """One sitting of one or more instruments by an anonymous worker.

    Holds no name, contact, IP address or user agent. ``taken_on`` is the day only; ``created_at``
    exists to expire unsaved screenings and is cleared (set to midnight) once the worker saves.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    access_code = models.ForeignKey(
        AccessCode, null=True, blank=True, on_delete=models.CASCADE, related_name="screenings",
        help_text=_("Set only when the worker chose to save under a code."),
    )
    role_group = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=5, default="en")
    taken_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)
    crisis = models.BooleanField(default=False)
    tier = models.CharField(max_length=20)

    objects = ScreeningQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_on", "-created_at"]
        indexes = [models.Index(fields=["access_code", "taken_on"])]

    def __str__(self) -> str:
        return f"screening {str(self.id)[:8]} ({self.taken_on})"

    def scored(self) -> list[instruments.Result]:
        """Re-score from the stored answers, so results always follow the current instrument files."""
        return [r.rescore() for r in self.results.all()]

    @classmethod
    @transaction.atomic
    def do_create(cls, results: list[instruments.Result], *, organization: Organization | None,
                  role_group: str = "", language: str = "en") -> Screening:
        crisis = any(r.crisis for r in results)
        tier = "crisis" if crisis else max((r.tier for r in results), key=instruments.TIER_RANK.__getitem__)
        screening = cls.objects.create(organization=organization, role_group=role_group, language=language[:5],
                                       crisis=crisis, tier=tier)
        ScreeningResult.objects.bulk_create(
            ScreeningResult(screening=screening, position=n, instrument=r.instrument.id, answers=r.answers,
                            score=r.headline.score, band=r.headline.band.id, tier=r.tier, crisis=r.crisis)
            for n, r in enumerate(results)
        )
        return screening

    def save_under(self, code: AccessCode) -> None:
        self.access_code = code
        # Keep the day only: midnight of the day taken, so no exact time sits beside the answers.
        self.created_at = self.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
        self.save(update_fields=["access_code", "created_at"])


class ScreeningResult(models.Model):
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveSmallIntegerField(default=0)
    instrument = models.CharField(max_length=40)
    answers = models.JSONField(help_text=_("Sensitive: a worker's answers. Never shown to staff."))
    score = models.IntegerField(null=True)
    band = models.CharField(max_length=40)
    tier = models.CharField(max_length=20)
    crisis = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.instrument} result"

    def rescore(self) -> instruments.Result:
        return instruments.get(self.instrument).score(self.answers)
