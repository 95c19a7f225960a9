"""The overview of a release, as the survey owner reads it: every measure with its change and
benchmark, units × measures, participation against headcounts, trends, comment themes, the CSV and
the designed PDF report. Everything from the stored release through the same disclosure rules."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from respite.core.models import AuditLog
from respite.core.testing import assert_tagged_pdf
from respite.pulse.tests.factories import answer, make_survey, make_units, populate, release_all
from respite.pulse.tests.helpers import ink, pdf_pages, pdf_text
from respite.pulse.tests.test_admin_attacks import admin

pytestmark = pytest.mark.django_db

STAFFING = [
    "Nights are short staffed and we skip breaks",
    "Not enough nurses at night, breaks are skipped",
    "Night shift staffing is too thin for breaks",
    "Short staffed every night, no breaks",
    "We need more night staff so we get breaks",
    "Staffing at night means no breaks again",
    "Night staffing makes breaks impossible",
    "No breaks on nights because of short staffing",
    "Please hire night staff, breaks keep getting skipped",
    "Short staffed nights, breaks skipped weekly",
    "Night shift short staffed, breaks rare",
]
PARKING = [
    "Parking is far and expensive",
    "The parking garage costs too much",
    "Parking fees went up again",
    "Parking is always full in the morning",
    "Free parking would help a lot",
    "Parking garage too expensive for us",
    "Parking is a daily stress",
    "Cheaper parking please",
    "Parking spaces are scarce and far",
    "Parking is far from the entrance",
    "Parking costs are too high",
]


@pytest.fixture
def released(org):
    """Two released rounds; ICU (15 people) and ER (12) answer, Lab (4 people) only 3 times."""
    units = make_units(org, {"ICU": None, "ER": None, "Lab": None})
    for name, heads in (("ICU", 15), ("ER", 12), ("Lab", 4)):
        units[name].headcount = heads
        units[name].save(update_fields=["headcount"])
    survey = make_survey(org, rounds=2, allow_comments=True)
    r1, r2 = survey.rounds.order_by("starts_on")
    populate(survey, {(r1, units["ICU"], ""): 10, (r1, units["ER"], ""): 10}, seed=3)
    for i in range(12):
        answer(survey, r2, units["ICU"], burnout=5 if i < 9 else 1, comment=STAFFING[i % 11])
    for i in range(10):
        answer(survey, r2, units["ER"], burnout=1, comment=PARKING[i])
    for _ in range(3):
        answer(survey, r2, units["Lab"], burnout=2, comment="Parking lot 4 is closed")
    release_all(survey)
    return survey, units


def _url(name: str, org, survey) -> str:
    return reverse(f"pulse_staff:{name}", kwargs={"org": org.slug, "pk": survey.pk})


def test_overview_shows_every_measure_change_benchmark_heat_map_participation_and_trends(
    org, org_admin, released
):
    survey, units = released
    c = admin(org_admin)
    page = c.get(_url("overview", org, survey))
    assert page.status_code == 200
    html = page.content.decode()
    # Every measure, with the change since round 1 (burnout rose: a signed change in points).
    labels = [escape(str(m.label)) for m in survey.measures() if m.key != "respondents"]
    assert len(labels) >= 2
    overview = html.split('class="pulse-overview"')[1].split("</section>")[0]
    for label in labels:
        assert label in overview, label
    assert "+" in html and " points" in html
    # Heat map: a row per unit, Lab hidden with its reason, ICU shaded.
    heat = html.split('class="pulse-heatmap"')[1].split("</section>")[0]
    assert "ICU" in heat and "heat-" in heat and "fewer than 5 responses" in heat
    # Participation: ICU 12 of 15 people = 80%; Lab's 3 is hidden, so is its rate.
    part = html.split('class="pulse-participation"')[1].split("</section>")[0]
    icu_row = part.split("ICU")[1].split("</tr>")[0]
    assert "12" in icu_row and "15" in icu_row and "80%" in icu_row
    lab_row = part.split("Lab")[1].split("</tr>")[0]
    assert "Hidden" in lab_row and ">3<" not in lab_row and "75%" not in lab_row
    # Trends: both rounds.
    trends = html.split('class="pulse-trends"')[1]
    assert all(r.label in trends for r in survey.rounds.all())


def test_comment_themes_need_ten_comments_each_and_come_from_the_release(org, org_admin, released):
    survey, _units = released
    html = admin(org_admin).get(_url("overview", org, survey)).content.decode()
    themes = html.split('class="pulse-themes"')[1].split("</section>")[0]
    labels = [chunk.split("</strong>")[0] for chunk in themes.split("<summary><strong>")[1:]]
    assert len(labels) == 2, labels  # staffing (12) and parking (10+3 mixed), each with ≥ 10
    assert any("night" in lbl or "breaks" in lbl for lbl in labels)
    assert any("parking" in lbl for lbl in labels)
    assert "Nights are short staffed and we skip breaks" in themes


def test_a_theme_under_ten_comments_is_not_shown(org, org_admin):
    units = make_units(org, {"ICU": None})
    survey = make_survey(org, allow_comments=True)
    rnd = survey.rounds.get()
    for i in range(12):
        answer(survey, rnd, units["ICU"], comment=STAFFING[i % 9] if i < 9 else "")
    release_all(survey)
    html = admin(org_admin).get(_url("overview", org, survey)).content.decode()
    themes = html.split('class="pulse-themes"')[1].split("</section>")[0]
    assert "<summary>" not in themes and "No theme has at least 10 comments" in themes


def test_overview_csv_is_clean_and_guards_only_formula_cells(org, org_admin, released):
    survey, units = released
    units["ER"].name = "=HYPERLINK(evil)"
    units["ER"].save(update_fields=["name"])
    body = admin(org_admin).get(_url("overview_csv", org, survey)).content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["section"] for r in rows} >= {"overview", "heatmap", "participation", "trend"}
    assert not any(v == "'" for r in rows for v in r.values())  # no lone apostrophe anywhere
    assert any(r["unit"] == "'=HYPERLINK(evil)" for r in rows)
    assert not any(r["unit"] == "=HYPERLINK(evil)" for r in rows)
    change = [r["change"] for r in rows if r["section"] == "overview" and r["change"]]
    assert change and all(not v.startswith("'") for v in change)  # numbers are not text
    lab = [r for r in rows if r["unit"] == "Lab"]
    assert lab and all(r["suppressed"] == "True" and r["value"] == r["n"] == "" for r in lab)
    assert AuditLog.objects.filter(action="pulse.exported").exists()


def test_dashboard_csv_has_no_lone_apostrophe(org, org_admin, released):
    survey, _units = released
    body = admin(org_admin).get(_url("export_csv", org, survey)).content.decode()
    assert not any(v == "'" for r in csv.DictReader(io.StringIO(body)) for v in r.values())


def test_the_report_is_a_designed_tagged_pdf(org, org_admin, released, tmp_path):
    survey, _units = released
    r = admin(org_admin).get(_url("report_pdf", org, survey))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert_tagged_pdf(r.content, "en")
    text = pdf_text(r.content)
    for heading in (
        "Pulse survey report",
        "Overview",
        "Heat map: units and measures",
        "Trends",
        "Comment themes",
        "How anonymity is protected",
    ):
        assert heading in text, heading
    assert "fewer than 5 responses" in text and "80%" in text
    pages = pdf_pages(r.content, tmp_path)
    assert len(pages) >= 6
    cover = pages[0]
    w, h = cover.size
    import numpy as np

    px = np.asarray(cover).astype(int)
    teal = int(((px[..., 0] < 60) & (px[..., 1] > 70) & (px[..., 2] > 80)).sum())
    assert teal > w * h * 0.02  # the cover band is printed
    assert all(ink(p) > 0.005 for p in pages)  # no blank page


def test_report_in_spanish(org, org_admin, released):
    survey, _units = released
    c = admin(org_admin)
    c.cookies["django_language"] = "es"
    r = c.get(_url("report_pdf", org, survey))
    assert_tagged_pdf(r.content, "es")
    assert "Cómo se protege el anonimato" in pdf_text(r.content)


def test_overview_refuses_bad_rounds_outsiders_and_other_methods(
    org, org_admin, outsider, released
):
    survey, _units = released
    c = admin(org_admin)
    assert c.get(_url("overview", org, survey), {"round": "x"}).status_code == 400
    assert c.get(_url("overview", org, survey), {"round": 999999}).status_code == 400
    assert c.post(_url("overview", org, survey)).status_code == 405
    spy = Client()
    spy.force_login(outsider)
    for name in ("overview", "overview_csv", "report_pdf"):
        assert spy.get(_url(name, org, survey)).status_code == 404


def test_headcounts_are_edited_on_the_units_page_and_audited(org, org_admin):
    units = make_units(org, {"ICU": None, "ER": None})
    c = admin(org_admin)
    url = reverse("pulse_staff:unit_headcounts", kwargs={"org": org.slug})
    r = c.post(url, {f"unit_{units['ICU'].pk}": "14", f"unit_{units['ER'].pk}": ""}, follow=True)
    assert r.status_code == 200 and "14 people" in r.content.decode()
    units["ICU"].refresh_from_db()
    assert units["ICU"].headcount == 14
    assert AuditLog.objects.filter(action="pulse.headcounts_changed").count() == 1
    bad = c.post(url, {f"unit_{units['ICU'].pk}": "-3"})
    assert bad.status_code == 400
    assert c.get(url).status_code == 405
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(org_admin)
    assert csrf.post(url, {f"unit_{units['ICU'].pk}": "2"}).status_code == 403


def test_overview_api_gives_the_same_rows_and_themes_and_refuses_outsiders(
    org, org_admin, outsider, released
):
    survey, _units = released
    base = f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/overview"
    body = admin(org_admin).get(base).json()
    lab = [r for r in body["rows"] if r["unit"] == "Lab"]
    assert lab and all(r["suppressed"] and r["value"] is None and r["n"] is None for r in lab)
    icu = next(r for r in body["rows"] if r["section"] == "participation" and r["unit"] == "ICU")
    assert icu["n"] == 12 and icu["headcount"] == 15 and icu["rate"] == pytest.approx(0.8)
    assert len(body["themes"]) == 2 and all(len(t["comments"]) >= 10 for t in body["themes"])
    assert admin(org_admin).get(base, {"round": "x"}).status_code == 422
    spy = Client()
    spy.force_login(outsider)
    assert spy.get(base).status_code == 404
