"""HSDS 3 JSON and tabular (CSV) import/export for the directory.

File shape (JSON): ``{"hsds_version": "3.0", "organizations": [HSDS organization...],
"services": [HSDS service...]}``. Each record validates against the shipped HSDS 3 schema. Respite's
own facets (eligibility by role, audience, channel, tier, confidentiality, 24/7, area scope) travel as
HSDS ``attributes`` with taxonomy terms from the ``respite`` taxonomy; the Spanish texts, search keywords
and the owning portal travel in one extension object, ``x_respite``, which HSDS readers ignore.

Import validates every record, reports each invalid one with its reason and imports the rest.
"""

from __future__ import annotations

import contextlib
import csv
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction

from respite.core.models import Organization
from respite.core.roles import RoleGroup
from respite.directory.models import (
    Accessibility,
    Address,
    AreaScope,
    Audience,
    Channel,
    Confidentiality,
    Contact,
    Cost,
    CostOption,
    Location,
    Phone,
    PortalService,
    Provider,
    Schedule,
    Service,
    ServiceArea,
    ServiceLanguage,
    Tier,
    hhmm,
)

if TYPE_CHECKING:  # jsonschema and referencing are imported where a record is validated
    import jsonschema
    from referencing import Registry

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
BASE = "https://respite.invalid/hsds/"
HSDS_VERSION = "3.0"
TAXONOMY = "respite"

# Respite facets carried as HSDS attributes: link_type -> (model field, allowed values, is_list)
FACETS: dict[str, tuple[str, set[str], bool]] = {
    "eligibility": ("roles", set(RoleGroup.values), True),
    "audience": ("audiences", set(Audience.values), True),
    "channel": ("channels", set(Channel.values), True),
    "tier": ("tiers", set(Tier.values), True),
    "confidentiality": ("confidentiality", set(Confidentiality.values), False),
    "service_area_scope": ("area_scope", set(AreaScope.values), False),
}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


# --- validation --------------------------------------------------------------------------------
# The official HSDS 3.0 schemas (schema/, unmodified, tag v3.0; see README.md). They reference each
# other by file name ("phone.json"), so each is registered under BASE + its file name.


@lru_cache(maxsize=1)
def _registry() -> Registry:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        if path.name in ("openapi.json", "datapackage.json"):
            continue
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append(
            (BASE + path.name, Resource.from_contents(contents, default_specification=DRAFT202012))
        )
    # The API reference's list-item schemas (self-contained): "compiled/service_list" and the like.
    for path in sorted((SCHEMA_DIR / "compiled").glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append(
            (
                BASE + "compiled/" + path.name,
                Resource.from_contents(contents, default_specification=DRAFT202012),
            )
        )
    return Registry().with_resources(resources)


@lru_cache(maxsize=8)
def validator(table: str, *, formats: bool = False) -> jsonschema.protocols.Validator:
    """The official schema of ``table``; ``formats`` turns on jsonschema's FormatChecker (uuid, date,
    email, uri...), as exports must pass it."""
    import jsonschema

    return jsonschema.Draft202012Validator(
        {"$ref": BASE + f"{table}.json"},
        registry=_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER if formats else None,
    )


def schema_errors(record: Any, table: str, *, formats: bool = False) -> list[str]:
    """Human-readable schema errors of one HSDS record ("phones/0: 'number' is a required property")."""
    errors = sorted(
        validator(table, formats=formats).iter_errors(record),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    return [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in errors]


# Respite's ids are readable slugs ("988-lifeline") so links survive; HSDS wants UUIDs. Exports use a
# UUID derived from the slug (the same every time) and carry the slug in x_respite/slug.
ID_NAMESPACE = uuid.UUID("6f1c2a8e-5d0b-4f2e-9a53-0c7f4e2b9d11")


def hsds_id(kind: str, key: str) -> str:
    """``key`` itself if it is already a UUID, else a stable UUID for (kind, key)."""
    try:
        return str(uuid.UUID(key))
    except (ValueError, AttributeError, TypeError):
        return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{key}"))


def resolve(kind: str, key: str, queryset: Any) -> str:
    """The Respite id in ``queryset`` whose HSDS id is ``key`` (an exported UUID derived from a slug),
    or ``key`` itself. Only UUID-shaped keys are looked up."""
    try:
        uuid.UUID(key)
    except (ValueError, AttributeError, TypeError):
        return key
    if queryset.filter(pk=key).exists():
        return key
    return next(
        (pk for pk in queryset.values_list("pk", flat=True) if hsds_id(kind, str(pk)) == key), key
    )


# --- export ------------------------------------------------------------------------------------


def _attr(service_id: str, link_type: str, value: str) -> dict[str, Any]:
    term_id = hsds_id("taxonomy_term", f"{TAXONOMY}:{link_type}:{value}")
    return {
        "id": hsds_id("attribute", f"{service_id}:{link_type}:{value}"),
        "link_id": hsds_id("service", service_id),
        "link_type": link_type,
        "link_entity": "service",
        "taxonomy_term_id": term_id,
        "value": value,
        "taxonomy_term": {
            "id": term_id,
            "code": value,
            "name": value,
            "description": f"Respite {link_type}: {value}",
            "taxonomy_id": hsds_id("taxonomy", TAXONOMY),
        },
    }


def provider_to_hsds(provider: Provider) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": hsds_id("organization", provider.id),
        "name": provider.name,
        "description": provider.description,
    }
    for key in ("alternate_name", "website", "email"):
        if getattr(provider, key):
            data[key] = getattr(provider, key)
    ext: dict[str, str] = {"slug": provider.id}
    if provider.portal:
        ext["portal"] = provider.portal.slug
    data["x_respite"] = ext
    return data


def _given(obj: Any, keys: Iterable[str]) -> dict[str, Any]:
    """The fields of ``obj`` that hold a value (unknown stays out of the export, not invented)."""
    out: dict[str, Any] = {}
    for key in keys:
        value = getattr(obj, key)
        if value is None or value == "":
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, float) and value.is_integer():
            value = int(value)  # 100.0 is written 100, as the source gave it
        elif isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        out[key] = value
    return out


