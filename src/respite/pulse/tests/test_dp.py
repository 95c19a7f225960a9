"""Optional differential privacy: noisy figures that are stable across requests, with their
accuracy shown everywhere, applied only after suppression, and locked once a survey opens."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from respite.core.testing import PASSWORD
from respite.pulse import dp, reporting
from respite.pulse.models import NoiseDraw, Survey, SurveyLink, SurveyLocked
from respite.pulse.tests.factories import answer, make_survey, make_units, populate

pytestmark = pytest.mark.django_db

SIZES = {"ICU": 12, "ER": 3, "Clinic": 8}


@pytest.fixture
def admin_client(org_admin):
    c = Client()
    assert c.login(username=org_admin.username, password=PASSWORD)
    return c


def build(org, epsilon):
    units = make_units(org, {"Hospital": None, "ICU": "Hospital", "ER": "Hospital", "Clinic": None})
    survey = make_survey(org, rounds=2, dp_epsilon=epsilon)
    r1, r2 = survey.rounds.all()
    populate(survey, {(r2, units[name], "nurse"): n for name, n in SIZES.items()} | {(r1, units["ICU"], "nurse"): 7})
    return survey, units, (r1, r2)


def figures(dash):
    """Every figure of a dashboard keyed by where it is shown."""
    out = {("org",): dash.organization}
    out |= {("trend", r.pk): f for r, f in dash.trend}
    out |= {("unit", u.name): f for u, _d, f in dash.units}
    out |= {("role", g): f for g, _l, f in dash.roles}
    out |= {("heat", u.name, i): f for u, _d, figs in dash.heatmap for i, f in enumerate(figs)}
    return out


def exact(survey, measure):
    """The same dashboard without noise (the survey object is changed in memory only)."""
    cache.clear()
    eps, survey.dp_epsilon = survey.dp_epsilon, None
    try:
        return figures(reporting.dashboard(survey, measure))
    finally:
        survey.dp_epsilon = eps


def test_dp_off_figures_are_exact_and_carry_no_accuracy(org):
    survey, _units, _r = build(org, None)
    for f in figures(reporting.dashboard(survey, "respondents")).values():
        assert f.accuracy is None
        if not f.suppressed and f.value is not None:
            assert f.value == f.n
    assert not NoiseDraw.objects.exists()


@pytest.mark.parametrize("measure", ["respondents", "burnout_rate", "item:work:workload"])
def test_dp_on_noisy_stable_accurate_and_suppression_unchanged(org, measure):
    survey, _units, _r = build(org, 0.5)
    noisy = figures(reporting.dashboard(survey, measure))
    draws = NoiseDraw.objects.count()
    true = exact(survey, measure)
    assert noisy.keys() == true.keys()
    released = [k for k, f in true.items() if not f.suppressed and f.value is not None]
    assert released and draws > 0
    for key, f in noisy.items():
        assert f.suppressed == true[key].suppressed, key  # suppression first, unchanged
        if f.suppressed:
            assert f.value is None and f.n is None and f.accuracy is None
    assert noisy[("unit", "ER")].suppressed  # 3 respondents
    for key in released:
        assert noisy[key].accuracy and noisy[key].accuracy > 0
        assert noisy[key].n >= survey.k()
    # With epsilon 0.5 some figure must differ from its exact value (all of them, almost surely).
    assert any(noisy[k].value != true[k].value for k in released)
    # Asking again (fresh caches, a new request) gives exactly the same figures and draws nothing new.
    cache.clear()
    again = figures(reporting.dashboard(survey, measure))
    assert {k: (f.value, f.n, f.accuracy) for k, f in again.items()} == {
        k: (f.value, f.n, f.accuracy) for k, f in noisy.items()}
    assert NoiseDraw.objects.count() == draws


def test_new_response_draws_new_noise_only_where_n_changed(org):
    survey, units, (r1, r2) = build(org, 1.0)
    reporting.dashboard(survey, "respondents")
    before = set(NoiseDraw.objects.values_list("cell", "n", "noisy_n"))
    answer(survey, r2, units["Clinic"], "nurse")
    cache.clear()
    reporting.dashboard(survey, "respondents")
    after = set(NoiseDraw.objects.values_list("cell", "n", "noisy_n"))
    assert before < after  # append-only: old draws kept, new ones added
    new_cells = {c for c, _n, _v in after - before}
    assert f"{r2.pk}|{units['Clinic'].pk}|*" in new_cells
    assert f"{r1.pk}|*|*" not in new_cells  # round 1 did not change: same draw


def test_accuracy_is_a_95_percent_bound():
    scale = 1 / 0.5
    acc = dp.count_accuracy(scale)
    m = dp._int_laplace(scale)
    inside = sum(abs(m(100) - 100) <= acc for _ in range(2000)) / 2000
    assert 0.93 <= inside <= 0.99


def test_api_csv_and_pdf_show_the_accuracy(org, admin_client):
    survey, _units, _r = build(org, 1.0)
    base = f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}"
    body = admin_client.get(f"{base}/dashboard?measure=burnout_rate").json()
    shown = [row for row in body["rows"] if not row["suppressed"] and row["value"] is not None]
    assert shown and all(row["accuracy"] > 0 for row in shown)
    assert all(row["accuracy"] is None for row in body["rows"] if row["suppressed"])
    assert admin_client.get(f"{base}/dashboard?measure=burnout_rate").json()["rows"] == body["rows"]
    listed = admin_client.get(f"/api/v1/pulse/{org.slug}/surveys").json()["contents"]
    assert listed[0]["dp_epsilon"] == 1.0
    kw = {"org": org.slug, "pk": survey.pk}
    csv_text = admin_client.get(reverse("pulse_staff:export_csv", kwargs=kw)).content.decode()
    assert csv_text.splitlines()[0].split(",")[8:10] == ["n", "accuracy"]
    page = admin_client.get(reverse("pulse_staff:dashboard", kwargs=kw)).content.decode()
    assert "Differential privacy is on" in page and 'class="pulse-acc"' in page
    pdf = admin_client.get(reverse("pulse_staff:export_pdf", kwargs=kw))
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"


def test_before_after_hook_is_noisy_with_accuracy(org):
    survey, _units, (r1, r2) = build(org, 1.0)
    result = reporting.measure_before_after(org, "burnout_rate", r2.starts_on)
    assert not result["after"]["suppressed"] and result["after"]["accuracy"] > 0
    assert reporting.measure_before_after(org, "burnout_rate", r2.starts_on) == result


def test_setting_is_chosen_at_creation_shown_to_respondents_and_locked_once_open(org, admin_client):
    make_units(org, {"ICU": None})
    r = admin_client.post(reverse("pulse_staff:survey_new", kwargs={"org": org.slug}), {
        "title": "Noisy", "instruments": ["burnout"], "min_group_size": 5, "min_group_size_text": 10,
        "dp_epsilon": "0.05"})
    assert r.status_code == 400 and not Survey.objects.exists()  # below the minimum epsilon
    admin_client.post(reverse("pulse_staff:survey_new", kwargs={"org": org.slug}), {
        "title": "Noisy", "instruments": ["burnout"], "min_group_size": 5, "min_group_size_text": 10,
        "dp_epsilon": "1"})
    survey = Survey.objects.get()
    assert survey.dp_epsilon == 1.0
    survey.dp_epsilon = 2.0
    survey.save()  # a draft may still change
    admin_client.post(reverse("pulse_staff:survey_schedule", kwargs={"org": org.slug, "pk": survey.pk}),
                      {"first_day": timezone.localdate().isoformat(), "cadence": 91, "days_open": 14, "count": 1})
    admin_client.post(reverse("pulse_staff:survey_open", kwargs={"org": org.slug, "pk": survey.pk}))
    survey.refresh_from_db()
    assert survey.status == "open"
    survey.dp_epsilon = None
    with pytest.raises(SurveyLocked):
        survey.save()
    survey.refresh_from_db()
    assert survey.dp_epsilon == 2.0
    detail = admin_client.get(reverse("pulse_staff:survey", kwargs={"org": org.slug, "pk": survey.pk}))
    assert "Differential privacy: every released figure" in detail.content.decode()
    link = SurveyLink.objects.get(survey=survey)
    page = Client().get(reverse("pulse:link", kwargs={"org": org.slug, "key": link.key}))
    assert "differential privacy, epsilon 2.0" in page.content.decode()
