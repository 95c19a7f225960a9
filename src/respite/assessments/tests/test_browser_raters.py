"""Acceptance: a leadership team rates together. The admin invites three raters, each rates on their
own, the consensus view shows the median and the spread, the agreed ratings become the scorecard,
and an action item gets an owner account that receives the reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from respite.assessments.models import ActionItem, Assessment, Rating
from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff, run_tasks

# Three raters, two criteria: they disagree on re-entry (0, 1, 3) and nearly agree on access.
RATINGS = {
    "rater1": {"reentry_written": 0, "access_off_hours": 2},
    "rater2": {"reentry_written": 1, "access_off_hours": 3},
    "rater3": {"reentry_written": 3, "access_off_hours": 3},
}


def _sign_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto(page.base + "/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_three_raters_rate_the_team_meets_and_the_owner_is_reminded(phone, org, org_admin):
    page = phone
    raters = []
    for name in RATINGS:
        user = make_staff(org, StaffRole.ASSESSMENT_RATER, name)
        user.email = f"{name}@example.org"
        user.save(update_fields=["email"])
        raters.append(user)
    assessment = Assessment.objects.create(
        organization=org, framework="all_in", title="Leadership review", started_by=org_admin
    )
    base = f"{page.base}/staff/o/{org.slug}/assessments/{assessment.pk}"

    # The admin invites the three raters.
    _sign_in(page, org_admin.username)
    page.goto(base + "/")
    page.get_by_role("link", name="Several raters").click()
    for name in RATINGS:
        page.get_by_label(name).check()
    page.get_by_role("button", name="Invite").click()
    page.get_by_text("Invited 3 rater(s).").wait_for()
    run_tasks()  # the queued invitations go out
    assert sorted(m.to[0] for m in mail.outbox) == [f"{n}@example.org" for n in RATINGS]

    # Each rater finds the assessment from their staff home and rates it on their own.
    for name, values in RATINGS.items():
        _sign_in(page, name)
        page.get_by_role("link", name="Assessments to rate").first.click()
        page.get_by_role("link", name="Leadership review").click()
        for criterion, value in values.items():
            fieldset = page.locator(f'fieldset[data-criterion="{criterion}"]')
            # Nobody else's rating is pre-selected: each starts from a blank form.
            assert fieldset.locator("input:checked").count() == 0
            fieldset.locator(f'input[value="{value}"]').check()
        page.get_by_role("button", name="Submit my ratings").click()
        page.get_by_text("your ratings are submitted").wait_for()
    assert Rating.objects.filter(assessment=assessment).count() == 6

    # The admin opens the consensus view for the meeting.
    _sign_in(page, org_admin.username)
    page.goto(base + "/consensus/")
    page.get_by_text("3 of 3 raters submitted").wait_for()
    reentry = page.locator('fieldset[data-criterion="reentry_written"]')
    assert "3 ratings · median 1 · spread 3" in reentry.inner_text()
    assert "Discuss" in reentry.inner_text()
    access = page.locator('fieldset[data-criterion="access_off_hours"]')
    assert "median 3 · spread 1" in access.inner_text() and "Discuss" not in access.inner_text()
    # The agreed rating starts at the median.
    assert reentry.locator('input[value="1"]').is_checked()
    page.get_by_role("button", name="Save agreed ratings").click()
    page.get_by_text("Saved 2 agreed rating(s).").wait_for()
    assert dict(assessment.answers.values_list("criterion", "value")) == {
        "reentry_written": 1,
        "access_off_hours": 3,
    }

    # From the scorecard, the re-entry gap becomes an action item owned by rater1's account.
    page.goto(base + "/scorecard/")
    page.select_option("#id_owner_account", label="rater1")
    page.fill("#id_due_date", (timezone.localdate() + timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Create action plan from selected gaps").click()
    page.get_by_role("heading", name="Action plan").wait_for()
    item = ActionItem.objects.get(organization=org, area="reentry")
    assert item.owner_account == raters[0]
    assert "rater1" in page.locator("main").inner_text()

    # The daily reminder reaches the owner's account (and nobody else).
    mail.outbox.clear()
    call_command("assessment_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # The command queues the mail (respite.core.tasks); the worker delivers it.
    run_tasks()
    assert [m.to for m in mail.outbox] == [["rater1@example.org"]]
    assert item.title in mail.outbox[0].body
    assert page.problems == []
