"""End to end on a phone-sized screen: an admin sets up a survey, workers answer, the dashboard
shows charts and marks hidden cells clearly."""

from __future__ import annotations

import pytest

from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_org, make_staff
from respite.pulse.models import Survey, SurveyLink, Unit


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_creates_survey_workers_answer_dashboard_marks_hidden_cells(phone):
    org = make_org("acme", name="Acme Health")
    admin = make_staff(org, StaffRole.ORG_ADMIN, "owner")
    Unit.objects.create(organization=org, name="Emergency")
    Unit.objects.create(organization=org, name="Pharmacy")
    page = phone
    page.goto(f"{page.base}/staff/login/")
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('Sign in')")
    page.goto(f"{page.base}/staff/o/acme/pulse/surveys/new/")
    page.fill("input[name=title]", "Winter pulse")
    page.check("input[name=instruments][value=burnout]")
    page.check("input[name=work_items][value=workload]")
    page.click("button:has-text('Create survey')")
    page.wait_for_selector("h1:has-text('Winter pulse')")
    from django.utils import timezone

    page.fill("input[name=first_day]", timezone.localdate().isoformat())
    page.click("button:has-text('Schedule')")
    page.click("button:has-text('Open survey')")
    page.wait_for_selector("text=Locked")
    survey = Survey.objects.get(title="Winter pulse")
    links = {
        link.unit.name: link.key
        for link in SurveyLink.objects.filter(survey=survey).select_related("unit")
    }

    for unit, count in (("Emergency", 6), ("Pharmacy", 2)):
        for i in range(count):
            page.goto(f"{page.base}/o/acme/pulse/s/{links[unit]}/")
            assert "at least 5 people" in page.inner_text(".pulse-promise")
            page.check(f"input[name=burnout__1][value='{1 + i % 5}']")
            page.check("input[name=work__workload][value='3']")
            page.click("button:has-text('Send my answers')")
            page.wait_for_selector("h1:has-text('Thank you')")

    # Nothing is live: the dashboard shows no figure until the round is released (here: closed).
    page.goto(f"{page.base}/staff/o/acme/pulse/surveys/{survey.pk}/dashboard/")
    assert "not released yet" in page.inner_text("main")
    page.goto(f"{page.base}/staff/o/acme/pulse/surveys/{survey.pk}/")
    page.click("button:has-text('Close survey')")
    page.wait_for_selector("text=final")
    page.goto(f"{page.base}/staff/o/acme/pulse/surveys/{survey.pk}/dashboard/")
    row = page.locator("table.pulse-table tr:has-text('Pharmacy')").first
    assert "hidden to protect anonymity" in row.inner_text()
    assert page.locator("figure.chart img").count() == 2
    for img in page.locator("figure.chart img").all():
        assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", img.element_handle())
    assert not page.problems, page.problems
