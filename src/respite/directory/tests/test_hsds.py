"""The shipped data, HSDS 3 validation, import/export round trips and the CLI."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from respite.directory.demo import SEED_FILE
from respite.directory.hsds import export_csv, export_data, import_data, read_csv, schema_errors
from respite.directory.models import Phone, Service

# Every resource the seed documents name (ALL IN toolkit, NRHI/ICSI, National Plan, IHI, UCSF).
SEED_RESOURCES = [
    "988 Suicide & Crisis Lifeline",
    "Crisis Text Line",
    "Safe Call Now",
    "911 At Ease",
    "The Battle Within",
    "The Emotional PPE Project",
    "Physician Support Line",
    "Professional/Physician Health Programs",
    "American Foundation for Suicide Prevention",
    "NAMI Healthcare Professional Resources",
    "Frontline Connect",
    "Marvin Behavioral Health",
    "Strengthening the Health Care Workforce",
    "STEPS Forward",
    "Peer Support by Dr. Jo Shapiro",
    "RISE Peer Support",
    "Schwartz Rounds",
    "Wellbeing First Champion Challenge",
    "Impact Wellbeing",
    "Suicide Prevention: Evidence-Informed Interventions",
    "PEER™",
    "FSPHP-ETA",
    "State Confidentiality Laws",
    "ICSI: How Systems Can Help Their Workers",
    "ICSI: How Workers Can Get Help Themselves",
    "National Plan for Health Workforce Well-Being",
    "Resource Compendium",
    "Nursing Peer Support",
    "Health Workforce Well-Being Day",
    "Help Health Care Heal",
    "Secondary Traumatic Stress",
    "Mental Health Month",
    "ALL IN for Mental Health",
    # The UCSF report's Appendix 3 programs a worker or a leader can use.
    "Frontline Workers Counseling Project",
    "UCSF COPE",
    "Collaborative for Healing and Renewal in Medicine (CHARM)",
    "Stanford Medicine WellMD",
    "Clinician Well-Being Knowledge Hub",
    "Trauma Transformed",
    "National Child Traumatic Stress Network",
    "Compassion Fatigue Awareness Project",
    "California Primary Care Association",
    "Northwest Regional Primary Care Association",
    "Wellness Council of America",
]


def _seed() -> dict:
    return json.loads(SEED_FILE.read_text(encoding="utf-8"))


def test_every_seed_resource_is_shipped():
    names = [s["name"] for s in _seed()["services"]]
    missing = [r for r in SEED_RESOURCES if not any(r in n for n in names)]
    assert missing == []


def test_shipped_file_validates_against_hsds_schema():
    data = _seed()
    assert data["hsds_version"] == "3.0"
    for org in data["organizations"]:
        assert schema_errors(org, "organization") == []
    for service in data["services"]:
        assert schema_errors(service, "service") == []


def test_contact_points_match_the_reference_and_every_worker_entry_is_reachable():
    services = {s["id"]: s for s in _seed()["services"]}
    numbers = {sid: [p["number"] for p in s["phones"]] for sid, s in services.items()}
    # reference.md: the crisis and confidential lines' own numbers.
    assert numbers["988-lifeline"] == ["988", "988"]
    assert numbers["crisis-text-line"] == ["741741", "741741"]
    assert numbers["safe-call-now"] == ["1-206-459-3020"]
    assert numbers["physician-support-line"] == ["1-888-409-0141"]
    psl_hours = services["physician-support-line"]["schedules"][0]
    assert (psl_hours["opens_at"], psl_hours["closes_at"]) == ("08:00-05:00", "01:00-05:00")
    unreachable = [
        sid
        for sid, s in services.items()
        if not s.get("url")
        and not s["phones"]
        # The portal's own services are reached through the portal's own pages.
        and not s["x_respite"].get("portal_service")
        and any(a["link_type"] == "audience" and a["value"] == "worker" for a in s["attributes"])
    ]
    # Not yet confirmed from a primary source: a person must add these before they are called done.
    # eap-finder is advice (ask your HR or benefits office), not a line of its own.
    assert set(unreachable) <= {"911-at-ease", "battle-within", "eap-finder"}


def test_seed_dates_are_the_documents_not_the_import():
    """Nobody verified the shipped entries, so none claims a verification date; each names its source."""
    for s in _seed()["services"]:
        assert "assured_date" not in s, s["id"]
        assert s["x_respite"]["source"], s["id"]
    sources = {s["x_respite"]["source"] for s in _seed()["services"]}
    assert "ALL IN toolkit for The Pitt (2025)" in sources


def test_national_social_needs_resources_are_listed():
    ids = {s["id"] for s in _seed()["services"]}
    assert {
        "211",
        "snap",
        "wic",
        "national-hunger-hotline",
        "childcare-gov",
        "hud-housing-counseling",
    } <= ids


def test_schema_rejects_what_hsds_rejects():
    record = _seed()["services"][0]
    assert schema_errors({**record, "status": "open"}, "service")
    assert schema_errors({k: v for k, v in record.items() if k != "name"}, "service")
    assert schema_errors({**record, "phones": [{"id": "x"}]}, "service") == [
        "phones/0: 'number' is a required property"
    ]


def test_json_round_trip_is_identical(directory, riverside, lakeview):
    from respite.directory.demo import DEMO_LOCAL_FILE
    from respite.directory.hsds import import_json

    import_json(DEMO_LOCAL_FILE)
    first = export_data()
    for table in ("service", "organization"):
        for rec in first[table + "s"]:
            assert schema_errors(rec, table) == []
    Service.objects.all().delete()
    assert Service.objects.count() == 0
    report = import_data(json.loads(json.dumps(first)))
    assert report.errors == []
    assert export_data() == first


def test_csv_round_trip_is_identical(directory, tmp_path):
    first = export_data()
    export_csv(tmp_path)
    assert (
        (tmp_path / "services.csv")
        .read_text(encoding="utf-8")
        .startswith("id,organization_id,name")
    )
    Service.objects.all().delete()
    report = import_data(read_csv(tmp_path))
    assert report.errors == []
    assert export_data() == first


def test_invalid_records_are_reported_and_the_rest_imported(db):
    data = _seed()
    good = data["services"][:3]
    bad_status = {**data["services"][3], "status": "open"}
    bad_role = {
        **data["services"][4],
        "attributes": [{"id": "a", "link_type": "eligibility", "value": "astronaut"}],
    }
    bad_url = {**data["services"][5], "url": "javascript:alert(1)"}
    no_org = {**data["services"][6], "organization_id": "nobody"}
    data["services"] = [*good, bad_status, bad_role, bad_url, no_org]
    report = import_data(data)
    assert report.created == 3
    assert len(report.errors) == 4
    joined = "\n".join(report.errors)
    assert f"services[3] {bad_status['id']}: status: 'open' is not one of" in joined
    assert "unknown eligibility 'astronaut'" in joined
    assert "only http:// and https:// links" in joined
    assert "no such organization" in joined
    assert Service.objects.count() == 3


def test_import_sanitizes_descriptions(directory):
    data = _seed()
    rec = {
        **data["services"][0],
        "description": '<p onclick="x()">Hi</p><script>alert(1)</script><img src=x onerror=alert(1)>',
    }
    data["services"] = [rec]
    import_data(data)
    desc = Service.objects.get(pk=rec["id"]).description
    assert "<script" not in desc and "onerror" not in desc and "onclick" not in desc
    assert desc.startswith("<p>Hi</p>")


def test_import_is_idempotent(directory):
    before = (Service.objects.count(), Phone.objects.count())
    report = import_data(_seed())
    assert report.created == 0 and report.updated == before[0]
    assert (Service.objects.count(), Phone.objects.count()) == before


def test_cli_import_reports_and_export_writes(db, tmp_path, capsys):
    data = _seed()
    data["services"].append({**data["services"][0], "id": "broken", "status": "nope"})
    src = tmp_path / "in.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    call_command("import_hsds", str(src))
    out, err = capsys.readouterr()
    assert f"Imported {len(data['services']) - 1} services" in out
    assert "invalid: services[" in err and "broken" in err
    call_command("export_hsds", str(tmp_path / "out.json"))
    exported = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert len(exported["services"]) == len(data["services"]) - 1
    call_command("export_hsds", str(tmp_path / "csv"), "--format", "csv")
    call_command("import_hsds", str(tmp_path / "csv"), "--format", "csv")
    assert "Imported" in capsys.readouterr().out


def test_cli_import_of_a_missing_or_broken_file_fails_cleanly(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such file"):
        call_command("import_hsds", str(tmp_path / "nope.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_hsds", str(bad))


def test_load_directory_command_is_idempotent(db, capsys):
    call_command("load_directory")
    call_command("load_directory")
    assert "0 new" in capsys.readouterr().out


def test_demo_adds_local_services_only_when_both_demo_portals_exist(db, riverside, lakeview):
    from respite.directory import demo

    demo.load([riverside])
    shared = Service.objects.count()
    assert shared == len(_seed()["services"])
    assert not Service.objects.filter(portal__isnull=False).exists()
    demo.load([riverside, lakeview])
    local = Service.objects.filter(portal__isnull=False)
    assert {s.portal.slug for s in local} == {"riverside", "lakeview"}
    assert Service.objects.count() == shared + local.count()


def test_demo_and_load_directory_stop_on_invalid_shipped_records(db, monkeypatch, capsys):
    from django.core.management.base import CommandError

    from respite.directory import demo
    from respite.directory.hsds import ImportReport
    from respite.directory.management.commands import load_directory

    broken = ImportReport(errors=["services[3] x: status: 'open' is not one of"])
    monkeypatch.setattr(demo, "import_json", lambda path: broken)
    with pytest.raises(ValueError, match="status: 'open'"):
        demo.load([])
    monkeypatch.setattr(load_directory, "load_seed", lambda: broken)
    with pytest.raises(CommandError, match=r"1 invalid record\(s\) in .*seed.json"):
        call_command("load_directory")
    assert "services[3] x: status: 'open'" in capsys.readouterr().err


def test_demo_stops_on_invalid_local_records(db, monkeypatch, riverside, lakeview):
    from respite.directory import demo
    from respite.directory.hsds import ImportReport

    real = demo.import_json
    monkeypatch.setattr(
        demo,
        "import_json",
        lambda path: real(path) if path == SEED_FILE else ImportReport(errors=["no portal 'x'"]),
    )
    with pytest.raises(ValueError, match="no portal 'x'"):
        demo.load([riverside, lakeview])


def _one_service(**changes) -> dict:
    data = _seed()
    rec = {**data["services"][0], **changes}
    return {"organizations": data["organizations"], "services": [rec]}


def _schedule(**fields) -> dict:
    return {"id": "s1", "service_id": "211", "opens_at": "09:00", "closes_at": "17:00", **fields}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"x_respite": "slug"}, "x_respite: must be an object"),
        ({"x_respite": {"portal_service": "massage"}}, "unknown 'massage'"),
        ({"x_respite": {"portal": "nowhere"}}, "x_respite/portal: no portal 'nowhere'"),
        ({"description": "   "}, "description: a description is required"),
        ({"assured_date": "last spring"}, "assured_date: not a YYYY-MM-DD date"),
        (
            {"attributes": [{"id": "a", "link_type": "availability", "value": "weekdays"}]},
            "attributes: unknown availability 'weekdays'",
        ),
        ({"minimum_age": 18.5}, "minimum_age: 18.5 is not a whole number of years"),
        ({"maximum_age": 200}, "maximum_age: 200 is not a whole number of years"),
        (
            {
                "service_areas": [],
                "attributes": [
                    {"id": "a", "link_type": "service_area_scope", "value": "state"},
                ],
            },
            "service_areas: a state or local service needs its service area",
        ),
        (
            {"schedules": [_schedule(closes_at="")]},
            "schedules: opens_at and closes_at are required",
        ),
        ({"schedules": [_schedule(opens_at="nine")]}, "time 'nine' is not HH:MM"),
        (
            {"schedules": [_schedule(valid_from="2026-13-01")]},
            "schedules/valid_from: not a YYYY-MM-DD date",
        ),
        (
            {"cost_options": [{"id": "c", "service_id": "211", "currency": "DOLLARS"}]},
            "cost_options: currency 'DOLLARS' is not an ISO 4217 code",
        ),
    ],
)
def test_a_record_respite_cannot_use_is_reported_with_the_reason(db, changes, reason):
    report = import_data(_one_service(**changes))
    assert report.created == 0
    assert len(report.errors) == 1
    assert report.errors[0].startswith("services[0] 211: ")
    assert reason in report.errors[0]
    assert not Service.objects.exists()  # nothing half-imported


def test_hsds_details_respite_does_not_model_are_kept_or_ignored_as_hsds_allows(db):
    report = import_data(
        _one_service(
            schedules=[_schedule(opens_at="09:00-05:00", closes_at="17:00-05:00")],
            attributes=[
                *_seed()["services"][0]["attributes"],
                {"id": "t", "link_type": "other_taxonomy", "value": "anything"},
            ],
            languages=[
                {"id": "l1", "service_id": "211", "code": "es", "name": "Spanish"},
                {"id": "l2", "service_id": "211", "code": "ES ", "name": "Español"},
            ],
            cost_options=[
                {"id": "c1", "service_id": "211", "amount": 0, "currency": "USD"},
                {"id": "c2", "service_id": "211", "amount": 25, "currency": "USD"},
            ],
        )
    )
    assert report.errors == []
    service = Service.objects.get(pk="211")
    schedule = service.schedules.get()
    assert (schedule.opens_at.hour, schedule.timezone) == (9, -5)  # the offset the time carried
    assert [lang.code for lang in service.language_rows.all()] == ["es"]  # one Spanish
    assert service.cost == "varies"  # a free option and a paid one


def test_a_file_that_is_not_hsds_or_has_bad_organizations_is_reported(db):
    assert import_data(["not", "an", "object"]).errors == [
        "file: expected an object with 'organizations' and 'services' lists"
    ]
    data = _seed()
    data["organizations"] = [
        {"id": "no-name", "description": "missing its name"},
        {**data["organizations"][0], "id": "bad-site", "website": "javascript:alert(1)"},
    ]
    data["services"] = []
    errors = import_data(data).errors
    assert errors[0].startswith("organizations[0] no-name: ") and "'name'" in errors[0]
    assert (
        errors[1]
        == "organizations[1] bad-site: website: only http:// and https:// links are accepted"
    )


def test_one_record_that_breaks_the_importer_does_not_stop_the_others(db, monkeypatch):
    from respite.directory import hsds

    data = _seed()
    real = hsds._children

    def children(service, rec):
        if rec["id"] == data["services"][1]["id"]:
            raise KeyError("unexpected")
        return real(service, rec)

    monkeypatch.setattr(hsds, "_children", children)
    report = import_data(data)
    assert report.errors == [f"services[1] {data['services'][1]['id']}: KeyError: 'unexpected'"]
    assert report.created == len(data["services"]) - 1


def test_a_service_entered_in_the_console_exports_its_area_and_cost_and_imports_back(directory):
    service = Service.objects.get(pk="211")
    service.service_areas.all().delete()  # entered by hand: no HSDS rows, only the facets
    service.cost_options.all().delete()
    service.area_scope, service.area_states, service.area_name = "state", ["CA", "NV"], ""
    service.cost = "free"
    service.save()
    exported = export_data([service])
    rec = exported["services"][0]
    assert schema_errors(rec, "service") == []
    assert [(a["name"], a["extent"]) for a in rec["service_areas"]] == [("CA, NV", "US-CA,US-NV")]
    assert [(c["option"], c["currency"], c["amount"]) for c in rec["cost_options"]] == [
        ("free", "USD", 0)
    ]
    Service.objects.filter(pk="211").delete()
    assert import_data(exported).errors == []
    again = Service.objects.get(pk="211")
    assert (again.area_scope, again.area_states, again.cost) == ("state", ["CA", "NV"], "free")