def _phone(p: Phone, sid: str) -> dict[str, Any]:
    data = {"id": hsds_id("phone", p.id), "service_id": sid, "number": p.number}
    if p.contact_id:
        data["contact_id"] = hsds_id("contact", p.contact_id)
    if p.location_id:
        data["location_id"] = hsds_id("location", p.location_id)
    return {**data, **_given(p, ("extension", "type", "description"))}


def _schedule(sc: Schedule, sid: str) -> dict[str, Any]:
    data = {
        "id": hsds_id("schedule", sc.id),
        "service_id": sid,
        "freq": sc.freq,
        "byday": sc.byday,
        "timezone": sc.timezone,
        "opens_at": hhmm(sc.opens_at, sc.timezone),
        "closes_at": hhmm(sc.closes_at, sc.timezone),
    }
    if sc.location_id:
        data["location_id"] = hsds_id("location", sc.location_id)
    return {
        **data,
        **_given(
            sc,
            ("valid_from", "valid_to", "description", "schedule_link", "attending_type", "notes"),
        ),
    }


def _contact(c: Contact, sid: str, phones: list[Phone]) -> dict[str, Any]:
    data: dict[str, Any] = {"id": hsds_id("contact", c.id), "service_id": sid}
    if c.location_id:
        data["location_id"] = hsds_id("location", c.location_id)
    data.update(_given(c, ("name", "title", "department", "email")))
    data["phones"] = [_phone(p, sid) for p in phones if p.contact_id == c.id]
    return data


LOCATION_FIELDS = (
    "location_type",
    "url",
    "name",
    "alternate_name",
    "description",
    "transportation",
    "latitude",
    "longitude",
    "external_identifier",
    "external_identifier_type",
)
ADDRESS_FIELDS = (
    "attention",
    "address_1",
    "address_2",
    "city",
    "region",
    "state_province",
    "postal_code",
    "country",
    "address_type",
)
COST_OPTION_FIELDS = (
    "valid_from",
    "valid_to",
    "option",
    "currency",
    "amount",
    "amount_description",
)


def _location(loc: Location, sid: str, phones: list[Phone], contacts: list[Contact]) -> dict:
    lid = hsds_id("location", loc.id)
    here_phones = [_phone(p, sid) for p in phones if p.location_id == loc.id]
    here_contacts = [_contact(c, sid, phones) for c in contacts if c.location_id == loc.id]
    location = {
        "id": lid,
        **_given(loc, LOCATION_FIELDS),
        "addresses": [
            {"id": hsds_id("address", a.id), "location_id": lid, **_given(a, ADDRESS_FIELDS)}
            for a in loc.addresses.all()
        ],
        "accessibility": [
            {
                "id": hsds_id("accessibility", a.id),
                "location_id": lid,
                **_given(a, ("description", "details", "url")),
            }
            for a in loc.accessibility.all()
        ],
        "contacts": here_contacts,
        "phones": here_phones,
        "schedules": [_schedule(sc, sid) for sc in loc.schedules.all()],
    }
    sal = {
        "id": hsds_id("service_at_location", loc.sal_id or f"{loc.service_id}:{lid}"),
        "service_id": sid,
        "location_id": lid,
        **({"description": loc.sal_description} if loc.sal_description else {}),
        "contacts": here_contacts,
        "phones": here_phones,
        "schedules": location["schedules"],
        "location": location,
    }
    return sal


