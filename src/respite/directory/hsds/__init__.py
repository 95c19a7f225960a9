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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from django.db import transaction
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from respite.core.models import Organization
from respite.core.roles import RoleGroup
from respite.directory.models import (
    AreaScope,
    Audience,
    Channel,
    Confidentiality,
    Cost,
    Location,
    Phone,
    Provider,
    Schedule,
    Service,
    Tier,
    hhmm,
)

SCHEMA_DIR = Path(__file__).resolve().parent
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


def _retrieve(uri: str) -> Resource:
    """HSDS tables Respite does not use are not shipped: accept any JSON object there."""
    return Resource.from_contents({"type": "object"}, default_specification=DRAFT202012)


@lru_cache(maxsize=1)
def _registry() -> Registry:
    resources = []
    for path in SCHEMA_DIR.glob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append(
            (BASE + path.name, Resource.from_contents(contents, default_specification=DRAFT202012))
        )
    return Registry(retrieve=_retrieve).with_resources(resources)


@lru_cache(maxsize=4)
def validator(table: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMA_DIR / f"{table}.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def schema_errors(record: Any, table: str) -> list[str]:
    """Human-readable schema errors of one HSDS record ("phones/0/number: 'number' is a required property")."""
    errors = sorted(
        validator(table).iter_errors(record), key=lambda e: list(map(str, e.absolute_path))
    )
    return [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in errors]


# --- export ------------------------------------------------------------------------------------


def _attr(service_id: str, link_type: str, value: str) -> dict[str, Any]:
    term_id = f"{TAXONOMY}:{link_type}:{value}"
    return {
        "id": f"{service_id}:{link_type}:{value}",
        "link_id": service_id,
        "link_type": link_type,
        "link_entity": "service",
        "taxonomy_term_id": term_id,
        "value": value,
        "taxonomy_term": {
            "id": term_id,
            "code": value,
            "name": value,
            "description": f"Respite {link_type}: {value}",
            "taxonomy_id": TAXONOMY,
        },
    }


def provider_to_hsds(provider: Provider) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": provider.id,
        "name": provider.name,
        "description": provider.description,
    }
    for key in ("alternate_name", "website", "email"):
        if getattr(provider, key):
            data[key] = getattr(provider, key)
    if provider.portal_id:
        data["x_respite"] = {"portal": provider.portal.slug}
    return data


