"""Pulse surveys: units, surveys, rounds, anonymous links and single-use tokens, responses and the
rollups dashboards read.

What is *not* here is the point: a response has no timestamp beyond its round, no token, no IP, no
user agent and an unguessable id (no insertion order to line up with a token marked used). Comments
live in their own table with their own random ids, so a comment cannot be joined to the answers.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import date, datetime, time

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from respite.core import privacy
from respite.core.crypto import EncryptedTextField
from respite.core.models import Organization
from respite.pulse import items as library

# Sealed codes are typed by hand: 16 characters without look-alikes (no 0/O, 1/I/L), about 79 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
DP_EPSILON_MIN = 0.1
DP_EPSILON_MAX = 10.0
LOCKED_FIELDS = ("min_group_size", "min_group_size_text", "dp_epsilon", "mode")


def _link_key() -> str:
    return secrets.token_urlsafe(16)


class Unit(models.Model):
    """A department, site or team. Units nest (a hospital > its departments)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="pulse_units"
    )
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("part of"),
    )
    # People in this unit itself (not its sub-units), for participation rates. Optional.
    headcount = models.PositiveIntegerField(
        _("number of people"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(1_000_000)],
        help_text=_(
            "People in this unit itself, not counting its sub-units. Used for participation."
        ),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="pulse_unique_unit_name")
        ]

    def __str__(self) -> str:
        return self.name


