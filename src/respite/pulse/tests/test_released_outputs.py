"""Property: over random organizations (units, role memberships, responses) and random dashboard
filters, nothing the dashboard, its CSV rows or the assessments hook releases describes 1..k-1
respondents, and no two released figures differ by 1..k-1 respondents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from respite.core.testing import make_org
from respite.pulse import reporting
from respite.pulse.models import Unit, add_to_rollups
from respite.pulse.tests.factories import make_survey, release_all
from respite.pulse.tests.helpers import audit

ROLES = ["nurse", "physician", "other"]


@st.composite
def scenario(draw):
    n_units = draw(st.integers(1, 5))
    parents = [draw(st.sampled_from([None, *range(i)])) for i in range(n_units)]
    n_rounds = draw(st.integers(1, 3))
    cells = {}
    for r in range(n_rounds):
        for u in range(n_units):
            for g in ["", *ROLES]:
                n = draw(st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 14)))
                if n:
                    cells[(r, u, g)] = n
    filters = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_rounds - 1),
                st.one_of(st.none(), st.integers(0, n_units - 1)),
                st.one_of(st.none(), st.sampled_from(ROLES)),
                st.booleans(),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return parents, n_rounds, cells, filters


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=scenario())
def test_every_released_output_is_safe(data):
    parents, n_rounds, cells, filters = data
    cache.clear()
    org = make_org(role_groups=ROLES)
    units = []
    for i, p in enumerate(parents):
        units.append(
            Unit.objects.create(
                organization=org, name=f"U{i}", parent=units[p] if p is not None else None
            )
        )
    survey = make_survey(org, rounds=n_rounds)
    rounds = list(survey.rounds.order_by("starts_on"))
    rows = []
    for (r, u, g), n in cells.items():
        rid, uid = rounds[r].pk, units[u].pk
        rows.append((rid, uid, g, "respondents", n, n, n))
        rows.append((rid, uid, g, "burnout_rate", n, n // 2, n // 2))
    add_to_rollups(rows)
    release_all(survey)
    struct = reporting.structure(survey)
    counts = {(rounds[r].pk, units[u].pk, g): n for (r, u, g), n in cells.items()}
    k = survey.k()
    shown = set()
    for r, u, g, with_date in filters:
        on = rounds[r].starts_on if with_date else None
        dash = reporting.dashboard(
            survey,
            "burnout_rate",
            round_id=rounds[r].pk,
            unit_id=units[u].pk if u is not None else None,
            role=g,
            intervention=on,
        )
        figures = (
            [f for _r, f in dash.trend]
            + [f for _u, _d, f in dash.units]
            + [f for _g, _l, f in dash.roles]
        )
        figures += [f for _u, _d, figs in dash.heatmap for f in figs] + [dash.organization]
        if dash.evaluation:
            figures += [dash.evaluation["before"], dash.evaluation["after"]]
        for f in figures:
            if f is not None and not f.suppressed and f.n:
                assert f.n >= k
                shown.add(f.key)
        for row in dash.rows():
            assert row["suppressed"] or row["n"] is None or row["n"] == 0 or row["n"] >= k
        hook = reporting.measure_before_after(
            org, "burnout_rate", rounds[r].starts_on + timedelta(days=1)
        )
        for side in ("before", "after"):
            assert (
                hook[side]["suppressed"] or hook[side]["n"] in (None, 0) or hook[side]["n"] >= k
            )  # 0 names nobody
    # The overview of every round (every measure, units × measures, participation, trends) and its
    # CSV rows release nothing the auditor objects to either.
    for rnd in rounds:
        ov = reporting.overview(survey, round_id=rnd.pk)
        figures = [s.figure for s in ov.summaries] + [f for s in ov.summaries for f in s.trend]
        figures += [f for _u, _d, cells in ov.heatmap for _m, f in cells]
        figures += [p.respondents for p in ov.participation]
        for f in figures:
            if not f.suppressed and f.n:
                assert f.n >= k
                shown.add(f.key)
        for row in ov.rows():
            assert row["suppressed"] or row["n"] in (None, 0) or row["n"] >= k
    assert audit(struct, sorted(shown, key=lambda c: c.token()), counts, k) == []
