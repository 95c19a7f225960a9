from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from respite.core.crypto import EncryptedTextField
from respite.core.fields import CoarseDateTimeField, coarsen
from respite.core.models import AccessCode, Organization
from respite.core.rows import Statement, prepare_insert_values, rows
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
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    access_code = models.ForeignKey(
        AccessCode,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="screenings",
        help_text=_("Set only when the worker chose to save under a code."),
    )
    role_group = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=5, default="en")
    taken_on = models.DateField(default=timezone.localdate)
    # To the hour: only to purge unsaved sittings after a day (set to midnight once saved).
    created_at = CoarseDateTimeField(default=timezone.now)
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
        if "results" in getattr(self, "_prefetched_objects_cache", {}):
            stored = list(self.results.all())
        else:  # one plain SELECT: the result page's hot path (core.rows)
            stored = rows(ScreeningResult, screening_id=self.pk, order_by=("position",))
        return [r.rescore() for r in stored]

    @classmethod
    def prepare(
        cls,
        results: list[instruments.Result],
        *,
        organization: Organization | None,
        role_group: str = "",
        language: str = "en",
        access_code: AccessCode | None = None,
    ) -> PreparedScreening:
        """A new screening and its results, built and their two INSERTs prepared, nothing written:
        ``write()`` it inside the caller's transaction. All the work of building rows happens here,
        before the transaction takes SQLite's write lock, which every other check-in waits for
        (issue 19). With ``access_code`` it is saved under that code from the start (``save_under``)."""
        crisis = any(r.crisis for r in results)
        tier = (
            "crisis"
            if crisis
            else max((r.tier for r in results), key=instruments.TIER_RANK.__getitem__)
        )
        created_at = timezone.now()
        if access_code is not None:
            created_at = _midnight(created_at)
        # Plain INSERTs from values (core.rows): the ORM's create() and bulk_create() cost several
        # times the statements themselves on the check-in's answers, and building the model
        # instance alone about as much as its INSERT. Nothing listens for these models' signals.
        fields: dict[str, Any] = {
            "id": uuid.uuid4(),
            "role_group": role_group,
            "language": language[:5],
            "taken_on": timezone.localdate(),
            "created_at": coarsen(created_at, "hour"),  # the field's precision, as save() cuts it
            "crisis": crisis,
            "tier": tier,
        }
        relations = {"organization": organization, "access_code": access_code}
        statements = [
            prepare_insert_values(
                cls, [{**fields, **{name: r.pk if r else None for name, r in relations.items()}}]
            ),
            prepare_insert_values(
                ScreeningResult,
                [
                    {
                        "screening": fields["id"],
                        "position": n,
                        "instrument": r.instrument.id,
                        "answers": r.answers,
                        "score": r.headline.score,
                        "band": r.headline.band.id,
                        "tier": r.tier,
                        "crisis": r.crisis,
                    }
                    for n, r in enumerate(results)
                ],
            ),
        ]
        return PreparedScreening({**fields, **relations}, [s for s in statements if s is not None])

    @classmethod
    # No savepoint of its own: the API calls it inside a transaction it shares (a failure rolls
    # the whole request back; nothing catches it half-way).
    @transaction.atomic(savepoint=False)
    def do_create(
        cls,
        results: list[instruments.Result],
        *,
        organization: Organization | None,
        role_group: str = "",
        language: str = "en",
    ) -> Screening:
        prepared = cls.prepare(
            results, organization=organization, role_group=role_group, language=language
        )
        prepared.write()
        return prepared.screening

    def save_under(self, code: AccessCode) -> None:
        self.access_code = code
        self.created_at = _midnight(self.created_at)
        self.save(update_fields=["access_code", "created_at"])


def _midnight(moment: datetime) -> datetime:
    """Keep the day only: midnight of the day taken, so no exact time sits beside the answers."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class PreparedScreening:
    """A screening prepared by ``Screening.prepare``: its rows' statements, not yet written."""

    def __init__(self, values: dict[str, Any], statements: list[Statement]) -> None:
        self.values, self.statements = values, statements
        self.pk: uuid.UUID = values["id"]
        self._screening: Screening | None = None
        self._written_to: str | None = None

    @property
    def screening(self) -> Screening:
        """The screening as a model instance, built when first asked for (the check-in only needs
        its id). It counts as saved once ``write()`` has run; statements sent another way
        (``core.sessions.write_with_session``) leave it unsaved: do not ``save()`` it then."""
        if self._screening is None:
            self._screening = Screening(**self.values)
        if self._written_to is not None:  # whether built before write() or after
            self._screening._state.adding = False
            self._screening._state.db = self._written_to
        return self._screening

    def write(self) -> Screening:
        """Write the screening and its results (inside the caller's transaction)."""
        for statement in self.statements:
            statement.run()
        self._written_to = self.statements[0].alias
        return self.screening


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


class SafetyPlan(models.Model):
    """A worker's safety plan, in the Stanley-Brown structure, kept under their access code.

    Every section is the worker's own words, encrypted at rest; only the holder of the code reads it.
    ``updated_on`` is the day only.
    """

    SECTIONS = (
        "warning_signs",
        "coping",
        "distractions",
        "helpers",
        "professionals",
        "environment",
        "reasons",
    )

    access_code = models.OneToOneField(
        AccessCode, on_delete=models.CASCADE, related_name="safety_plan"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    warning_signs = EncryptedTextField(_("My warning signs"), blank=True)
    coping = EncryptedTextField(
        _("Things I can do on my own to take my mind off my problems"), blank=True
    )
    distractions = EncryptedTextField(_("People and places that help me feel better"), blank=True)
    helpers = EncryptedTextField(_("People I can ask for help"), blank=True)
    professionals = EncryptedTextField(_("Professionals and services I can contact"), blank=True)
    environment = EncryptedTextField(_("Making my surroundings safer"), blank=True)
    reasons = EncryptedTextField(_("What matters most to me and is worth living for"), blank=True)
    updated_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"safety plan {self.pk}"