class SurveyQuerySet(models.QuerySet):
    def for_org(self, organization: Organization) -> SurveyQuerySet:
        return self.filter(organization=organization)


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Mode(models.TextChoices):
        # A shared link can be answered by anyone holding it, the admin included, as often as they
        # like: its figures are released for the whole organization only.
        LINK = "link", _("Shared anonymous link (results for the whole organization only)")
        # Respite mails each invitation itself and forgets the address: results by unit and job group.
        INVITATION = "invitation", _("Invitations sent by Respite (results by unit and job group)")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="pulse_surveys"
    )
    title = models.CharField(_("title"), max_length=160)
    instruments = models.JSONField(
        default=list, blank=True, help_text=_("Instrument ids asked in full.")
    )
    work_items = models.JSONField(
        default=list, blank=True, help_text=_("Ids of work-environment items.")
    )
    min_group_size = models.PositiveSmallIntegerField(
        _("minimum group size for scores"),
        default=5,
        validators=[MinValueValidator(5), MaxValueValidator(100)],
        help_text=_(
            "No figure is shown for fewer respondents. Shown to respondents; locked once the survey opens."
        ),
    )
    min_group_size_text = models.PositiveSmallIntegerField(
        _("minimum group size for comments"),
        default=10,
        validators=[MinValueValidator(10), MaxValueValidator(200)],
        help_text=_(
            "Comments are shown only for groups at least this large. Locked once the survey opens."
        ),
    )
    allow_comments = models.BooleanField(_("ask for an optional comment"), default=False)
    dp_epsilon = models.FloatField(
        _("differential privacy: epsilon per figure"),
        null=True,
        blank=True,
        validators=[MinValueValidator(DP_EPSILON_MIN), MaxValueValidator(DP_EPSILON_MAX)],
        help_text=_(
            "Optional. Adds random noise to every released count and mean (smaller epsilon: more noise, "
            "more privacy; 1 is a common choice). Leave empty for exact figures. Shown to respondents; "
            "locked once the survey opens."
        ),
    )
    mode = models.CharField(
        _("how people are invited"), max_length=12, choices=Mode.choices, default=Mode.LINK
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Refuse to change thresholds or the privacy setting of a survey that is no longer a draft:
        respondents were told these values when they answered."""
        if self.pk is not None:
            before = Survey.objects.filter(pk=self.pk).values("status", *LOCKED_FIELDS).first()
            if (
                before
                and before["status"] != self.Status.DRAFT
                and any(before[f] != getattr(self, f) for f in LOCKED_FIELDS)
            ):
                raise SurveyLocked
        super().save(*args, **kwargs)

    @property
    def is_locked(self) -> bool:
        """Thresholds and questions may not change once anyone could have answered."""
        return self.status != self.Status.DRAFT

    @property
    def by_invitation(self) -> bool:
        return self.mode == self.Mode.INVITATION

    @property
    def dp_enabled(self) -> bool:
        return self.dp_epsilon is not None

    def k(self) -> int:
        return max(privacy.min_group_size(self.organization), self.min_group_size)

    def k_text(self) -> int:
        return max(
            privacy.min_group_size(self.organization, free_text=True), self.min_group_size_text
        )

    def custom_items(self) -> list[library.PulseItem]:
        return [library.custom_item(c.pk, c.text_en, c.text_es) for c in self.customitem_set.all()]

    def parts(self) -> list[tuple[str, list[library.PulseItem]]]:
        """(heading, items) in the order respondents see them."""
        out = []
        insts = library.survey_instruments()
        for inst_id in self.instruments:
            if inst_id in insts:
                out.append(
                    (insts[inst_id].short_name, list(library.instrument_items(insts[inst_id])))
                )
        work = library.item_sets().get("work")
        if work and self.work_items:
            chosen = [i for i in work.items if i.item_id in self.work_items]
            if chosen:
                out.append((work.short_name, chosen))
        custom = self.custom_items()
        if custom:
            out.append((str(_("Our own questions")), custom))
        return out

    def measures(self) -> list[library.Measure]:
        insts = library.survey_instruments()
        out = [library.Measure(library.RESPONDENTS, str(_("Respondents")), "count")]
        for inst_id in self.instruments:
            if inst_id in insts:
                out.extend(library.instrument_measures(insts[inst_id]))
        for heading, part in self.parts():
            out.extend(library.item_measure(i, heading) for i in part)
        return out

    def current_round(self, today: date | None = None) -> Round | None:
        if self.status != self.Status.OPEN:
            return None
        today = today or timezone.localdate()
        return self.rounds.filter(starts_on__lte=today, ends_on__gte=today).first()


class CustomItem(models.Model):
    """A Likert statement an organization adds to its own survey (strongly disagree .. strongly agree)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)
    text_en = models.CharField(_("statement (English)"), max_length=300)
    text_es = models.CharField(_("statement (Spanish)"), max_length=300, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text_en


class Round(models.Model):
    """One wave of a recurring survey. The only time a response carries is its round."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["survey", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="pulse_unique_round")
        ]

    def __str__(self) -> str:
        return f"{_('Round')} {self.number} ({self.starts_on:%Y-%m-%d})"

    @property
    def label(self) -> str:
        return f"R{self.number} {self.starts_on:%Y-%m}"


class SurveyLink(models.Model):
    """The anonymous link of one unit: anyone holding it answers for that unit."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40, unique=True, default=_link_key)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "unit"], name="pulse_unique_link")]

    def __str__(self) -> str:
        return f"link {self.key[:6]}… ({self.unit})"


class SurveyToken(models.Model):
    """A single-use invitation. Only a keyed hash is stored; answering marks it used and nothing
    else: no link to the response, no time."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="tokens")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"token {self.digest[:6]}…"

    @staticmethod
    def hash(raw: str) -> str:
        return privacy.keyed_hash(raw.strip(), "pulse-token")

    @classmethod
    def digests(cls, raw: str) -> list[str]:
        """The stored digests ``raw`` may match: as given (a mailed invitation), and as a sealed code
        (typed with any case, spaces or dashes)."""
        out = [cls.hash(raw)]
        code = canonical_code(raw)
        if code is not None:
            out.append(cls.hash(code))
        return out

    @classmethod
    def issue(cls, survey: Survey, unit: Unit, count: int) -> list[str]:
        """Create ``count`` tokens and return them in clear, for ``do_invite`` to mail; never shown."""
        raws = [secrets.token_urlsafe(12) for _ in range(count)]
        SurveyToken.objects.bulk_create(
            [SurveyToken(survey=survey, unit=unit, digest=cls.hash(r)) for r in raws]
        )
        return raws

    @classmethod
    def issue_codes(cls, survey: Survey, unit: Unit, count: int) -> list[str]:
        """Create ``count`` sealed codes and return them in clear, grouped for printing, for
        ``do_seal_codes`` to print once; only their hashes are stored."""
        codes = [
            "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(count)
        ]
        SurveyToken.objects.bulk_create(
            [SurveyToken(survey=survey, unit=unit, digest=cls.hash(c)) for c in codes]
        )
        return ["-".join(c[i : i + 4] for i in range(0, CODE_LENGTH, 4)) for c in codes]


def canonical_code(raw: str) -> str | None:
    """A sealed code as stored (upper case, no separators), or None if ``raw`` is not shaped like one."""
    code = re.sub(r"[\s-]", "", raw).upper()
    if len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code):
        return code
    return None


def do_seal_codes(survey: Survey, unit: Unit, count: int, site_url: str) -> bytes:
    """Issue ``count`` sealed codes for ``unit`` and return the printable sheet (a tagged PDF).

    The codes exist in clear only in the returned bytes: the caller streams them once and keeps
    nothing, so no page, export or API can show or re-issue them. If the sheet cannot be made, no
    code is issued (one transaction)."""
    from django.urls import reverse

    from respite.core.pdf import render_pdf
    from respite.core.resources import crisis_options

    with transaction.atomic():
        codes = SurveyToken.issue_codes(survey, unit, count)
        org = survey.organization.slug
        entry = site_url + reverse("pulse:index", kwargs={"org": org})
        slips = [
            {
                "code": code,
                # After "#", as in mailed invitations: the code reaches no URL or log.
                "qr": qr_data_uri(f"{entry}#{code}"),
            }
            for code in codes
        ]
        return render_pdf(
            "pulse/sealed_codes_pdf.html",
            {
                "survey": survey,
                "unit": unit,
                "organization": survey.organization,
                "slips": slips,
                "entry": entry,
                "k": survey.k(),
                "crisis": crisis_options("en")[:2],
            },
            lang="en",
        )


def qr_data_uri(text: str, scale: int = 4) -> str:
    """A QR code as an SVG data URI (segno, no network, no image library)."""
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=scale, border=2)


def do_invite(
    survey: Survey, unit: Unit, addresses: list[str], reminder_on: date | None = None
) -> int:
    """Mail each address its own single-use invitation through the task queue, and optionally one
    reminder with the same invitation on ``reminder_on``.

    The invitation exists in clear only inside the queued messages (encrypted at rest, erased with
    the address once sent): no page, export or API ever shows it to staff, and nothing links an
    address to a token. Addresses are shuffled so even the queue's order says nothing. A reminder
    goes to everyone invited (nothing records who answered), so it keeps the address, encrypted in
    the outbox, until the reminder is sent."""
    from django.conf import settings
    from django.urls import reverse

    from respite.core.tasks import queue_email

    addresses = list(addresses)
    secrets.SystemRandom().shuffle(addresses)
    with transaction.atomic():
        raws = SurveyToken.issue(survey, unit, len(addresses))
        for address, raw in zip(addresses, raws, strict=True):
            # The code travels after "#": browsers never send a fragment, so it reaches no URL or log.
            url = (
                settings.RESPITE_SITE_URL
                + reverse("pulse:index", kwargs={"org": survey.organization.slug})
                + f"#{raw}"
            )
            queue_email(
                address,
                f"{survey.organization.name}: {survey.title}",
                _invitation_body(survey, url, raw),
                kind="pulse-invitation",
            )
            if reminder_on is not None:
                queue_email(
                    address,
                    f"{survey.organization.name}: {survey.title}",
                    _invitation_body(survey, url, raw, reminder=True),
                    kind="pulse-reminder",
                    run_after=timezone.make_aware(
                        datetime.combine(reminder_on, time(9)), timezone.get_default_timezone()
                    ),
                )
    return len(addresses)


def _invitation_body(survey: Survey, url: str, raw: str, reminder: bool = False) -> str:
    from django.utils import translation

    parts = []
    for lang in ("en", "es"):
        with translation.override(lang):
            if reminder:
                parts.append(
                    str(
                        _(
                            "A reminder: the anonymous survey from %(org)s, %(title)s, is still open. "
                            "If you already answered, thank you: there is nothing more to do (Respite "
                            "cannot tell who answered, so everyone invited gets this reminder)."
                        )
                    )
                    % {"org": survey.organization.name, "title": survey.title}
                )
            parts.append(
                str(
                    _(
                        "You are invited to a short, anonymous survey from %(org)s: %(title)s.\n\n"
                        "This link is yours and works once:\n%(url)s\n\n"
                        "If the page asks for an invitation code, enter: %(code)s\n\n"
                        "Your answers are never linked to you or to this message. Results are released only for "
                        "groups of at least %(k)s people, after the round closes. Respite erases your address once "
                        "this message is sent."
                    )
                    % {
                        "org": survey.organization.name,
                        "title": survey.title,
                        "url": url,
                        "code": raw,
                        "k": survey.k(),
                    }
                )
            )
    return "\n\n---\n\n".join(parts)


class Response(models.Model):
    """One respondent's answers in one round. Raw rows are never shown or exported anywhere."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    role_group = models.CharField(max_length=40, blank=True)
    answers = models.JSONField()

    def __str__(self) -> str:
        return f"response {str(self.id)[:8]}"


class Comment(models.Model):
    """An optional free-text comment, encrypted at rest, stored apart from the answers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    text = EncryptedTextField(
        help_text=_("Encrypted. Shown only to groups above the comment threshold, shuffled.")
    )
    # Set by the round's final release; a comment is never shown before it.
    release = models.ForeignKey(
        "Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"comment {str(self.id)[:8]}"


class Rollup(models.Model):
    """Running totals per unit × role group × round × measure, kept on submit in the same
    transaction. Dashboards read only these."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    role_group = models.CharField(max_length=40, blank=True)
    measure = models.CharField(max_length=80)
    n = models.PositiveIntegerField(default=0)
    total = models.FloatField(default=0)
    total_sq = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "measure", "unit", "role_group"], name="pulse_unique_rollup"
            )
        ]
        indexes = [models.Index(fields=["measure", "round"], name="pulse_rollup_measure")]

    def __str__(self) -> str:
        return f"rollup {self.measure} r{self.round_id} u{self.unit_id} {self.role_group}"


