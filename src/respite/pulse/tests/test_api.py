"""The API returns released aggregates only, to org admins only; the assessments hooks."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from respite.core.testing import PASSWORD, make_org
from respite.pulse import reporting
from respite.pulse.tests.factories import make_survey, make_units, populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(org):
    units = make_units(org, {"Hospital": None, "ICU": "Hospital", "ER": "Hospital"})
    survey = make_survey(org, rounds=3)
    r1, r2, r3 = survey.rounds.all()
    populate(
        survey,
        {
            (r1, units["ICU"], "nurse"): 9,
            (r1, units["ER"], "nurse"): 7,
            (r2, units["ICU"], "nurse"): 2,
            (r2, units["ER"], "physician"): 11,
            (r3, units["ICU"], "nurse"): 10,
            (r3, units["ER"], "nurse"): 10,
        },
    )
    return survey, units


def client_for(user) -> Client:
    c = Client()
    c.login(username=user.username, password=PASSWORD)
    return c


def test_api_needs_an_org_admin(org, data, outsider, counselor):
    survey, _ = data
    url = f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/dashboard"
    assert Client().get(url).status_code == 401
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(counselor).get(url).status_code == 404
    assert client_for(outsider).get(f"/api/v1/pulse/{org.slug}/surveys").status_code == 404


def test_dashboard_rows_hide_small_cells_and_bad_filters_are_422(org, org_admin, data):
    survey, units = data
    c = client_for(org_admin)
    r2 = survey.rounds.get(number=2)
    body = c.get(
        f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/dashboard",
        {"round": r2.pk, "measure": "burnout_rate"},
    ).json()
    icu = [row for row in body["rows"] if row["section"] == "units" and row["unit"] == "ICU"]
    assert icu and icu[0]["suppressed"] and icu[0]["n"] is None and icu[0]["value"] is None
    for row in body["rows"]:
        assert row["suppressed"] or row["n"] in (None, 0) or row["n"] >= 5
    assert (
        c.get(
            f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/dashboard", {"measure": "x"}
        ).status_code
        == 422
    )
    assert (
        c.get(f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/dashboard", {"unit": 999}).status_code
        == 422
    )
    assert (
        c.get(f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/dashboard", {"round": "x"}).status_code
        == 422
    )
    csv_text = c.get(f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/export.csv").content.decode()
    assert csv_text.startswith("section,round,unit")
    assert "answers" not in csv_text


def test_measure_hooks_for_assessments(org, data):
    survey, _ = data
    choices = dict(reporting.measure_choices(org))
    assert (
        "burnout_rate" in choices
        and "item:burnout:1" in choices
        and "item:work:workload" in choices
    )
    r1, r2, r3 = survey.rounds.all()
    result = reporting.measure_before_after(org, "burnout_rate", r3.starts_on)
    assert set(result) == {"label", "before", "after"}
    # before pools rounds 1 and 2; round 2's total (13) is shown, so pooling is allowed
    assert result["before"]["suppressed"] is False and result["before"]["n"] == 29
    assert result["after"]["n"] == 20 and 0 <= result["after"]["value"] <= 1
    unknown = reporting.measure_before_after(org, "item:nope:1", r3.starts_on)
    assert unknown["before"] == {"value": None, "n": None, "suppressed": False}


def test_before_after_is_suppressed_when_a_side_is_small(org):
    units = make_units(org, {"A": None})
    survey = make_survey(org, rounds=2)
    r1, r2 = survey.rounds.all()
    populate(survey, {(r1, units["A"], ""): 12, (r2, units["A"], ""): 3})
    result = reporting.measure_before_after(org, "burnout_rate", r2.starts_on)
    assert result["after"] == {"value": None, "n": None, "suppressed": True}
    assert result["before"]["n"] == 12


def test_benchmark_needs_three_qualifying_organizations(org, data):
    survey, _ = data
    assert reporting.benchmark(org, "burnout_rate")["suppressed"]
    for i in range(3):
        other = make_org(f"bench-{i}")
        u = make_units(other, {"Only": None})
        s = make_survey(other, rounds=1)
        populate(s, {(s.rounds.get(), u["Only"], ""): 6 if i < 2 else 4})
    cache.clear()
    assert reporting.benchmark(org, "burnout_rate")["suppressed"]  # the third has only 4
    other = make_org("bench-big")
    u = make_units(other, {"Only": None})
    s = make_survey(other, rounds=1)
    populate(s, {(s.rounds.get(), u["Only"], ""): 8})
    cache.clear()
    b = reporting.benchmark(org, "burnout_rate")
    assert not b["suppressed"] and b["organizations"] == 3 and 0 <= b["value"] <= 1