def service_to_hsds(s: Service) -> dict[str, Any]:
    sid = hsds_id("service", s.id)
    data: dict[str, Any] = {
        "id": sid,
        "organization_id": hsds_id("organization", s.provider_id),
        "name": s.name,
        "status": s.status,
        "description": s.description,
    }
    data.update(
        _given(
            s,
            (
                "alternate_name",
                "url",
                "email",
                "interpretation_services",
                "application_process",
                "fees_description",
                "wait_time",
                "alert",
                "eligibility_description",
                "minimum_age",
                "maximum_age",
                "assured_date",
            ),
        )
    )
    phones = list(s.phones.all())
    contacts = list(s.contacts.all())
    data["phones"] = [_phone(p, sid) for p in phones]
    data["schedules"] = [_schedule(sc, sid) for sc in s.schedules.all()]
    # Languages as given (their own ids, names and notes); codes entered in the console without a
    # row get a stable id derived from the service and code.
    rows = {row.code: row for row in s.language_rows.all()}
    data["languages"] = [
        {
            "id": hsds_id("language", rows[code].id if code in rows else f"{s.id}:{code}"),
            "service_id": sid,
            "code": code,
            "name": rows[code].name if code in rows else LANGUAGE_NAMES.get(code, code),
            **({"note": rows[code].note} if code in rows and rows[code].note else {}),
        }
        for code in s.languages
    ]
    areas = list(s.service_areas.all())
    if areas:
        data["service_areas"] = [
            {
                "id": hsds_id("service_area", a.id),
                "service_id": sid,
                **_given(a, ("name", "description", "extent", "extent_type", "uri")),
            }
            for a in areas
        ]
    else:
        area_name = s.area_name or (
            "United States" if s.area_scope == AreaScope.NATIONAL else ", ".join(s.area_states)
        )
        extent = (
            "US"
            if s.area_scope == AreaScope.NATIONAL
            else ",".join(f"US-{st}" for st in s.area_states)
        )
        data["service_areas"] = [
            {
                "id": hsds_id("service_area", s.id),
                "service_id": sid,
                "name": area_name,
                "extent": extent,
                "extent_type": "text",
            }
        ]
    options = list(s.cost_options.all())
    if options:
        data["cost_options"] = [
            {
                "id": hsds_id("cost_option", c.id),
                "service_id": sid,
                **_given(c, COST_OPTION_FIELDS),
            }
            for c in options
        ]
    elif s.cost:
        # A cost entered in a US portal's console: its facet, in US dollars.
        data["cost_options"] = [
            {
                "id": hsds_id("cost_option", s.id),
                "service_id": sid,
                "option": s.cost,
                "currency": "USD",
                **({"amount": 0} if s.cost == Cost.FREE else {}),
            }
        ]
    data["contacts"] = [_contact(c, sid, phones) for c in contacts]
    attributes = []
    for link_type, (fname, _allowed, is_list) in FACETS.items():
        values = getattr(s, fname) if is_list else [getattr(s, fname)]
        attributes += [_attr(s.id, link_type, v) for v in values if v]
    if s.available_24_7:
        attributes.append(_attr(s.id, "availability", "24_7"))
    data["attributes"] = attributes
    if s.assured_date:
        data["metadata"] = [
            {
                "id": hsds_id("metadata", f"{s.id}:verified"),
                "resource_id": sid,
                "resource_type": "service",
                "last_action_date": s.assured_date.isoformat(),
                "last_action_type": "verified",
                "field_name": "",
                "previous_value": "",
                "replacement_value": "",
                "updated_by": s.assured_by,
            }
        ]
    data["service_at_locations"] = [
        _location(loc, sid, phones, contacts) for loc in s.locations.all()
    ]
    ext = {
        k: getattr(s, k)
        for k in ("name_es", "description_es", "keywords", "source", "portal_service")
        if getattr(s, k)
    }
    ext["slug"] = s.id
    if s.portal:
        ext["portal"] = s.portal.slug
    data["x_respite"] = ext
    return data


# Everything service_to_hsds reads, for querysets that export many services.
PREFETCH = (
    "phones",
    "contacts",
    "schedules",
    "language_rows",
    "service_areas",
    "cost_options",
    "locations__addresses",
    "locations__accessibility",
    "locations__schedules",
)


def export_data(services: Iterable[Service] | None = None) -> dict[str, Any]:
    if services is None:
        services = Service.objects.all()
    services = list(
        Service.objects.filter(pk__in=[s.pk for s in services])
        .order_by("id")
        .select_related("portal", "provider")
        .prefetch_related(*PREFETCH)
    )
    provider_ids = {s.provider_id for s in services}
    providers = Provider.objects.filter(id__in=provider_ids).order_by("id").select_related("portal")
    return {
        "hsds_version": HSDS_VERSION,
        "organizations": [provider_to_hsds(p) for p in providers],
        "services": [service_to_hsds(s) for s in services],
    }


def export_json(path: Path | str, services: Iterable[Service] | None = None) -> dict[str, int]:
    data = export_data(services)
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"organizations": len(data["organizations"]), "services": len(data["services"])}


# --- import ------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


class RecordError(ValueError):
    pass


def _hhmm_parse(value: str) -> tuple[time, int]:
    value = value.strip()
    offset = 0
    if value.endswith("Z"):
        value = value[:-1]
    elif len(value) > 5 and value[5] in "+-":
        sign = 1 if value[5] == "+" else -1
        offset = sign * int(value[6:8])
        value = value[:5]
    try:
        return time.fromisoformat(value), offset
    except ValueError as exc:
        raise RecordError(f"time {value!r} is not HH:MM") from exc