def response_values(survey: Survey, answers: dict[str, int]) -> dict[str, float]:
    """Measure values of one response (answers keyed by field name); raises AnswerError if wrong."""
    values: dict[str, float] = {library.RESPONDENTS: 1.0}
    insts = library.survey_instruments()
    for inst_id in survey.instruments:
        if inst_id in insts:
            inst = insts[inst_id]
            own = {it.id: answers.get(f"{inst_id}__{it.id}") for it in inst.items}
            values.update(library.instrument_values(inst, own))
    for heading, part in survey.parts():  # noqa: B007
        for item in part:
            if item.source in insts:
                continue
            value = answers.get(item.field_name)
            if value not in item.values:
                raise library.screening.AnswerError(item.item_id, "an answer is required")
            values[item.key] = float(value)
    return values


_UPSERT = (
    "INSERT INTO pulse_rollup (round_id, unit_id, role_group, measure, n, total, total_sq) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (round_id, measure, unit_id, role_group) DO UPDATE SET "
    "n = pulse_rollup.n + excluded.n, total = pulse_rollup.total + excluded.total, "
    "total_sq = pulse_rollup.total_sq + excluded.total_sq"
)


def add_to_rollups(rows: list[tuple[int, int, str, str, int, float, float]]) -> None:
    """Upsert (round, unit, role, measure, n, sum, sum of squares) rows; SQLite and PostgreSQL."""
    with connection.cursor() as cur:
        cur.executemany(_UPSERT, rows)


