"""The resource directory, shaped after Open Referral HSDS 3 (field names follow HSDS where it has them).

A ``Provider`` is an HSDS *organization* (the body that runs a service); the Respite ``Organization``
(core) is the employer portal. Services with ``portal`` empty form the shared national catalogue;
services with a portal are that portal's local services (its EAP, chaplaincy, food pantry...).
Each portal curates the shared catalogue through ``Curation`` rows (hide / feature).
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

import nh3
from django.db import models
from django.utils.translation import gettext_lazy as _

from respite.core.models import Organization
from respite.core.roles import RoleGroup

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def new_id() -> str:
    return str(uuid.uuid4())


class Confidentiality(models.TextChoices):
    ANONYMOUS = "anonymous", _("Anonymous: no name needed")
    CONFIDENTIAL = "confidential", _("Confidential: outside your employer")
    EMPLOYER_RUN = "employer_run", _("Run by your employer")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    TEXT = "text", _("Text message")
    CHAT = "chat", _("Online chat")
    WEB = "web", _("Website")
    IN_PERSON = "in_person", _("In person")


class Audience(models.TextChoices):
    WORKER = "worker", _("Health workers")
    FAMILY = "family", _("Families")
    LEADER = "leader", _("Leaders and organizations")


class Cost(models.TextChoices):
    FREE = "free", _("Free")
    EMPLOYER_PAID = "employer_paid", _("Paid by your employer")
    INSURANCE = "insurance", _("Insurance or fee")
    VARIES = "varies", _("Varies")


class Tier(models.TextChoices):
    """The screening result tiers a service suits (see ``search.recommend``)."""

    SELF_CARE = "self_care", _("Self-care and peer support")
    COUNSELING = "counseling", _("Counseling")
    URGENT = "urgent", _("Urgent help")
    CRISIS = "crisis", _("Crisis")


class PortalService(models.TextChoices):
    """The portal's own kinds of human help (``core.services.available_services``): a shared entry of
    this kind is shown only in portals that offer it now, and links to the portal's own page."""

    COUNSELING = "counseling", _("Counselor dialogue")
    PEER_SUPPORT = "peer_support", _("Peer support")
    THERAPISTS = "therapists", _("Volunteer therapists")


class AreaScope(models.TextChoices):
    NATIONAL = "national", _("National")
    STATE = "state", _("State")
    LOCAL = "local", _("Local")


LANGUAGES = {"en": "English", "es": "Español"}
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a"}


def sanitize(html: str) -> str:
    """Clean HTML from imports and admins: a few formatting tags, links that cannot run script."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def _key(values) -> str:
    """Pipe-delimited key for portable "list contains" filters on SQLite and PostgreSQL."""
    return "|" + "|".join(sorted(set(values))) + "|" if values else ""


def _portal_field(
    help_text: StrOrPromise,
) -> models.ForeignKey[Organization | None, Organization | None]:
    """The portal a local row belongs to (it goes with the portal); empty for the shared catalogue."""
    return models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=help_text,
    )


class Provider(models.Model):
    """HSDS organization: who runs the service."""

    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    name = models.CharField(max_length=200)
    alternate_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True, max_length=4000)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    portal = _portal_field(
        _("Set for a portal's own local provider; empty for the shared catalogue.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceQuerySet(models.QuerySet):
    def active(self) -> ServiceQuerySet:
        return self.filter(status="active")

    def visible_to(self, organization: Organization | None) -> ServiceQuerySet:
        """Active shared services not hidden by the portal, plus the portal's own local services."""
        qs = self.active()
        if organization is None:
            return qs.filter(portal__isnull=True)
        hidden = Curation.objects.filter(organization=organization, hidden=True).values(
            "service_id"
        )
        return qs.filter(models.Q(portal__isnull=True) | models.Q(portal=organization)).exclude(
            id__in=hidden
        )

    def eligible_for_role(self, role_group: str) -> ServiceQuerySet:
        """Services open to everyone (no role list) or listing this role. Never a role-restricted one."""
        if not role_group:
            return self
        return self.filter(models.Q(roles_key="") | models.Q(roles_key__contains=f"|{role_group}|"))

    def for_state(self, state: str) -> ServiceQuerySet:
        if not state:
            return self
        return self.filter(
            models.Q(area_scope=AreaScope.NATIONAL)
            | models.Q(states_key__contains=f"|{state.upper()}|")
        )

    def with_tag(self, field: str, value: str) -> ServiceQuerySet:
        return self.filter(**{f"{field}_key__contains": f"|{value}|"})


