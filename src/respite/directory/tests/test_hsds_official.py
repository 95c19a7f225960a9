"""HSDS 3.0 measured against the official artefacts (hsds/schema and hsds/examples, tag v3.0, unmodified).

Exports validate with jsonschema's FormatChecker on; the official examples import without refusal,
and a field-by-field comparison of example -> import -> export prints every difference, so what
Respite does not model is listed rather than silently lost.
"""

from __future__ import annotations

import json
from pathlib import Path

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
            for i, item in enumerate(value):
                other = exported[key][i] if i < len(exported[key]) else {}
                out += _differences(item, other, f"{where}/{i}/")
        elif value != exported[key]:
            out.append(f"{where}: {value!r} -> {exported[key]!r}")
    return out


def test_official_json_examples_import_and_export_field_by_field(db, capsys):
    service, organization = _example("service_full.json"), _example("organization_full.json")
    report = import_data({"organizations": [organization], "services": [service]})
    assert report.errors == [] and report.created == 1
    exported = export_data()["services"][0]
    diff = _differences(service, exported)
    with capsys.disabled():
        print(f"\nofficial service_full.json -> Respite -> HSDS: {len(diff)} differences")
        for line in diff:
            print("  ", line)
    assert exported["id"] == service["id"]  # a UUID stays the id
    for key in MODELLED:
        assert exported.get(key) == service.get(key), key
    assert [p["number"] for p in exported["phones"]] == [p["number"] for p in service["phones"]]
    assert exported["phones"][0]["extension"] == service["phones"][0]["extension"]
    assert [lang["code"] for lang in exported["languages"]] == ["ur"]
    # Nothing invented: the example says nothing about confidentiality or a national scope.
    stored = Service.objects.get(pk=service["id"])
    assert stored.confidentiality == ""
    assert stored.area_scope != "national" and stored.area_name.startswith("The service")
    kinds = {a["link_type"] for a in exported["attributes"]}
    assert "confidentiality" not in kinds


def test_official_tabular_example_imports_without_refusal(db):
    assert (EXAMPLES_DIR / "datapackage.json").exists()
    data = read_csv(EXAMPLES_DIR / "csv")
    report = import_data(data)
    assert report.errors == []
    assert report.imported == len(data["services"]) == 1


def test_tabular_export_uses_official_file_names_and_a_datapackage(directory, tmp_path: Path):
    from respite.directory.hsds import export_csv

    export_csv(tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert "service_at_location.csv" in names and "service_at_locations.csv" not in names
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    paths = {r["path"] for r in package["resources"]}
    assert paths <= {p for p in names if p.endswith(".csv")}
    assert "services.csv" in paths


def test_hsds_api_reference_endpoints_and_parameters(client, demo_directory, capsys):
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
    org = client.get(f"/api/v1/organizations/{org_uuid}").json()
    assert org["id"] == org_uuid and len(org["services"]) == 3
    assert schema_errors({k: v for k, v in org.items()}, "organization", formats=True) == []
    terms = client.get("/api/v1/taxonomy_terms", {"per_page": 100}).json()["contents"]
    assert all(schema_errors(t, "taxonomy_term", formats=True) == [] for t in terms)
    assert client.get("/api/v1/taxonomies").json()["total_items"] == 1
    sal = client.get("/api/v1/service_at_locations", {"organization": "riverside"}).json()
    assert sal["total_items"] >= 1
    for rec in sal["contents"]:
        assert schema_errors(rec, "service_at_location", formats=True) == []
    # Another portal's local locations stay out of a portal-less listing.
    assert client.get("/api/v1/service_at_locations").json()["total_items"] == 0
