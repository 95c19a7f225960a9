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
    assert "whole organization only" in row.inner_text()  # a shared link never shows a unit
    assert page.locator("figure.chart img").count() == 2
    for img in page.locator("figure.chart img").all():
        assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", img.element_handle())
    assert not page.problems, page.problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_invitation_survey_admin_on_desktop_workers_on_phones_in_english_and_spanish(
    browser, live_server, settings
):
    """The admin creates an invitation survey on a desktop and pastes addresses; workers answer from
    their messages on phones (some in Spanish); the dashboard shows nothing until the release."""
    import re

    from django.core import mail
    from django.utils import timezone

    from respite.conftest import PHONE
    from respite.core.testing import run_tasks

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org = make_org("acme", name="Acme Health")
    admin = make_staff(org, StaffRole.ORG_ADMIN, "owner")
    Unit.objects.create(organization=org, name="Emergency")
    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desktop.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    base = live_server.url
    page.goto(f"{base}/staff/login/")
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('Sign in')")
    page.goto(f"{base}/staff/o/acme/pulse/surveys/new/")
    page.fill("input[name=title]", "Spring pulse")
    page.check("input[name=mode][value=invitation]")
    page.check("input[name=instruments][value=burnout]")
    page.check("input[name=work_items][value=workload]")
    page.click("button:has-text('Create survey')")
    page.wait_for_selector("h1:has-text('Spring pulse')")
    page.fill("input[name=first_day]", timezone.localdate().isoformat())
    page.click("button:has-text('Schedule')")
    page.click("button:has-text('Open survey')")
    page.wait_for_selector("text=Locked")
    page.select_option("select[name=unit]", label="Emergency")
    page.fill("textarea[name=addresses]", "\n".join(f"worker{i}@er.example" for i in range(6)))
    page.click("button:has-text('Send invitations')")
    page.wait_for_selector("text=6 invitations are on their way")
    assert "worker0@er.example" not in page.content()
    survey = Survey.objects.get(title="Spring pulse")
    assert not SurveyLink.objects.filter(survey=survey).exists()

    run_tasks()  # the worker process sends the mail
    paths = [re.search(r"(/o/acme/pulse/#[\w-]+)", m.body).group(1) for m in mail.outbox]
    assert len(paths) == 6
    for i, path in enumerate(paths):
        spanish = i % 2 == 1
        context = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, locale="es-ES" if spanish else "en-US"
        )
        phone = context.new_page()
        phone.goto(f"{base}{path}")
        mode = phone.inner_text(".pulse-mode")
        assert ("invitación personal" in mode) if spanish else ("personal invitation" in mode)
        phone.check(f"input[name=burnout__1][value='{1 + i % 5}']")
        phone.check("input[name=work__workload][value='3']")
        phone.click("form.pulse-answer button.primary")
        phone.wait_for_selector("h1")
        context.close()

    page.goto(f"{base}/staff/o/acme/pulse/surveys/{survey.pk}/dashboard/")
    assert "not released yet" in page.inner_text("main")
    page.goto(f"{base}/staff/o/acme/pulse/surveys/{survey.pk}/")
    page.click("button:has-text('Close survey')")
    page.wait_for_selector("text=final")
    page.goto(f"{base}/staff/o/acme/pulse/surveys/{survey.pk}/dashboard/?measure=respondents")
    row = page.locator("table.pulse-table tr:has-text('Emergency')").first
    assert "6" in row.inner_text() and "hidden" not in row.inner_text()
    assert not problems, problems
    desktop.close()
