"""HSDS 3.0 measured against the official artefacts (hsds/schema and hsds/examples, tag v3.0, unmodified).

Exports validate with jsonschema's FormatChecker on; the official examples import without refusal,
and a field-by-field comparison of example -> import -> export prints every difference, so what
Respite does not model is listed rather than silently lost.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from respite.core.testing import PAGE_KEYS
from respite.directory.hsds import (
    EXAMPLES_DIR,
    SCHEMA_DIR,
    export_data,
    import_data,
    read_csv,
    schema_errors,
)
from respite.directory.models import Service

# What Respite stores from an HSDS service and must give back unchanged.
MODELLED = [
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
]


def _example(name: str) -> dict:
    return json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8"))


def test_the_vendored_schemas_are_the_official_release_with_their_notice():
    readme = (SCHEMA_DIR.parent / "README.md").read_text(encoding="utf-8")
    assert "tag `v3.0`" in readme and "Attribution-ShareAlike 4.0" in readme
    service = json.loads((SCHEMA_DIR / "service.json").read_text(encoding="utf-8"))
    assert service["properties"]["id"]["format"] == "uuid"
    # The official 3.0 example is accepted (the pre-release schema refused it).
    assert schema_errors(_example("service_full.json"), "service", formats=True) == []
    assert schema_errors(_example("organization_full.json"), "organization", formats=True) == []


def test_every_exported_record_validates_with_format_checks(demo_directory):
    data = export_data()
    assert len(data["services"]) == Service.objects.count()
    problems = [
        (rec["x_respite"]["slug"], err)
        for table in ("service", "organization")
        for rec in data[table + "s"]
        for err in schema_errors(rec, table, formats=True)
    ]
    assert problems == []
    # Slugs survive as x_respite/slug, so old links and re-imports still find the same entry.
    lifeline = next(s for s in data["services"] if s["x_respite"]["slug"] == "988-lifeline")
    assert len(lifeline["id"]) == 36


def _differences(given: dict, exported: dict, path: str = "") -> list[str]:
    """Every field of ``given`` that ``exported`` lacks or changes; list items are matched by id."""
    out = []
    for key, value in given.items():
        where = f"{path}{key}"
        if key not in exported:
            out.append(f"{where}: not kept")
        elif isinstance(value, dict) and isinstance(exported[key], dict):
            out += _differences(value, exported[key], where + "/")
        elif (
            isinstance(value, list)
            and isinstance(exported[key], list)
            and value
            and isinstance(value[0], dict)
        ):
            by_id = {item.get("id"): item for item in exported[key] if isinstance(item, dict)}
            for i, item in enumerate(value):
                other = by_id.get(item.get("id"))
                if other is None:
                    out.append(f"{where}/{i}: not kept")
                else:
                    out += _differences(item, other, f"{where}/{i}/")
        elif value != exported[key]:
            out.append(f"{where}: {value!r} -> {exported[key]!r}")
    return out


# The only differences allowed, each for a field Respite does not model (``*`` is any list index).
_SCHEDULE_RRULE = "Respite computes 'open now' from weekly hours; recurrence parts it cannot evaluate are not stored"
_RRULE_PARTS = (
    "dtstart",
    "until",
    "count",
    "wkst",
    "interval",
    "byweekno",
    "bymonthday",
    "byyearday",
)
_NOT_PER_CHILD = "languages are kept per service (id, code, name, note), not per phone or location"
ALLOWED = {
    "fees": "deprecated in HSDS 3.0; fees_description and cost_options are kept",
    "accreditations": "not modelled: Respite does not show accreditations",
    "licenses": "not modelled: Respite does not show licences of a service",
    "assurer_email": "not modelled: 'verified by' names an organization, never a person's email",
    "last_modified": "not exported: Respite's own change time (it drives modified_after) would "
    "change on every re-import",
    "organization": "exported once in the organizations list (and nested by GET /services/{id})",
    "funding": "not modelled: funding is not something a worker acts on",
    "program": "not modelled: Respite has no programs",
    "required_documents": "not modelled",
    "attributes/*": "only Respite's own facet taxonomy is kept; other taxonomies' attributes are not",
    "metadata/*": "only the verification record (assured date, by whom) is kept, not change logs",
    **{
        f"{where}schedules/*/{part}": _SCHEDULE_RRULE
        for where in ("", "service_at_locations/*/", "service_at_locations/*/location/")
        for part in _RRULE_PARTS
    },
    **{
        f"{where}schedules/*/{part}": "written as HH:MM with the schedule's UTC offset: the same time"
        for where in ("", "service_at_locations/*/", "service_at_locations/*/location/")
        for part in ("opens_at", "closes_at")
    },
    **{
        f"{where}phones/*/languages": _NOT_PER_CHILD
        for where in (
            "",
            "contacts/*/",
            "service_at_locations/*/",
            "service_at_locations/*/contacts/*/",
            "service_at_locations/*/location/",
            "service_at_locations/*/location/contacts/*/",
        )
    },
    "service_at_locations/*/location/languages": _NOT_PER_CHILD,
}
ORGANIZATION_ALLOWED = {
    "tax_status": "not modelled: not something a worker acts on",
    "year_incorporated": "not modelled",
    "legal_status": "not modelled",
    "logo": "not modelled: Respite shows no third-party images",
    "uri": "not modelled (website is kept)",
    "parent_organization_id": "not modelled: providers are not nested",
    "funding": "not modelled",
    "contacts": "contacts are kept per service and location, not per organization",
    "phones": "phones are kept per service, contact and location, not per organization",
    "locations": "locations are kept per service (service_at_location)",
    "programs": "not modelled: Respite has no programs",
    "organization_identifiers": "not modelled",
    "services": "services are imported from the services list and exported there",
}


def _unexplained(diff: list[str], allowed: dict[str, str]) -> list[str]:
    def pattern(line: str) -> str:
        where = line.split(": ", 1)[0]
        return re.sub(r"/\d+(?=/|$)", "/*", where)

    return [
        line
        for line in diff
        if pattern(line) not in allowed
        and not any(pattern(line).startswith(k + "/") for k in allowed if k.endswith("*"))
    ]


def _print(title: str, diff: list[str], allowed: dict[str, str]) -> None:
    print(f"\n{title}: {len(diff)} differences, each a field Respite does not model:")
    reasons: dict[str, list[str]] = {}
    for line in diff:
        where = re.sub(r"/\d+(?=/|$)", "/*", line.split(": ", 1)[0])
        key = where if where in allowed else next(k for k in allowed if where.startswith(k + "/"))
        reasons.setdefault(allowed[key], []).append(line.split(": ", 1)[0])
    for reason, lines in reasons.items():
        print(f"   {reason}: {', '.join(lines[:4])}{' ...' if len(lines) > 4 else ''}")


def test_official_json_examples_import_and_export_field_by_field(db, capsys):
    service, organization = _example("service_full.json"), _example("organization_full.json")
    report = import_data({"organizations": [organization], "services": [service]})
    assert report.errors == [] and report.created == 1
    data = export_data()
    exported, exported_org = data["services"][0], data["organizations"][0]
    diff = _differences(service, exported)
    org_diff = _differences(organization, exported_org)
    with capsys.disabled():
        _print("official service_full.json -> Respite -> HSDS", diff, ALLOWED)
        _print("official organization_full.json -> Respite -> HSDS", org_diff, ORGANIZATION_ALLOWED)
    assert _unexplained(diff, ALLOWED) == []
    assert _unexplained(org_diff, ORGANIZATION_ALLOWED) == []
    assert exported["id"] == service["id"]  # a UUID stays the id
    for key in MODELLED:
        assert exported.get(key) == service.get(key), key
    # Costs as given: pounds stay pounds, the option text stays.
    assert exported["cost_options"] == [{**service["cost_options"][0], "service_id": service["id"]}]
    assert (exported["minimum_age"], exported["maximum_age"]) == (12, 100)
    assert exported["wait_time"] == service["wait_time"]
    location = exported["service_at_locations"][0]["location"]
    assert (location["latitude"], location["longitude"]) == (100, 101)
    assert location["addresses"][0]["postal_code"] == "ABC 1234"
    assert location["accessibility"][0]["details"].startswith("Switch hearing aid")
    assert exported["contacts"][0]["name"] == "Ann Persona"
    assert exported["service_areas"][0]["extent_type"] == "geojson"
    assert [(lang["code"], lang["name"]) for lang in exported["languages"]] == [("ur", "Urdu")]
    # Nothing invented: the example says nothing about confidentiality or a national scope.
    stored = Service.objects.get(pk=service["id"])
    assert stored.confidentiality == ""
    assert stored.area_scope != "national" and stored.area_name.startswith("The service")
    kinds = {a["link_type"] for a in exported["attributes"]}
    assert "confidentiality" not in kinds
    # Importing the export again changes nothing, ids included.
    assert import_data(data).errors == []
    assert export_data() == data


def test_child_ids_are_stable_across_exports_and_reimports(demo_directory):
    from respite.directory.models import Provider

    first = export_data()
    assert export_data() == first  # not regenerated per export
    Service.objects.all().delete()
    Provider.objects.all().delete()
    report = import_data(json.loads(json.dumps(first)))
    assert report.errors == []
    again = export_data()
    assert again == first
    # Slugs stay the ids Respite links by: the old service page address still works.
    assert Service.objects.filter(pk="988-lifeline").exists()
    ids = [p["id"] for s in again["services"] for p in s["phones"] + s.get("cost_options", [])]
    assert ids and all(len(i) == 36 for i in ids)


def _csv_rows(directory: Path) -> dict[str, dict[str, dict[str, str]]]:
    out = {}
    for path in directory.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as fh:
            out[path.stem] = {row["id"]: row for row in csv.DictReader(fh)}
    return out


# Official tabular columns Respite does not write, with the reason (see ALLOWED above).
CSV_ALLOWED = {
    "services": {
        "program_id": "no programs",
        "fees": ALLOWED["fees"],
        "accreditations": ALLOWED["accreditations"],
        "assurer_email": ALLOWED["assurer_email"],
        "licenses": ALLOWED["licenses"],
        "last_modified": ALLOWED["last_modified"],
    },
    "organizations": {
        k: ORGANIZATION_ALLOWED[k]
        for k in (
            "tax_status",
            "year_incorporated",
            "legal_status",
            "logo",
            "uri",
            "parent_organization_id",
        )
    }
    | {"tax_id": "not modelled"},
    "phones": {
        "organization_id": ORGANIZATION_ALLOWED["phones"],
        "service_at_location_id": "a service_at_location is one Respite location: location_id says it",
    },
    "contacts": {
        "organization_id": ORGANIZATION_ALLOWED["contacts"],
        "service_at_location_id": "a service_at_location is one Respite location: location_id says it",
    },
    "schedules": {
        "service_at_location_id": "a service_at_location is one Respite location: location_id says it",
        **{k: _SCHEDULE_RRULE for k in _RRULE_PARTS},
        "opens_at": "written as HH:MM with the schedule's UTC offset: the same time",
        "closes_at": "written as HH:MM with the schedule's UTC offset: the same time",
    },
    "languages": {"location_id": _NOT_PER_CHILD, "phone_id": _NOT_PER_CHILD},
    "locations": {"organization_id": ORGANIZATION_ALLOWED["locations"]},
    "attributes": {"*": ALLOWED["attributes/*"]},
    "taxonomy_terms": {"*": ALLOWED["attributes/*"]},
    "taxonomies": {"*": ALLOWED["attributes/*"]},
    "metadata": {"*": ALLOWED["metadata/*"]},
    "funding": {"*": ALLOWED["funding"]},
    "programs": {"*": ALLOWED["program"]},
    "required_documents": {"*": ALLOWED["required_documents"]},
    "organization_identifiers": {"*": ORGANIZATION_ALLOWED["organization_identifiers"]},
    "meta_table_descriptions": {"*": "describes the example package itself, not directory data"},
}


def test_official_tabular_example_imports_and_exports_field_by_field(db, tmp_path, capsys):
    from respite.directory.hsds import export_csv

    source = EXAMPLES_DIR / "csv"
    report = import_data(read_csv(source))
    assert report.errors == [] and report.imported == 1
    export_csv(tmp_path)
    given, exported = _csv_rows(source), _csv_rows(tmp_path)
    diff = []
    for table, rows in given.items():
        allowed = CSV_ALLOWED.get(table, {})
        if "*" in allowed:
            continue
        for row_id, row in rows.items():
            other = exported.get(table, {}).get(row_id)
            if other is None:
                diff.append(f"{table}.csv {row_id}: not kept")
                continue
            for column, value in row.items():
                if value and other.get(column, "") != value and column not in allowed:
                    diff.append(
                        f"{table}.csv {row_id} {column}: {value!r} -> {other.get(column)!r}"
                    )
    with capsys.disabled():
        kept = sum(len(r) for t, r in given.items() if "*" not in CSV_ALLOWED.get(t, {}))
        print(
            f"\nofficial tabular example -> Respite -> tabular: {kept} rows compared, {len(diff)} "
            "unexplained differences"
        )
        for line in diff:
            print("  ", line)
    assert diff == []
    # Costs as given in the tabular form too: the currency and amount are not converted.
    (given_cost,) = given["cost_options"].values()
    (exported_cost,) = exported["cost_options"].values()
    assert (exported_cost["currency"], exported_cost["amount"]) == (
        given_cost["currency"],
        given_cost["amount"],
    )


def test_tabular_export_uses_official_file_names_and_a_datapackage(directory, tmp_path: Path):
    from respite.directory.hsds import export_csv

    export_csv(tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert "service_at_location.csv" in names and "service_at_locations.csv" not in names
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    paths = {r["path"] for r in package["resources"]}
    assert paths <= {p for p in names if p.endswith(".csv")}
    assert "services.csv" in paths


# Each list endpoint of the API reference and the official schema of its items.
LIST_ITEM_SCHEMAS = {
    "/services": "compiled/service_list",
    "/organizations": "compiled/organization_list",
    "/service_at_locations": "compiled/service_at_location_list",
    "/taxonomies": "taxonomy",
    "/taxonomy_terms": "taxonomy_term",
}


def _official_openapi() -> dict:
    return json.loads((SCHEMA_DIR / "openapi.json").read_text(encoding="utf-8"))


def test_every_endpoint_of_the_hsds_api_reference_answers(client, demo_directory):
    from respite.directory.hsds import hsds_id

    root = client.get("/api/v1/")
    assert root.status_code == 200
    meta = root.json()
    assert meta["version"] == "3.0"
    assert meta["openapi_url"].endswith("/api/v1/openapi.json")
    assert client.get(meta["openapi_url"]).status_code == 200
    lifeline = hsds_id("service", "988-lifeline")
    usda = hsds_id("organization", "usda-fns")
    taxonomy = client.get("/api/v1/taxonomies").json()["contents"][0]["id"]
    term = client.get("/api/v1/taxonomy_terms").json()["contents"][0]["id"]
    sal = client.get("/api/v1/service_at_locations", {"organization": "riverside"}).json()
    sal_id = sal["contents"][0]["id"]
    ids = {
        "/services/{id}": lifeline,
        "/organizations/{id}": usda,
        "/taxonomies/{id}": taxonomy,
        "/taxonomy_terms/{id}": term,
        "/service_at_locations/{id}": sal_id,
    }
    answered = []
    for path in _official_openapi()["paths"]:
        url = "/api/v1" + path.replace("{id}", ids.get(path, ""))
        query = {"organization": "riverside"} if "service_at_locations" in path else {}
        response = client.get(url, query)
        assert response.status_code == 200, (path, response.content[:200])
        answered.append(path)
        if path in LIST_ITEM_SCHEMAS:
            page = response.json()
            assert set(page) >= PAGE_KEYS, path
            assert page["contents"], path
            for item in page["contents"]:
                assert schema_errors(item, LIST_ITEM_SCHEMAS[path], formats=True) == [], path
    assert len(answered) == 11
    # Detail answers validate too (format checker on).
    detail = client.get(f"/api/v1/services/{lifeline}").json()
    assert schema_errors(detail, "service", formats=True) == []
    org = client.get(f"/api/v1/organizations/{usda}").json()
    bare = {k: v for k, v in org.items() if k != "services"}
    assert schema_errors(bare, "organization", formats=True) == []
    for rec in org["services"]:
        assert schema_errors(rec, "service", formats=True) == []
    one = client.get(f"/api/v1/service_at_locations/{sal_id}", {"organization": "riverside"})
    assert schema_errors(one.json(), "service", formats=True) == []
    assert client.get(f"/api/v1/taxonomy_terms/{hsds_id('x', 'nope')}").status_code == 404
    assert client.get(f"/api/v1/services/{hsds_id('x', 'nope')}").status_code == 404


def test_hsds_api_reference_endpoints_and_parameters(client, demo_directory):
    from respite.directory.hsds import hsds_id

    lifeline = client.get("/api/v1/services", {"search": "988 lifeline", "per_page": 1}).json()
    assert lifeline["contents"][0]["x_respite"]["slug"] == "988-lifeline"
    org_uuid = hsds_id("organization", "usda-fns")
    page = client.get("/api/v1/services", {"organization_id": org_uuid, "per_page": 100}).json()
    assert {s["x_respite"]["slug"] for s in page["contents"]} == {
        "snap",
        "wic",
        "national-hunger-hotline",
    }
    assert client.get("/api/v1/services", {"modified_after": "2999-01-01"}).json()["empty"]
    assert client.get("/api/v1/services", {"modified_after": "2000-01-01"}).json()["total_items"]
    assert client.get("/api/v1/services", {"modified_after": "yesterday"}).status_code == 422
    # Paging: per_page and page walk the list without overlap.
    first = client.get("/api/v1/services", {"per_page": 5, "page": 1}).json()
    second = client.get("/api/v1/services", {"per_page": 5, "page": 2}).json()
    assert first["size"] == 5 and first["first_page"] and not second["first_page"]
    assert not {s["id"] for s in first["contents"]} & {s["id"] for s in second["contents"]}
    assert client.get("/api/v1/services", {"per_page": 1000}).status_code == 422
    # search on /organizations.
    found = client.get("/api/v1/organizations", {"search": "nutrition usda"}).json()
    assert [o["id"] for o in found["contents"]] == [org_uuid]
    assert client.get("/api/v1/organizations", {"search": "zzzz-nothing"}).json()["empty"]
    org = client.get(f"/api/v1/organizations/{org_uuid}").json()
    assert org["id"] == org_uuid and len(org["services"]) == 3
    terms = client.get("/api/v1/taxonomy_terms", {"per_page": 100}).json()["contents"]
    assert all(schema_errors(t, "taxonomy_term", formats=True) == [] for t in terms)
    nurse = client.get("/api/v1/taxonomy_terms", {"search": "nurse"}).json()["contents"]
    assert [t["code"] for t in nurse] == ["nurse"]
    assert client.get("/api/v1/taxonomies").json()["total_items"] == 1
    riverside = {"organization": "riverside"}
    sal = client.get("/api/v1/service_at_locations", riverside).json()
    assert sal["total_items"] >= 1
    for rec in sal["contents"]:
        assert schema_errors(rec, "service_at_location", formats=True) == []
    service = client.get(f"/api/v1/services/{sal['contents'][0]['service_id']}", riverside).json()
    by_org = client.get(
        "/api/v1/service_at_locations",
        {**riverside, "organization_id": service["organization_id"]},
    ).json()
    assert by_org["total_items"] >= 1
    other = client.get(
        "/api/v1/service_at_locations", {**riverside, "organization_id": org_uuid}
    ).json()
    assert other["empty"]
    after = {**riverside, "modified_after": "2999-01-01"}
    assert client.get("/api/v1/service_at_locations", after).json()["empty"]
    nothing = {**riverside, "search": "zzzz-nothing"}
    assert client.get("/api/v1/service_at_locations", nothing).json()["empty"]
    # Another portal's local locations stay out of a portal-less listing.
    assert client.get("/api/v1/service_at_locations").json()["total_items"] == 0