def _https(url: str, what: str) -> str:
    """Web links as given (HSDS data often has http://); any other scheme (javascript:, data:) is refused."""
    if url and not url.lower().startswith(("https://", "http://")):
        raise RecordError(f"{what}: only http:// and https:// links are accepted")
    return url


def _cost_facet(options: list[dict[str, Any]]) -> str:
    """Respite's coarse cost filter from the cost options as given: Respite's own facet names, an
    amount of 0 (free) or above 0 (a fee); "" when the options do not say (nothing is invented)."""
    kinds = set()
    for option in options:
        amount = option.get("amount")
        if option.get("option") in Cost.values:
            kinds.add(option["option"])
        elif isinstance(amount, int | float) and not isinstance(amount, bool):
            kinds.add(Cost.FREE if amount == 0 else Cost.INSURANCE)
    if not kinds:
        return ""
    return kinds.pop() if len(kinds) == 1 else Cost.VARIES


def _age(value: Any, what: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RecordError(f"{what}: not an age in years")
    if value != int(value) or value > 150:
        raise RecordError(f"{what}: {value!r} is not a whole number of years")
    return int(value)


def _decimal(value: Any, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise RecordError(f"{what}: {value!r} is not a number") from exc


def _day(value: Any, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RecordError(f"{what}: not a YYYY-MM-DD date") from exc


def _service_fields(rec: dict[str, Any], portals: dict[str, Organization]) -> dict[str, Any]:
    ext = rec.get("x_respite") or {}
    if not isinstance(ext, dict):
        raise RecordError("x_respite: must be an object")
    fields: dict[str, Any] = {
        "name": rec["name"][:200],
        "status": rec["status"],
        "description": rec.get("description", ""),
        "alternate_name": rec.get("alternate_name", ""),
        "url": _https(rec.get("url", ""), "url"),
        "email": rec.get("email", ""),
        "application_process": rec.get("application_process", ""),
        "fees_description": rec.get("fees_description", ""),
        "eligibility_description": rec.get("eligibility_description", ""),
        "name_es": str(ext.get("name_es", "")),
        "description_es": str(ext.get("description_es", "")),
        "keywords": str(ext.get("keywords", "")),
        "source": str(ext.get("source", ""))[:300],
        "portal_service": str(ext.get("portal_service", "")),
        "roles": [],
        "audiences": [],
        "channels": [],
        "tiers": [],
        "available_24_7": False,
        # Unknown stays empty: a file that does not say how confidential a service is, does not
        # become "confidential" here.
        "confidentiality": "",
        "area_scope": AreaScope.NATIONAL,
    }
    if fields["portal_service"] not in ("", *PortalService.values):
        raise RecordError(f"x_respite/portal_service: unknown {fields['portal_service']!r}")
    if not fields["description"].strip():
        raise RecordError("description: a description is required")
    try:
        fields["assured_date"] = (
            date.fromisoformat(rec["assured_date"]) if rec.get("assured_date") else None
        )
    except ValueError as exc:
        raise RecordError("assured_date: not a YYYY-MM-DD date") from exc
    fields["assured_by"] = next(
        (
            m.get("updated_by", "")
            for m in rec.get("metadata", [])
            if m.get("last_action_type") == "verified"
        ),
        "",
    )
    for attr in rec.get("attributes", []):
        link_type, value = attr.get("link_type"), attr.get("value", "")
        if link_type == "availability":
            if value != "24_7":
                raise RecordError(f"attributes: unknown availability {value!r}")
            fields["available_24_7"] = True
            continue
        if link_type not in FACETS:
            continue  # other taxonomies are allowed in HSDS; Respite ignores them
        fname, allowed, is_list = FACETS[link_type]
        if value not in allowed:
            raise RecordError(
                f"attributes: unknown {link_type} {value!r} (allowed: {', '.join(sorted(allowed))})"
            )
        if is_list:
            if value not in fields[fname]:
                fields[fname].append(value)
        else:
            fields[fname] = value
    for fname in ("roles", "audiences", "channels", "tiers"):
        fields[fname] = sorted(fields[fname])
    # Codes as given (ISO 639-1 "es" or 639-3 "spa"): never cut to two letters.
    fields["languages"] = sorted(
        {(lang.get("code") or "").strip().lower() for lang in rec.get("languages", [])} - {""}
    )
    fields["cost"] = _cost_facet(rec.get("cost_options", []))
    for key in ("minimum_age", "maximum_age"):
        fields[key] = _age(rec.get(key), key)
    fields["wait_time"] = str(rec.get("wait_time") or "")[:300]
    fields["interpretation_services"] = str(rec.get("interpretation_services") or "")[:300]
    fields["alert"] = str(rec.get("alert") or "")[:500]
    areas = rec.get("service_areas", [])
    states: list[str] = []
    for area in areas:
        for part in (area.get("extent") or "").split(","):
            part = part.strip().upper()
            if part.startswith("US-") and len(part) == 5:
                states.append(part[3:])
    fields["area_states"] = sorted(set(states))
    scope_given = any(
        a.get("link_type") == "service_area_scope" for a in rec.get("attributes", []) or []
    )
    national = {"US", "USA", "UNITED STATES"}
    if not scope_given and any(
        (a.get("extent") or "").strip().upper() not in national
        and (a.get("name") or "").strip().upper() not in national
        for a in areas
    ):
        # A named area ("Los Angeles County") is not the whole country.
        fields["area_scope"] = AreaScope.STATE if states else AreaScope.LOCAL
    fields["area_name"] = (
        areas[0].get("name", "") if areas and fields["area_scope"] != AreaScope.NATIONAL else ""
    )
    if scope_given and fields["area_scope"] != AreaScope.NATIONAL and not (states or areas):
        raise RecordError("service_areas: a state or local service needs its service area")
    portal_slug = ext.get("portal")
    fields["portal"] = None
    if portal_slug:
        if portal_slug not in portals:
            raise RecordError(f"x_respite/portal: no portal {portal_slug!r}")
        fields["portal"] = portals[portal_slug]
    return fields


def _children(service: Service, rec: dict[str, Any]) -> None:
    """Replace the service's child records with the file's, each keeping the id the file gives (so
    ids are stable across exports and re-imports). A phone, contact or schedule listed in several
    places (service, contact, service_at_location, location) is one row linked to each."""
    for related in (
        service.phones,
        service.contacts,
        service.schedules,
        service.locations,
        service.cost_options,
        service.service_areas,
        service.language_rows,
    ):
        related.all().delete()
    phones: dict[str, Phone] = {}
    contacts: dict[str, Contact] = {}
    schedules: dict[str, Schedule] = {}
    sources: dict[tuple[str, str], dict[str, Any]] = {}
    by_location: dict[str, Location] = {}
    by_sal: dict[str, Location] = {}

    def phone(p: dict[str, Any], **links: Any) -> None:
        row = phones.get(p["id"])
        sources.setdefault(("phone", p["id"]), p)
        if row is None:
            row = phones[p["id"]] = Phone(
                id=p["id"],
                service=service,
                number=str(p["number"])[:40],
                extension=p.get("extension"),
                type=p.get("type", ""),
                description=p.get("description", ""),
            )
        for key, value in links.items():
            setattr(row, key, value)

    def contact(c: dict[str, Any], location: Location | None = None) -> None:
        row = contacts.get(c["id"])
        sources.setdefault(("contact", c["id"]), c)
        if row is None:
            row = contacts[c["id"]] = Contact(
                id=c["id"],
                service=service,
                name=c.get("name") or "",
                title=c.get("title") or "",
                department=c.get("department") or "",
                email=c.get("email") or "",
            )
        if location is not None:
            row.location = location
        for p in c.get("phones") or []:
            phone(p, contact=row, **({"location": location} if location else {}))

    def schedule(sc: dict[str, Any], location: Location | None = None) -> None:
        sources.setdefault(("schedule", sc["id"]), sc)
        if sc["id"] in schedules:
            if location is not None:
                schedules[sc["id"]].location = location
            return
        if not sc.get("opens_at") or not sc.get("closes_at"):
            raise RecordError("schedules: opens_at and closes_at are required")
        opens, tz = _hhmm_parse(sc["opens_at"])
        closes, _tz = _hhmm_parse(sc["closes_at"])
        schedules[sc["id"]] = Schedule(
            id=sc["id"],
            service=service,
            location=location,
            freq=sc.get("freq") or "WEEKLY",
            byday=sc.get("byday") or "MO,TU,WE,TH,FR",
            opens_at=opens,
            closes_at=closes,
            timezone=int(sc.get("timezone", tz)),
            description=sc.get("description", ""),
            valid_from=_day(sc.get("valid_from"), "schedules/valid_from"),
            valid_to=_day(sc.get("valid_to"), "schedules/valid_to"),
            notes=str(sc.get("notes") or "")[:500],
            attending_type=str(sc.get("attending_type") or "")[:300],
            schedule_link=_https(sc.get("schedule_link") or "", "schedules/schedule_link"),
        )

    for sal in rec.get("service_at_locations", []):
        loc = sal.get("location") or {}
        if not loc.get("id"):
            raise RecordError("service_at_locations: location with an id is required")
        location = Location.objects.create(
            id=loc["id"],
            service=service,
            sal_id=sal.get("id", ""),
            sal_description=sal.get("description") or "",
            location_type=loc.get("location_type", "physical"),
            name=loc.get("name") or "",
            alternate_name=loc.get("alternate_name") or "",
            description=loc.get("description") or "",
            url=_https(loc.get("url") or "", "location/url"),
            transportation=loc.get("transportation") or "",
            latitude=loc.get("latitude"),
            longitude=loc.get("longitude"),
            external_identifier=loc.get("external_identifier") or "",
            external_identifier_type=loc.get("external_identifier_type") or "",
        )
        by_location[location.id] = location
        if location.sal_id:
            by_sal[location.sal_id] = location
        for a in loc.get("addresses") or []:
            Address.objects.create(
                location=location,
                **{k: a.get(k) or "" for k in ("id", *ADDRESS_FIELDS)},
            )
        for a in loc.get("accessibility") or []:
            Accessibility.objects.create(
                id=a["id"],
                location=location,
                description=a.get("description") or "",
                details=a.get("details") or "",
                url=_https(a.get("url") or "", "accessibility/url"),
            )
        for c in [*(sal.get("contacts") or []), *(loc.get("contacts") or [])]:
            contact(c, location)
        for p in [*(sal.get("phones") or []), *(loc.get("phones") or [])]:
            phone(p, location=location)
        for sc in sal.get("schedules") or []:
            schedule(sc, location)
    for c in rec.get("contacts") or []:
        contact(c)
    for p in rec.get("phones") or []:
        phone(p)
    for sc in rec.get("schedules") or []:
        schedule(sc)

    # Links given by id (tabular files, and Respite's own exports): phone -> contact / location,
    # contact and schedule -> location (or the service_at_location naming it).
    def linked(src: dict[str, Any], row: Phone | Contact | Schedule) -> None:
        if getattr(row, "location_id", None) is None:
            where = by_location.get(src.get("location_id") or "") or by_sal.get(
                src.get("service_at_location_id") or ""
            )
            if where is not None:
                row.location = where
        if isinstance(row, Phone) and row.contact_id is None:
            owner = contacts.get(src.get("contact_id") or "")
            if owner is not None:
                row.contact = owner

    for kind, rows in (("phone", phones), ("contact", contacts), ("schedule", schedules)):
        for key, row in rows.items():
            linked(sources[(kind, key)], row)
    Contact.objects.bulk_create(contacts.values())
    Phone.objects.bulk_create(phones.values())
    Schedule.objects.bulk_create(schedules.values())
    for c in rec.get("cost_options") or []:
        currency = str(c.get("currency") or "")
        if len(currency) > 3:
            raise RecordError(f"cost_options: currency {currency!r} is not an ISO 4217 code")
        CostOption.objects.create(
            id=c["id"],
            service=service,
            option=str(c.get("option") or "")[:300],
            amount=_decimal(c.get("amount"), "cost_options/amount"),
            currency=currency,  # as given ("gbp" stays "gbp"): never converted
            amount_description=str(c.get("amount_description") or "")[:300],
            valid_from=_day(c.get("valid_from"), "cost_options/valid_from"),
            valid_to=_day(c.get("valid_to"), "cost_options/valid_to"),
        )
    for a in rec.get("service_areas") or []:
        ServiceArea.objects.create(
            id=a["id"],
            service=service,
            name=str(a.get("name") or "")[:500],
            description=a.get("description") or "",
            extent=a.get("extent") or "",
            extent_type=a.get("extent_type") or "",
            uri=_https(a.get("uri") or "", "service_areas/uri"),
        )
    seen: set[str] = set()
    for lang in rec.get("languages") or []:
        code = (lang.get("code") or "").strip().lower()
        if not code or code in seen:
            continue
        seen.add(code)
        ServiceLanguage.objects.create(
            id=lang["id"],
            service=service,
            code=code[:10],
            name=str(lang.get("name") or "")[:100],
            note=str(lang.get("note") or "")[:500],
        )


def import_data(
    data: Any, *, progress: Callable[[Iterable], Iterable] | None = None
) -> ImportReport:
    """Import HSDS data: each invalid record is reported with its reason, the rest are imported."""
    report = ImportReport()
    if not isinstance(data, dict) or not isinstance(data.get("services", []), list):
        report.errors.append("file: expected an object with 'organizations' and 'services' lists")
        return report
    portals = {o.slug: o for o in Organization.objects.all()}
    providers: dict[str, Provider] = {p.id: p for p in Provider.objects.all()}
    for i, rec in enumerate(data.get("organizations", []) or []):
        where = f"organizations[{i}] {rec.get('id', '?') if isinstance(rec, dict) else '?'}"
        problems = schema_errors(rec, "organization")
        if problems:
            report.errors.append(f"{where}: {problems[0]}")
            continue
        ext = rec.get("x_respite") or {}
        portal = portals.get(ext.get("portal") or "") if isinstance(ext, dict) else None
        try:
            _https(rec.get("website", ""), "website")
        except RecordError as exc:
            report.errors.append(f"{where}: {exc}")
            continue
        slug = ext.get("slug") if isinstance(ext, dict) else None
        provider, _ = Provider.objects.update_or_create(
            id=str(slug or rec["id"])[:64],
            defaults={
                "name": rec["name"][:200],
                "description": rec["description"],
                "website": rec.get("website", ""),
                "alternate_name": rec.get("alternate_name", ""),
                "email": rec.get("email", ""),
                "portal": portal,
            },
        )
        providers[provider.id] = provider
        providers[rec["id"]] = provider  # services name their organization by the file's id
    # Files exported by Respite name organizations by UUID; the directory keeps the slug.
    for provider in list(providers.values()):
        providers.setdefault(hsds_id("organization", provider.id), provider)
    services = data.get("services", [])
    for i, rec in enumerate(progress(services) if progress else services):
        where = f"services[{i}] {rec.get('id', '?') if isinstance(rec, dict) else '?'}"
        problems = schema_errors(rec, "service")
        if problems:
            report.errors.append(f"{where}: {problems[0]}")
            continue
        owner = providers.get(
            rec.get("organization_id") or (rec.get("organization") or {}).get("id", "")
        )
        if owner is None:
            report.errors.append(
                f"{where}: organization_id: no such organization in the file or the directory"
            )
            continue
        try:
            with transaction.atomic():
                fields = _service_fields(rec, portals)
                ext = rec.get("x_respite") or {}
                service, created = Service.objects.update_or_create(
                    id=str(ext.get("slug") or rec["id"])[:64],
                    defaults={"provider": owner, **fields},
                )
                _children(service, rec)
        except RecordError as exc:
            report.errors.append(f"{where}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the import
            report.errors.append(f"{where}: {type(exc).__name__}: {exc}")
            continue
        report.created += created
        report.updated += not created
    from respite.directory import search

    search.refresh_index()
    return report


def import_json(path: Path | str, **kwargs) -> ImportReport:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report = ImportReport()
        report.errors.append(f"{path}: cannot read HSDS JSON: {exc}")
        return report
    return import_data(data, **kwargs)


# --- tabular (CSV) form --------------------------------------------------------------------------
# HSDS's tabular form: one CSV per table, rows linked by *_id columns. Nested objects are flattened;
# the x_respite extension becomes x_respite_* columns on services.csv / organizations.csv.

TABLES = {
    "organizations": [
        "id",
        "name",
        "alternate_name",
        "description",
        "email",
        "website",
        "x_respite_slug",
        "x_respite_portal",
    ],
    "services": [
        "id",
        "organization_id",
        "name",
        "alternate_name",
        "description",
        "url",
        "email",
        "status",
        "application_process",
        "fees_description",
        "eligibility_description",
        "interpretation_services",
        "wait_time",
        "alert",
        "minimum_age",
        "maximum_age",
        "assured_date",
        "x_respite_name_es",
        "x_respite_description_es",
        "x_respite_keywords",
        "x_respite_source",
        "x_respite_portal_service",
        "x_respite_slug",
        "x_respite_portal",
    ],
    "phones": [
        "id",
        "service_id",
        "location_id",
        "contact_id",
        "number",
        "extension",
        "type",
        "description",
    ],
    "contacts": ["id", "service_id", "location_id", "name", "title", "department", "email"],
    "schedules": [
        "id",
        "service_id",
        "location_id",
        "valid_from",
        "valid_to",
        "freq",
        "byday",
        "timezone",
        "opens_at",
        "closes_at",
        "description",
        "schedule_link",
        "attending_type",
        "notes",
    ],
    "languages": ["id", "service_id", "code", "name", "note"],
    "service_areas": ["id", "service_id", "name", "description", "extent", "extent_type", "uri"],
    "cost_options": ["id", "service_id", *COST_OPTION_FIELDS],
    "attributes": ["id", "link_id", "link_type", "link_entity", "taxonomy_term_id", "value"],
    "taxonomy_terms": ["id", "code", "name", "description", "taxonomy_id"],
    "metadata": [
        "id",
        "resource_id",
        "resource_type",
        "last_action_date",
        "last_action_type",
        "field_name",
        "previous_value",
        "replacement_value",
        "updated_by",
    ],
    "locations": ["id", *LOCATION_FIELDS],
    "addresses": ["id", "location_id", *ADDRESS_FIELDS],
    "accessibility": ["id", "location_id", "description", "details", "url"],
    "service_at_location": ["id", "service_id", "location_id", "description"],
}
NUMERIC = {("phones", "extension"), ("schedules", "timezone"), ("cost_options", "amount")}
# Required by the HSDS schema even when empty: an empty CSV cell stays an empty string here.
KEEP_EMPTY = {
    ("metadata", "field_name"),
    ("metadata", "previous_value"),
    ("metadata", "replacement_value"),
    ("metadata", "updated_by"),
}


def export_csv(directory: Path | str, services: Iterable[Service] | None = None) -> dict[str, int]:
    data = export_data(services)
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    terms: dict[str, dict[str, Any]] = {}
    for org in data["organizations"]:
        ext = org.get("x_respite") or {}
        rows["organizations"].append({**org, **{f"x_respite_{k}": v for k, v in ext.items()}})
    for svc in data["services"]:
        ext = svc.get("x_respite") or {}
        rows["services"].append({**svc, **{f"x_respite_{k}": v for k, v in ext.items()}})
        for table in (
            "phones",
            "schedules",
            "languages",
            "service_areas",
            "cost_options",
            "metadata",
            "contacts",
        ):
            rows[table] += svc.get(table, [])
        for attr in svc.get("attributes", []):
            rows["attributes"].append(attr)
            terms[attr["taxonomy_term"]["id"]] = attr["taxonomy_term"]
        for sal in svc.get("service_at_locations", []):
            rows["service_at_location"].append(sal)
            rows["locations"].append(sal["location"])
            rows["addresses"] += sal["location"].get("addresses", [])
            rows["accessibility"] += sal["location"].get("accessibility", [])
    rows["taxonomy_terms"] = list(terms.values())
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for table, columns in TABLES.items():
        with (out / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows[table])
    (out / "datapackage.json").write_text(
        json.dumps(_datapackage(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return {"organizations": len(data["organizations"]), "services": len(data["services"])}


def _datapackage() -> dict[str, Any]:
    """The official HSDS 3.0 datapackage descriptor, cut to the files and columns Respite writes:
    each column keeps the official field definition; x_respite_* columns are declared as strings."""
    official = json.loads((SCHEMA_DIR / "datapackage.json").read_text(encoding="utf-8"))
    by_path = {r["path"]: r for r in official["resources"]}
    resources = []
    for table, columns in TABLES.items():
        resource = by_path[f"{table}.csv"]
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        resources.append(
            {
                **{k: v for k, v in resource.items() if k != "schema"},
                "schema": {
                    "primaryKey": resource["schema"].get("primaryKey", "id"),
                    "fields": [
                        fields.get(c, {"name": c, "type": "string", "title": c}) for c in columns
                    ],
                },
            }
        )
    return {**{k: v for k, v in official.items() if k != "resources"}, "resources": resources}


# Official tabular names (schema/datapackage.json) -> the schema of each table's rows.
CSV_SCHEMAS = {
    "organizations": "organization",
    "services": "service",
    "phones": "phone",
    "schedules": "schedule",
    "languages": "language",
    "service_areas": "service_area",
    "cost_options": "cost_option",
    "attributes": "attribute",
    "metadata": "metadata",
    "locations": "location",
    "service_at_location": "service_at_location",
    "taxonomy_terms": "taxonomy_term",
    "contacts": "contact",
    "addresses": "address",
    "accessibility": "accessibility",
}


@lru_cache(maxsize=32)
def _numeric_columns(table: str) -> frozenset[str]:
    """Columns the official schema types as number or integer: CSV gives text, JSON needs numbers."""
    name = CSV_SCHEMAS.get(table)
    if not name:
        return frozenset()
    props = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))["properties"]
    return frozenset(k for k, v in props.items() if v.get("type") in ("number", "integer"))


def read_csv(directory: Path | str) -> dict[str, Any]:
    """Rebuild the nested JSON form from HSDS CSV tables, so both forms share one validated import."""
    base = Path(directory)

    def table(name: str) -> list[dict[str, Any]]:
        path = base / f"{name}.csv"
        if not path.exists():
            return []
        with path.open(newline="", encoding="utf-8") as fh:
            result = []
            for row in csv.DictReader(fh):
                clean: dict[str, Any] = {}
                for k, v in row.items():
                    if k is None or v is None or (v == "" and (name, k) not in KEEP_EMPTY):
                        continue
                    if (name, k) in NUMERIC or k in _numeric_columns(name):
                        with contextlib.suppress(
                            ValueError
                        ):  # left as text: the schema check reports it
                            v = float(v) if "." in v else int(v)
                    clean[k] = v
                result.append(clean)
            return result

    by_service: dict[str, dict[str, list]] = {}

    def attach(name: str, key: str = "service_id") -> None:
        for row in table(name):
            by_service.setdefault(row.get(key, ""), {}).setdefault(name, []).append(row)

    for name in ("phones", "schedules", "languages", "service_areas", "cost_options", "contacts"):
        attach(name)
    terms = {t["id"]: t for t in table("taxonomy_terms")}
    for row in table("attributes"):
        if row.get("taxonomy_term_id") in terms:
            row["taxonomy_term"] = terms[row["taxonomy_term_id"]]
        by_service.setdefault(row.get("link_id", ""), {}).setdefault("attributes", []).append(row)
    for row in table("metadata"):
        by_service.setdefault(row.get("resource_id", ""), {}).setdefault("metadata", []).append(row)
    locations = {loc["id"]: loc for loc in table("locations")}
    for name in ("addresses", "accessibility"):
        for row in table(name):
            if row.get("location_id") in locations:
                locations[row["location_id"]].setdefault(name, []).append(row)
    for row in table("service_at_location"):
        row["location"] = locations.get(row.get("location_id", ""), {})
        by_service.setdefault(row.get("service_id", ""), {}).setdefault(
            "service_at_locations", []
        ).append(row)

    organizations = []
    for row in table("organizations"):
        ext = {k[len("x_respite_") :]: row.pop(k) for k in list(row) if k.startswith("x_respite_")}
        organizations.append({**row, **({"x_respite": ext} if ext else {})})
    services = []
    for row in table("services"):
        ext = {k[len("x_respite_") :]: row.pop(k) for k in list(row) if k.startswith("x_respite_")}
        record = {**row, **by_service.get(row.get("id", ""), {})}
        if ext:
            record["x_respite"] = ext
        services.append(record)
    return {"hsds_version": HSDS_VERSION, "organizations": organizations, "services": services}
