"""Action items, commitments and the pulse measure an item watches."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from respite.assessments.models import ActionItem, Commitment
from respite.assessments.tests.conftest import url
from respite.core.models import AuditLog
from respite.core.testing import make_staff

pytestmark = pytest.mark.django_db


def item_data(**overrides) -> dict[str, str]:
    return {
        "title": "Publish the return-to-work process",
        "area_goal": "reentry:transparent",
        "details": "",
        "owner": "HR director",
        "owner_account": "",
        "due_date": "2030-03-31",
        "status": "planned",
        "measure_key": "",
        **overrides,
    }


def test_create_an_action_linked_to_a_goal(admin_client, org, org_admin, no_pulse):
    page = admin_client.get(url(org, "item_new", framework="all_in"))
    assert b"Pulse-survey measures are not available" in page.content
    response = admin_client.post(
        url(org, "item_new", framework="all_in"), item_data(owner_account=str(org_admin.pk))
    )
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert (item.area, item.goal, item.owner, item.owner_account, item.due_date) == (
        "reentry",
        "transparent",
        "HR director",
        org_admin,
        date(2030, 3, 31),
    )
    assert AuditLog.objects.filter(action="action_item.created", target_id=str(item.pk)).exists()
    plan = admin_client.get(url(org, "plan"))
    assert b"Publish the return-to-work process" in plan.content
    assert b"The return-to-practice process is transparent" in plan.content


def test_an_area_without_a_goal_is_allowed_but_not_another_frameworks(admin_client, org):
    assert (
        admin_client.post(
            url(org, "item_new", framework="all_in"), item_data(area_goal="access:")
        ).status_code
        == 302
    )
    response = admin_client.post(
        url(org, "item_new", framework="all_in"), item_data(area_goal="leadership:engaged")
    )
    assert response.status_code == 400
    assert ActionItem.objects.count() == 1


def test_owner_account_must_be_staff_of_this_organization(admin_client, org, outsider):
    response = admin_client.post(
        url(org, "item_new", framework="all_in"), item_data(owner_account=str(outsider.pk))
    )
    assert response.status_code == 400 and not ActionItem.objects.exists()


def test_bad_dates_are_a_400_with_a_message(admin_client, org):
    response = admin_client.post(
        url(org, "item_new", framework="all_in"), item_data(due_date="31/31/2030")
    )
    assert response.status_code == 400 and b"Enter a valid date" in response.content


def test_marking_done_records_the_day_and_logs_fields_only(admin_client, org):
    item = ActionItem.objects.create(
        organization=org, framework="all_in", area="access", title="Night EAP"
    )
    admin_client.post(
        url(org, "item_edit", pk=item.pk),
        item_data(
            title="Night EAP", area_goal="access:off_hours", status="done", details="secret plan"
        ),
    )
    item.refresh_from_db()
    assert item.status == "done" and item.completed_on is not None and item.goal == "off_hours"
    log = AuditLog.objects.get(action="action_item.updated")
    assert "status" in log.detail["fields"] and "secret" not in str(log.detail)
    admin_client.post(
        url(org, "item_edit", pk=item.pk),
        item_data(title="Night EAP", area_goal="access:", status="in_progress"),
    )
    item.refresh_from_db()
    assert item.completed_on is None


def test_measure_choices_come_from_the_pulse_app(admin_client, org, fake_pulse):
    page = admin_client.get(url(org, "item_new", framework="all_in"))
    assert b"Burnout (single item)" in page.content
    admin_client.post(url(org, "item_new", framework="all_in"), item_data(measure_key="burnout"))
    assert ActionItem.objects.get().measure_key == "burnout"
    response = admin_client.post(
        url(org, "item_new", framework="all_in"), item_data(measure_key="made_up")
    )
    assert response.status_code == 400


def test_report_shows_the_measure_before_and_after_and_respects_suppression(
    admin_client, org, assessment, fake_pulse
):
    item = ActionItem.objects.create(
        organization=org,
        framework="all_in",
        area="access",
        title="Night EAP",
        measure_key="burnout",
        status="done",
        completed_on=date(2026, 2, 1),
    )
    page = admin_client.get(url(org, "scorecard", pk=assessment.pk))
    html = page.content.decode()
    assert fake_pulse.calls == [(org.slug, "burnout", item.completed_on)]
    assert "0.42 (n=31)" in html
    assert "too few responses to show" in html
    assert "n=4" not in html and "0.3" not in html  # a suppressed side shows no value or count


def test_measure_not_available_without_the_pulse_app(
    admin_client, org, assessment, no_pulse, caplog
):
    ActionItem.objects.create(
        organization=org,
        framework="all_in",
        area="access",
        title="Night EAP",
        measure_key="burnout",
    )
    with caplog.at_level(logging.INFO):
        page = admin_client.get(url(org, "scorecard", pk=assessment.pk))
    assert page.status_code == 200 and b"not available" in page.content
    edit = admin_client.get(url(org, "item_edit", pk=ActionItem.objects.get().pk))
    assert b'value="burnout" selected' in edit.content  # the stored key survives an edit


def test_commitment_from_the_national_plan_suggestion(admin_client, org):
    plan = admin_client.get(url(org, "plan"))
    link = url(org, "commitment_new") + "?suggested=national_plan:change_maker"
    assert link.encode() in plan.content
    page = admin_client.get(link)
    assert b"Change Maker" in page.content
    response = admin_client.post(
        link,
        {
            "title": page.context["form"].initial["title"],
            "description": "",
            "target_date": "2027-03-18",
            "status": "active",
        },
    )
    assert response.status_code == 302
    c = Commitment.objects.get()
    assert (c.framework, c.area, c.suggested, str(c.target_date)) == (
        "national_plan",
        "institutionalize",
        "change_maker",
        "2027-03-18",
    )
    assert AuditLog.objects.filter(action="commitment.created").exists()


def test_commitment_edit_and_validation(admin_client, org):
    c = Commitment.objects.create(organization=org, title="Change Maker", target_date="2027-01-01")
    assert (
        admin_client.post(
            url(org, "commitment_edit", pk=c.pk), {"title": "", "target_date": "x", "status": "met"}
        ).status_code
        == 400
    )
    admin_client.post(
        url(org, "commitment_edit", pk=c.pk),
        {"title": "Change Maker", "target_date": "2027-01-01", "status": "met"},
    )
    c.refresh_from_db()
    assert c.status == "met"
    assert AuditLog.objects.get(action="commitment.updated").detail == {"fields": ["status"]}


def test_counselors_are_not_offered_as_owners_from_other_orgs(admin_client, org, other_org):
    make_staff(other_org, "counselor", "far-away")
    page = admin_client.get(url(org, "item_new", framework="all_in"))
    assert b"far-away" not in page.content and b"owner" in page.content


def test_a_bug_in_the_pulse_app_is_not_hidden_as_not_available(admin_client, org, monkeypatch):
    """links.py used to catch TypeError/AttributeError from sibling apps and log them at INFO."""
    from respite.assessments import links
    from respite.pulse import reporting

    def broken(organization):
        raise TypeError("a real bug")

    monkeypatch.setattr(reporting, "measure_choices", broken)
    with pytest.raises(TypeError, match="a real bug"):
        links.measure_choices(org)


def test_without_the_pulse_app_the_plan_still_works(admin_client, org, no_pulse):
    from respite.assessments import links

    assert links.measure_choices(org) is None
    assert links.measure_before_after(org, "burnout", date(2026, 1, 1)) is None
    assert admin_client.get(url(org, "item_new", framework="all_in")).status_code == 200