def do_submit(
    survey: Survey,
    round_: Round,
    unit: Unit,
    role_group: str,
    answers: dict[str, int],
    comment: str = "",
    token: SurveyToken | None = None,
) -> None:
    """Store one response, its rollups, the optional comment and mark the token used, atomically.

    Nothing returned: the caller has no id to show or log.
    """
    values = response_values(survey, answers)
    with transaction.atomic():
        # The conditional update is the single-use check: two tabs racing cannot both win.
        if token is not None and not SurveyToken.objects.filter(pk=token.pk, used=False).update(
            used=True
        ):
            raise TokenUsed
        Response.objects.create(round=round_, unit=unit, role_group=role_group, answers=answers)
        add_to_rollups(
            [(round_.pk, unit.pk, role_group, key, 1, v, v * v) for key, v in values.items()]
        )
        if comment.strip() and survey.allow_comments:
            Comment.objects.create(round=round_, text=comment.strip()[:2000])


class Release(models.Model):
    """What the dashboards, API and exports show for one round until the next release: respondent
    counts and (n, sum, sum of squares) per unit × role × measure as they were at release time, and
    the cells the disclosure plan released. Only the day is kept."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="releases")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="releases")
    number = models.PositiveSmallIntegerField()
    released_on = models.DateField()
    final = models.BooleanField(default=False)
    counts = models.JSONField(default=dict)  # "unit|role" -> respondents
    sums = models.JSONField(default=dict)  # measure -> "unit|role" -> [n, sum, sum of squares]
    plan = models.JSONField(default=dict)  # {"units": [...], "roles": [...], "crossings": bool}

    class Meta:
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="pulse_unique_release")
        ]

    def __str__(self) -> str:
        return f"release {self.number} of {self.round}"


class ResultsNote(models.Model):
    """The "you said, we did" page of one round: what the organization commits to do, in English and
    Spanish, and whether workers can see it. The figures on that page come from the round's release
    (organization level only); this row holds only the organization's own words."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="results_note")
    actions_en = models.TextField(
        _("what we will do (English)"),
        blank=True,
        max_length=4000,
        help_text=_("One action per line. About the organization's policies and programs."),
    )
    actions_es = models.TextField(
        _("what we will do (Spanish)"),
        blank=True,
        max_length=4000,
        help_text=_("The same actions in Spanish, one per line."),
    )
    published = models.BooleanField(_("show this page to workers"), default=False)

    def __str__(self) -> str:
        return f"results of {self.round}"

    def actions(self, lang: str) -> list[str]:
        text = self.actions_es if lang == "es" and self.actions_es.strip() else self.actions_en
        return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


