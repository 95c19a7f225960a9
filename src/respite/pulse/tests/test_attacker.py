"""A differencing attacker: an org admin who uses only the API and CSV exports on a generated
organization of 1,000 workers, queries every filter combination and round, and tries subtraction
(parent - child, unit - role overlaps, round - round, pooled before/after) and full linear algebra."""

from __future__ import annotations

import csv
import io
import random

import pytest
from django.test import Client

from respite.core.disclosure import ALL, ROOT, CellKey
from respite.core.testing import PASSWORD
from respite.pulse import reporting
from respite.pulse.models import Rollup
from respite.pulse.tests.factories import make_survey, make_units, populate
from respite.pulse.tests.helpers import audit

pytestmark = pytest.mark.django_db

ROLES = ["physician", "nurse", "environmental_services", "medical_assistant", "community_health_worker", "other"]


def build_org(org):
    spec = {"North": None, "South": None, "Clinic": None}
    for site in ("North", "South"):
        for dept in ("ICU", "ER", "Surgery", "Wards", "Imaging"):
            spec[f"{site} {dept}"] = site
    spec["Clinic Pharmacy"] = "Clinic"
    units = make_units(org, spec)
    survey = make_survey(org, rounds=3, work_items=["workload", "voice"])
    rng = random.Random(2024)
    # 1,000 workers with skewed unit sizes and roles (small units and rare roles on purpose).
    weights = {u: rng.choice([1, 2, 3, 8, 15, 30]) for u in units.values()}
    workers = [(rng.choices(list(weights), weights=list(weights.values()))[0],
                rng.choices(ROLES + [""], weights=[2, 10, 2, 2, 1, 1, 1])[0]) for _ in range(1000)]
    for n, rnd in enumerate(survey.rounds.all()):
        sizes: dict = {}
        for unit, role in workers:
            if rng.random() < (0.9, 0.55, 0.3)[n]:  # response rate falls: round-to-round differences
                sizes[(rnd, unit, role)] = sizes.get((rnd, unit, role), 0) + 1
        populate(survey, sizes, seed=n)
    return survey, units


def test_differencing_attacker_cannot_isolate_anyone(org, org_admin):
    survey, units = build_org(org)
    c = Client()
    c.login(username=org_admin.username, password=PASSWORD)
    meta = c.get(f"/api/v1/pulse/{org.slug}/surveys").json()["contents"][0]
    rounds = meta["rounds"]
    k = meta["min_group_size"]
    by_label = {r["label"]: r["id"] for r in rounds}
    unit_ids = {u.name: u.pk for u in units.values()}
    role_ids = {str(label): g for g, label in org.role_group_choices()}
    dates = [None] + [r["starts_on"] for r in rounds] + [r["ends_on"] for r in rounds]

    released: dict[CellKey, tuple[int, float]] = {}

    def learn(row, query):
        if row["suppressed"] or row["n"] in (None, 0):
            return
        unit = None if row["unit"] == "All units" else unit_ids.get(row["unit"])
        role = None if row["role"] == "All roles" else role_ids.get(row["role"])
        if row["section"] in ("before", "after"):
            on = query["on"]
            rs = sorted(rounds, key=lambda r: r["starts_on"])
            ids = tuple(r["id"] for r in rs if (r["ends_on"] < on if row["section"] == "before" else r["starts_on"] >= on))
            key = CellKey(ids, ROOT, ALL)
        elif row["section"] == "benchmark":
            return
        else:
            key = CellKey((by_label[row["round"]],), unit, role)
        released[key] = (row["n"], (row["value"] or 0) * row["n"])

    # Each answer carries the trend (every round) and the heat map (every unit x round) for its
    # role filter, the unit table for its round and role, and the role table for its round and unit:
    # round x role and round x unit queries therefore reach every cell the API can ever show.
    queries = []
    for measure in ("respondents", "burnout_rate", "item:work:voice"):
        for rnd in rounds:
            queries += [{"measure": measure, "round": rnd["id"], "role": g} for g in role_ids.values()]
            queries += [{"measure": measure, "round": rnd["id"], "unit": u} for u in unit_ids.values()]
            queries.append({"measure": measure, "round": rnd["id"]})
        queries += [{"measure": measure, "on": on} for on in dates if on]
    for query in queries:
        body = c.get(f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/dashboard", query).json()
        for row in body["rows"]:
            learn(row, query)
    for rnd in rounds:
        text = c.get(f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/export.csv", {"round": rnd["id"]}).content
        for row in csv.DictReader(io.StringIO(text.decode())):
            if row["suppressed"] == "True":
                assert row["n"] == "" and row["value"] == ""

    # Ground truth the attacker does not have: respondents per round x unit x role.
    counts = {(r, u, g): n for r, u, g, n in Rollup.objects.filter(measure="respondents").values_list(
        "round_id", "unit_id", "role_group", "n")}
    struct = reporting.structure(survey)
    assert len(released) > 40, "the attacker must have something to work with"
    assert audit(struct, list(released), counts, k) == []

    # The generated organization is adversarial: releasing every group of >= k would leak.
    naive = [c for r in struct.rounds for c in struct.single_cells(r)
             if sum(n for a, n in counts.items() if struct.covers(c, a)) >= k]
    assert audit(struct, naive, counts, k)