class Service(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="services")
    portal = _portal_field(_("The portal that added this local service; empty for shared ones."))
    name = models.CharField(max_length=200)
    alternate_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(
        max_length=4000, help_text=_("A few HTML tags are kept; everything else is removed.")
    )
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    description_es = models.TextField(_("description (Spanish)"), max_length=4000, blank=True)
    keywords = models.CharField(
        max_length=500, blank=True, help_text=_("Search words, English and Spanish.")
    )
    url = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=20,
        default="active",
        choices=[(s, s) for s in ("active", "inactive", "defunct", "temporarily closed")],
    )
    application_process = models.TextField(blank=True, max_length=2000)
    fees_description = models.CharField(max_length=300, blank=True)
    eligibility_description = models.CharField(max_length=300, blank=True)
    # HSDS facts kept as the source gives them; unknown stays empty (None / "").
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    wait_time = models.CharField(_("wait time"), max_length=300, blank=True)
    interpretation_services = models.CharField(
        _("interpretation services"), max_length=300, blank=True
    )
    alert = models.CharField(
        _("alert"), max_length=500, blank=True, help_text=_("A short notice, e.g. a closure.")
    )
    cost = models.CharField(max_length=20, choices=Cost.choices, default=Cost.FREE)
    confidentiality = models.CharField(
        max_length=20, choices=Confidentiality.choices, default=Confidentiality.CONFIDENTIAL
    )
    available_24_7 = models.BooleanField(_("available 24/7"), default=False)
    roles = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Eligible role groups; empty means every health worker."),
    )
    audiences = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    tiers = models.JSONField(default=list, blank=True)
    languages = models.JSONField(
        default=list, blank=True, help_text=_("ISO 639-1 codes, e.g. en, es.")
    )
    area_scope = models.CharField(
        max_length=10, choices=AreaScope.choices, default=AreaScope.NATIONAL
    )
    area_states = models.JSONField(
        default=list, blank=True, help_text=_("Two-letter state codes for state or local services.")
    )
    area_name = models.CharField(max_length=200, blank=True)
    assured_date = models.DateField(_("last verified on"), null=True, blank=True)
    assured_by = models.CharField(_("last verified by"), max_length=120, blank=True)
    portal_service = models.CharField(
        _("portal service"),
        max_length=20,
        blank=True,
        choices=PortalService.choices,
        help_text=_("Set for the portal's own services (counselors, peers, volunteer therapists)."),
    )
    # Data copied from a document is dated by that document, not by the import: until a person
    # verifies the entry, this names the document (and its date) and assured_date stays empty.
    source = models.CharField(_("source document"), max_length=300, blank=True)
    # Denormalized keys so filters run in the database on SQLite and PostgreSQL alike.
    roles_key = models.CharField(max_length=300, blank=True, editable=False)
    audiences_key = models.CharField(max_length=100, blank=True, editable=False)
    channels_key = models.CharField(max_length=100, blank=True, editable=False)
    tiers_key = models.CharField(max_length=100, blank=True, editable=False)
    languages_key = models.CharField(max_length=100, blank=True, editable=False)
    states_key = models.CharField(max_length=300, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "portal"]),
            # search's ranking cache checks MAX(updated_at) on every query: keep it an index lookup.
            models.Index(fields=["updated_at"], name="directory_service_updated"),
            # Every column the eligibility filters read, so search's filter query scans this small
            # index instead of the wide rows (descriptions, search text, embeddings).
            models.Index(
                fields=[
                    "status",
                    "portal",
                    "roles_key",
                    "area_scope",
                    "states_key",
                    "languages_key",
                    "cost",
                    "confidentiality",
                    "channels_key",
                    "audiences_key",
                    "tiers_key",
                    "available_24_7",
                    "id",
                ],
                name="directory_service_filters",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.prepare()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {
                "description",
                "description_es",
                "roles_key",
                "audiences_key",
                "channels_key",
                "tiers_key",
                "languages_key",
                "states_key",
                "search_text",
                "updated_at",
            }
        super().save(*args, **kwargs)

    def prepare(self) -> None:
        """Sanitize and derive the filter keys and search text; called by save() and bulk loaders."""
        self.description = sanitize(self.description)
        self.description_es = sanitize(self.description_es)
        self.roles_key = _key(self.roles)
        self.audiences_key = _key(self.audiences)
        self.channels_key = _key(self.channels)
        self.tiers_key = _key(self.tiers)
        self.languages_key = _key(self.languages)
        self.states_key = _key([s.upper() for s in self.area_states])
        labels = dict(RoleGroup.choices)
        role_words = " ".join(str(labels.get(r, r)) for r in self.roles)
        provider = self.provider.name if self.provider_id else ""
        self.search_text = " ".join(
            filter(
                None,
                [
                    self.name,
                    self.alternate_name,
                    self.name_es,
                    provider,
                    nh3.clean(self.description, tags=set()),
                    nh3.clean(self.description_es, tags=set()),
                    self.keywords,
                    self.eligibility_description,
                    role_words,
                ],
            )
        )

    def localized(self, lang: str) -> tuple[str, str]:
        if lang == "es" and self.name_es:
            return self.name_es, self.description_es or self.description
        return self.name, self.description

    def is_open_at(self, when: datetime) -> bool:
        """True if 24/7 or a weekly schedule covers ``when`` (schedules carry their own UTC offset)."""
        if self.available_24_7:
            return True
        return any(s.covers(when) for s in self.schedules.all())


class Phone(models.Model):
    """An HSDS phone of a service; also listed under a contact and/or a location when the source
    links it there (one row, as in HSDS's tabular form)."""

    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="phones")
    contact = models.ForeignKey(
        "Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="phones"
    )
    location = models.ForeignKey(
        "Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="phones"
    )
    number = models.CharField(max_length=40)
    extension = models.PositiveIntegerField(null=True, blank=True)
    type = models.CharField(
        max_length=20, blank=True, help_text=_("RFC 6350 type: voice, text, ...")
    )
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.number


DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class Schedule(models.Model):
    """An HSDS schedule: an RFC 5545 weekly recurrence with opening hours at a UTC offset."""

    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="schedules")
    location = models.ForeignKey(
        "Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="schedules"
    )
    freq = models.CharField(
        max_length=10, default="WEEKLY", choices=[("WEEKLY", "WEEKLY"), ("MONTHLY", "MONTHLY")]
    )
    byday = models.CharField(max_length=40, default="MO,TU,WE,TH,FR")
    opens_at = models.TimeField()
    closes_at = models.TimeField()
    timezone = models.SmallIntegerField(default=0, help_text=_("UTC offset in hours, e.g. -5."))
    description = models.CharField(max_length=300, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    notes = models.CharField(max_length=500, blank=True)
    attending_type = models.CharField(max_length=300, blank=True)
    schedule_link = models.URLField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.rrule()

    def rrule(self) -> str:
        return f"FREQ={self.freq};BYDAY={self.byday}"

    def covers(self, when: datetime) -> bool:
        if self.freq != "WEEKLY":
            return False
        local = when.astimezone(timezone(timedelta(hours=self.timezone)))
        days = {d.strip()[-2:] for d in self.byday.split(",") if d.strip()}
        t = local.time().replace(tzinfo=None)
        if self.opens_at <= self.closes_at:
            return DAYS[local.weekday()] in days and self.opens_at <= t < self.closes_at
        # Overnight hours (e.g. 18:00-08:00): open after opening on a listed day, or before closing the next day.
        yesterday = DAYS[(local.weekday() - 1) % 7]
        return (DAYS[local.weekday()] in days and t >= self.opens_at) or (
            yesterday in days and t < self.closes_at
        )


def hhmm(value: time, offset_hours: int) -> str:
    sign = "+" if offset_hours >= 0 else "-"
    return f"{value:%H:%M}{sign}{abs(offset_hours):02d}:00" if offset_hours else f"{value:%H:%M}Z"


class Location(models.Model):
    """Where a service is delivered: an HSDS location joined with its service_at_location (one
    service per row; ``sal_id`` keeps the source's service_at_location id so it survives exports)."""

    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="locations")
    sal_id = models.CharField(max_length=64, blank=True)
    sal_description = models.TextField(blank=True, max_length=2000)
    location_type = models.CharField(
        max_length=10,
        default="physical",
        choices=[(s, s) for s in ("physical", "postal", "virtual")],
    )
    name = models.CharField(max_length=200, blank=True)
    alternate_name = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=500, blank=True)
    url = models.URLField(blank=True)
    transportation = models.CharField(max_length=500, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    external_identifier = models.CharField(max_length=100, blank=True)
    external_identifier_type = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or self.location_type


class Address(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    attention = models.CharField(max_length=200, blank=True)
    address_1 = models.CharField(max_length=200)
    address_2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    state_province = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=60, help_text=_("ISO 3166-1 alpha-2 code, as given."))
    address_type = models.CharField(max_length=20, default="physical")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return ", ".join(filter(None, [self.address_1, self.address_2, self.city]))


class Accessibility(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="accessibility")
    description = models.TextField(blank=True, max_length=2000)
    details = models.TextField(blank=True, max_length=2000)
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "accessibility"

    def __str__(self) -> str:
        return self.description[:60]


class Contact(models.Model):
    """A named contact of a service (and of one of its locations when the source says so)."""

    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="contacts")
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or self.department or self.email


class CostOption(models.Model):
    """An HSDS cost option exactly as given: the amount in its own currency (ISO 4217), never converted."""

    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="cost_options")
    option = models.CharField(max_length=300, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount_description = models.CharField(max_length=300, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.option or f"{self.amount} {self.currency}"


class ServiceArea(models.Model):
    """An HSDS service area as given (name, extent, extent type); ``Service.area_scope`` and
    ``area_states`` are the filter facets derived from it."""

    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_areas")
    name = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True, max_length=2000)
    extent = models.TextField(blank=True)
    extent_type = models.CharField(max_length=20, blank=True)
    uri = models.URLField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ServiceLanguage(models.Model):
    """An HSDS language of a service as given (code ISO 639-1/-2/-3, name, note), so its id and
    note survive; ``Service.languages`` holds the codes for filtering."""

    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="language_rows")
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code


class Curation(models.Model):
    """A portal's choice about a shared service: hide it or feature it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="curations")
    hidden = models.BooleanField(default=False)
    featured = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "service"], name="unique_curation")
        ]

    def __str__(self) -> str:
        return f"{self.organization} / {self.service}"