def service_to_hsds(s: Service) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": s.id,
        "organization_id": s.provider_id,
        "name": s.name,
        "status": s.status,
        "description": s.description,
    }
    for key in (
        "alternate_name",
        "url",
        "email",
        "application_process",
        "fees_description",
        "eligibility_description",
    ):
        if getattr(s, key):
            data[key] = getattr(s, key)
    if s.assured_date:
        data["assured_date"] = s.assured_date.isoformat()
    data["phones"] = [
        {
            "id": p.id,
            "service_id": s.id,
            "number": p.number,
            **({"extension": p.extension} if p.extension else {}),
            **({"type": p.type} if p.type else {}),
            **({"description": p.description} if p.description else {}),
        }
        for p in s.phones.all()
    ]
    data["schedules"] = [
        {
            "id": sc.id,
            "service_id": s.id,
            "freq": sc.freq,
            "byday": sc.byday,
            "timezone": sc.timezone,
            "opens_at": hhmm(sc.opens_at, sc.timezone),
            "closes_at": hhmm(sc.closes_at, sc.timezone),
            **({"description": sc.description} if sc.description else {}),
        }
        for sc in s.schedules.all()
    ]
    data["languages"] = [
        {
            "id": f"{s.id}:lang:{code}",
            "service_id": s.id,
            "code": code,
            "name": LANGUAGE_NAMES.get(code, code),
        }
        for code in s.languages
    ]
    area_name = s.area_name or (
        "United States" if s.area_scope == AreaScope.NATIONAL else ", ".join(s.area_states)
    )
    extent = (
        "US" if s.area_scope == AreaScope.NATIONAL else ",".join(f"US-{st}" for st in s.area_states)
    )
    data["service_areas"] = [
        {
            "id": f"{s.id}:area",
            "service_id": s.id,
            "name": area_name,
            "extent": extent,
            "extent_type": "text",
        }
    ]
    data["cost_options"] = [
        {
            "id": f"{s.id}:cost",
            "service_id": s.id,
            "option": s.cost,
            "currency": "USD",
            **({"amount": 0} if s.cost == Cost.FREE else {}),
        }
    ]
    attributes = []
    for link_type, (fname, _allowed, is_list) in FACETS.items():
        values = getattr(s, fname) if is_list else [getattr(s, fname)]
        attributes += [_attr(s.id, link_type, v) for v in values]
    if s.available_24_7:
        attributes.append(_attr(s.id, "availability", "24_7"))
    data["attributes"] = attributes
    if s.assured_date:
        data["metadata"] = [
            {
                "id": f"{s.id}:verified",
                "resource_id": s.id,
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
        {
            "id": f"{s.id}:at:{loc.id}",
            "service_id": s.id,
            "location_id": loc.id,
            "location": {
                "id": loc.id,
                "location_type": loc.location_type,
                "name": loc.name,
                **({"description": loc.description} if loc.description else {}),
            },
        }
        for loc in s.locations.all()
    ]
    ext = {
        k: getattr(s, k)
        for k in ("name_es", "description_es", "keywords", "source")
        if getattr(s, k)
    }
    if s.portal_id:
        ext["portal"] = s.portal.slug
    if ext:
        data["x_respite"] = ext
    return data


def export_data(services: Iterable[Service] | None = None) -> dict[str, Any]:
    if services is None:
        services = Service.objects.all()
    services = list(
        Service.objects.filter(pk__in=[s.pk for s in services])
        .order_by("id")
        .select_related("portal", "provider")
        .prefetch_related("phones", "schedules", "locations")
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
    if url and not url.startswith("https://"):
        raise RecordError(f"{what}: only https:// links are accepted")
    return url


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
        "roles": [],
        "audiences": [],
        "channels": [],
        "tiers": [],
        "available_24_7": False,
        "confidentiality": Confidentiality.CONFIDENTIAL,
        "area_scope": AreaScope.NATIONAL,
    }
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
    fields["languages"] = sorted(
        {(lang.get("code") or "").lower()[:2] for lang in rec.get("languages", [])} - {""}
    )
    costs = [c.get("option") for c in rec.get("cost_options", [])]
    fields["cost"] = (
        costs[0] if costs and costs[0] in Cost.values else (Cost.FREE if not costs else Cost.VARIES)
    )
    areas = rec.get("service_areas", [])
    states: list[str] = []
    for area in areas:
        for part in (area.get("extent") or "").split(","):
            part = part.strip().upper()
            if part.startswith("US-") and len(part) == 5:
                states.append(part[3:])
    fields["area_states"] = sorted(set(states))
    fields["area_name"] = (
        areas[0].get("name", "") if areas and fields["area_scope"] != AreaScope.NATIONAL else ""
    )
    if fields["area_scope"] != AreaScope.NATIONAL and not states:
        raise RecordError("service_areas: a state or local service needs an extent like US-CA")
    portal_slug = ext.get("portal")
    fields["portal"] = None
    if portal_slug:
        if portal_slug not in portals:
            raise RecordError(f"x_respite/portal: no portal {portal_slug!r}")
        fields["portal"] = portals[portal_slug]
    return fields


def _children(service: Service, rec: dict[str, Any]) -> None:
    service.phones.all().delete()
    service.schedules.all().delete()
    service.locations.all().delete()
    for p in rec.get("phones", []):
        Phone.objects.create(
            id=p["id"],
            service=service,
            number=p["number"],
            extension=p.get("extension"),
            type=p.get("type", ""),
            description=p.get("description", ""),
        )
    for sc in rec.get("schedules", []):
        if not sc.get("opens_at") or not sc.get("closes_at"):
            raise RecordError("schedules: opens_at and closes_at are required")
        opens, tz = _hhmm_parse(sc["opens_at"])
        closes, _tz = _hhmm_parse(sc["closes_at"])
        Schedule.objects.create(
            id=sc["id"],
            service=service,
            freq=sc.get("freq") or "WEEKLY",
            byday=sc.get("byday") or "MO,TU,WE,TH,FR",
            opens_at=opens,
            closes_at=closes,
            timezone=int(sc.get("timezone", tz)),
            description=sc.get("description", ""),
        )
    for sal in rec.get("service_at_locations", []):
        loc = sal.get("location") or {}
        if not loc.get("id"):
            raise RecordError("service_at_locations: location with an id is required")
        Location.objects.create(
            id=loc["id"],
            service=service,
            location_type=loc.get("location_type", "physical"),
            name=loc.get("name", ""),
            description=loc.get("description", ""),
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
        portal = portals.get(ext.get("portal")) if isinstance(ext, dict) else None
        try:
            _https(rec.get("website", ""), "website")
        except RecordError as exc:
            report.errors.append(f"{where}: {exc}")
            continue
        provider, _ = Provider.objects.update_or_create(
            id=rec["id"],
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
    services = data.get("services", [])
    for i, rec in enumerate(progress(services) if progress else services):
        where = f"services[{i}] {rec.get('id', '?') if isinstance(rec, dict) else '?'}"
        problems = schema_errors(rec, "service")
        if problems:
            report.errors.append(f"{where}: {problems[0]}")
            continue
        provider = providers.get(
            rec.get("organization_id") or (rec.get("organization") or {}).get("id", "")
        )
        if provider is None:
            report.errors.append(
                f"{where}: organization_id: no such organization in the file or the directory"
            )
            continue
        try:
            with transaction.atomic():
                fields = _service_fields(rec, portals)
                service, created = Service.objects.update_or_create(
                    id=rec["id"], defaults={"provider": provider, **fields}
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
        "assured_date",
        "x_respite_name_es",
        "x_respite_description_es",
        "x_respite_keywords",
        "x_respite_source",
        "x_respite_portal",
    ],
    "phones": ["id", "service_id", "number", "extension", "type", "description"],
    "schedules": [
        "id",
        "service_id",
        "freq",
        "byday",
        "timezone",
        "opens_at",
        "closes_at",
        "description",
    ],
    "languages": ["id", "service_id", "code", "name"],
    "service_areas": ["id", "service_id", "name", "extent", "extent_type"],
    "cost_options": ["id", "service_id", "option", "currency", "amount"],
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
    "locations": ["id", "location_type", "name", "description"],
    "service_at_locations": ["id", "service_id", "location_id"],
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
        rows["organizations"].append(
            {**org, "x_respite_portal": (org.get("x_respite") or {}).get("portal", "")}
        )
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
        ):
            rows[table] += svc.get(table, [])
        for attr in svc.get("attributes", []):
            rows["attributes"].append(attr)
            terms[attr["taxonomy_term"]["id"]] = attr["taxonomy_term"]
        for sal in svc.get("service_at_locations", []):
            rows["service_at_locations"].append(sal)
            rows["locations"].append(sal["location"])
    rows["taxonomy_terms"] = list(terms.values())
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for table, columns in TABLES.items():
        with (out / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows[table])
    return {"organizations": len(data["organizations"]), "services": len(data["services"])}


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
                    if (name, k) in NUMERIC:
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

    for name in ("phones", "schedules", "languages", "service_areas", "cost_options"):
        attach(name)
    terms = {t["id"]: t for t in table("taxonomy_terms")}
    for row in table("attributes"):
        if row.get("taxonomy_term_id") in terms:
            row["taxonomy_term"] = terms[row["taxonomy_term_id"]]
        by_service.setdefault(row.get("link_id", ""), {}).setdefault("attributes", []).append(row)
    for row in table("metadata"):
        by_service.setdefault(row.get("resource_id", ""), {}).setdefault("metadata", []).append(row)
    locations = {loc["id"]: loc for loc in table("locations")}
    for row in table("service_at_locations"):
        row["location"] = locations.get(row.get("location_id", ""), {})
        by_service.setdefault(row.get("service_id", ""), {}).setdefault(
            "service_at_locations", []
        ).append(row)

    organizations = []
    for row in table("organizations"):
        portal = row.pop("x_respite_portal", "")
        organizations.append({**row, **({"x_respite": {"portal": portal}} if portal else {})})
    services = []
    for row in table("services"):
        ext = {k[len("x_respite_") :]: row.pop(k) for k in list(row) if k.startswith("x_respite_")}
        record = {**row, **by_service.get(row.get("id", ""), {})}
        if ext:
            record["x_respite"] = ext
        services.append(record)
    return {"hsds_version": HSDS_VERSION, "organizations": organizations, "services": services}