class NoiseDraw(models.Model):
    """Append-only store of the differential-privacy noise of one released figure.

    Keyed by survey, round(s), cell, measure and the cell's true n: asking for the same figure
    again returns the same noisy value, so repeated requests cannot be averaged to remove the noise.
    A new draw is made only when the data behind the figure changes (a new response changes n).
    Rows are never updated or deleted by the application."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    rounds = models.CharField(max_length=200)
    cell = models.CharField(max_length=300)
    measure = models.CharField(max_length=80)
    n = models.PositiveIntegerField()
    epsilon = models.FloatField()
    noisy_n = models.IntegerField()
    noisy_sum = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "rounds", "cell", "measure", "n"], name="pulse_unique_noise_draw"
            )
        ]

    def __str__(self) -> str:
        return f"noise {self.measure} {self.cell}"


class SurveyLocked(Exception):
    """A locked setting of an open or closed survey was changed."""


class TokenUsed(Exception):
    """The single-use token has already been used."""


class DashboardVersion(models.Model):
    """A number raised in the same transaction as any change a dashboard is built from besides the
    survey's and organization's own fields (units, rounds, releases, custom items, released
    comments). Cached dashboards and charts are keyed by it (``views._dashboard_key``): checking
    that a cached page is current costs one small read instead of reading every unit and release.

    Saves and deletes raise it through signals (``bump_on_change`` below); a bulk write of those
    models (``bulk_create``, ``bulk_update``, ``QuerySet.update``), which sends no signal, must call
    :func:`bump_dashboards` itself."""

    # A plain id, not a foreign key: deleting an organization deletes its units and rounds, whose
    # signals still raise the number; a row left behind by a deleted organization is harmless.
    organization_id = models.BigIntegerField(primary_key=True)
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"dashboard version {self.version}"


def bump_dashboards(organization_id: int) -> None:
    """Every cached dashboard of the organization is stale from this transaction's commit on."""
    bumped = DashboardVersion.objects.filter(pk=organization_id).update(
        version=models.F("version") + 1
    )
    if not bumped:  # the organization's first change: create the row (or find a concurrent one)
        DashboardVersion.objects.bulk_create(
            [DashboardVersion(organization_id=organization_id)], ignore_conflicts=True
        )
        DashboardVersion.objects.filter(pk=organization_id).update(version=models.F("version") + 1)


def _organization_of(instance: models.Model) -> int | None:
    if isinstance(instance, Unit):
        return instance.organization_id
    if isinstance(instance, (Round, Release, CustomItem)):
        return (
            Survey.objects.filter(pk=instance.survey_id)
            .values_list("organization_id", flat=True)
            .first()
        )
    if isinstance(instance, Comment):
        return (
            Round.objects.filter(pk=instance.round_id)
            .values_list("survey__organization_id", flat=True)
            .first()
        )
    return None


def bump_on_change(sender: type[models.Model], instance: models.Model, **kwargs) -> None:
    """post_save / post_delete of a model dashboards are built from (connected in ``apps.py``)."""
    if kwargs.get("raw"):  # loading a fixture
        return
    if isinstance(instance, Comment) and instance.release_id is None and kwargs.get("created"):
        return  # a new answer's comment: shown only once a release takes it
    org_id = _organization_of(instance)
    if org_id is not None:
        bump_dashboards(org_id)


DASHBOARD_INPUTS = (Unit, Round, Release, CustomItem, Comment)
