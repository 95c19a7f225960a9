"""Running an assessment: contributors, scorecard, ranked gaps, plan from gaps, progress over time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from respite.assessments import frameworks
from respite.assessments.models import ActionItem, Assessment
from respite.assessments.tests.answers import answers_form
from respite.assessments.tests.conftest import url
from respite.core.models import AuditLog
from respite.core.roles import StaffRole
from respite.core.testing import make_staff

pytestmark = pytest.mark.django_db
ALL_IN = frameworks.get("all_in")


def test_start_creates_an_assessment_and_logs_it(admin_client, org, org_admin):
    response = admin_client.post(url(org, "start"), {"framework": "all_in"})
    assessment = Assessment.objects.get(organization=org)
    assert response.status_code == 302 and response["Location"] == url(
        org, "answer", pk=assessment.pk
    )
    assert assessment.framework == "all_in" and assessment.started_by == org_admin
    assert AuditLog.objects.filter(
        action="assessment.started", target_id=str(assessment.pk)
    ).exists()


def test_unknown_framework_is_refused(admin_client, org):
    response = admin_client.post(url(org, "start"), {"framework": "nope"}, follow=True)
    assert response.status_code == 200 and b"Choose one of the frameworks" in response.content
    assert not Assessment.objects.exists()


def test_each_answer_records_who_and_when(admin_client, org, org_admin, assessment):
    page = admin_client.get(url(org, "answer", pk=assessment.pk))
    assert b"Staff can take time off for mental health appointments" in page.content
    response = admin_client.post(
        url(org, "answer", pk=assessment.pk),
        answers_form(
            assessment,
            {"access_off_hours": 1, "php_known": 3},
            {"php_known": "Listed on the intranet"},
        ),
    )
    assert response.status_code == 302
    answers = assessment.answer_map()
    assert set(answers) == {"access_off_hours", "php_known"}
    assert (
        answers["php_known"].answered_by == org_admin
        and answers["php_known"].answered_by_label == "owner"
    )
    assert timezone.now() - answers["php_known"].answered_at < timedelta(minutes=1)
    assert answers["php_known"].note == "Listed on the intranet"
    log = AuditLog.objects.get(action="assessment.answered")
    assert sorted(log.detail["criteria"]) == ["access_off_hours", "php_known"]
    assert "intranet" not in str(log.detail)  # ids only, never the note


def test_two_contributors_do_not_overwrite_each_other(client, org, org_admin, assessment):
    colleague = make_staff(org, StaffRole.ORG_ADMIN, "colleague")
    client.force_login(org_admin)
    first_view = answers_form(assessment, {})  # the owner opens the form before the colleague saves
    client.force_login(colleague)
    client.post(
        url(org, "answer", pk=assessment.pk), answers_form(assessment, {"access_off_hours": 2})
    )
    client.force_login(org_admin)
    first_view["v_reentry_written"] = "0"
    client.post(url(org, "answer", pk=assessment.pk), first_view)
    answers = assessment.answer_map()
    assert (
        answers["access_off_hours"].value == 2
        and answers["access_off_hours"].answered_by == colleague
    )
    assert answers["reentry_written"].answered_by == org_admin


def test_a_value_outside_the_scale_is_a_400_with_the_question_marked(admin_client, org, assessment):
    data = answers_form(assessment, {})
    data["v_access_off_hours"] = "7"
    response = admin_client.post(url(org, "answer", pk=assessment.pk), data)
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert not assessment.answers.exists()


def test_a_note_without_a_rating_asks_for_the_rating(admin_client, org, assessment):
    data = answers_form(assessment, {}, {"access_off_hours": "EAP is 9 to 5"})
    response = admin_client.post(url(org, "answer", pk=assessment.pk), data)
    assert response.status_code == 400 and b"Choose a rating to save this note" in response.content


def test_scorecard_ranks_gaps_weakest_first_with_suggestions(
    admin_client, org, org_admin, assessment, fake_directory
):
    assessment.do_record_answers(
        org_admin,
        {
            "access_off_hours": (3, ""),
            "access_time_off": (3, ""),
            "access_affordable": (3, ""),
            "reentry_written": (0, ""),
            "reentry_transparent": (1, ""),
            "peer_program": (2, ""),
            "peer_confidential": (2, ""),
        },
    )
    page = admin_client.get(url(org, "scorecard", pk=assessment.pk))
    gaps = [g["score"].area.id for g in page.context["gaps"]]
    assert gaps == [
        "reentry",
        "peer_support",
    ]  # 17 % then 67 %; access is full, the rest unanswered
    html = page.content.decode()
    assert html.index("Supportive pathway for re-entry") < html.index(
        "Schwartz Rounds Program</strong> —"
    )
    assert "17%" in html and "100%" in html
    assert "American Medical Association STEPS Forward" in html  # the framework's seed example
    assert "https://example.org/sr" in html  # the directory's suggestion
    assert f'src="{url(org, "chart", pk=assessment.pk)}"' in html


def test_scorecard_works_without_the_directory(
    admin_client, org, org_admin, assessment, no_directory
):
    assessment.do_record_answers(org_admin, {"access_off_hours": (1, "")})
    page = admin_client.get(url(org, "scorecard", pk=assessment.pk))
    assert page.status_code == 200 and b"directory is not available" in page.content


def test_chart_is_svg(admin_client, org, org_admin, assessment):
    assessment.do_record_answers(org_admin, {"access_off_hours": (1, "")})
    response = admin_client.get(url(org, "chart", pk=assessment.pk))
    assert response["Content-Type"] == "image/svg+xml" and response.content.lstrip().startswith(
        b"<?xml"
    )


def test_plan_from_the_top_gaps(admin_client, org, org_admin, assessment):
    assessment.do_record_answers(
        org_admin, {"reentry_written": (0, ""), "php_known": (1, ""), "access_off_hours": (2, "")}
    )
    page = admin_client.get(url(org, "scorecard", pk=assessment.pk))
    assert page.context["plan_form"]["areas"].initial == ["reentry", "php", "access"]
    response = admin_client.post(
        url(org, "plan_from_gaps", pk=assessment.pk),
        {"areas": ["reentry", "php"], "owner": "Chief Wellness Officer", "due_date": "2030-06-30"},
    )
    assert response.status_code == 302 and response["Location"] == url(org, "plan")
    items = {i.area: i for i in ActionItem.objects.filter(organization=org)}
    assert set(items) == {"reentry", "php"}
    assert items["reentry"].goal == "structured" and items["reentry"].title.startswith(
        "A written return-to-work"
    )
    assert (
        items["php"].owner == "Chief Wellness Officer"
        and str(items["php"].due_date) == "2030-06-30"
    )
    assert AuditLog.objects.filter(action="action_item.created").count() == 2


def test_plan_from_gaps_refuses_areas_that_are_not_gaps(admin_client, org, org_admin, assessment):
    assessment.do_record_answers(org_admin, {"access_off_hours": (3, "")})
    admin_client.post(
        url(org, "plan_from_gaps", pk=assessment.pk),
        {"areas": ["access"], "due_date": "2030-01-01"},
    )
    assert not ActionItem.objects.exists()


def test_completing_needs_answers_then_freezes_the_date(admin_client, org, org_admin, assessment):
    admin_client.post(url(org, "complete", pk=assessment.pk))
    assessment.refresh_from_db()
    assert not assessment.is_complete
    assessment.do_record_answers(org_admin, {"access_off_hours": (1, "")})
    admin_client.post(url(org, "complete", pk=assessment.pk))
    assessment.refresh_from_db()
    assert assessment.is_complete
    assert AuditLog.objects.filter(action="assessment.completed").exists()


def test_repeated_assessments_show_progress(admin_client, org, org_admin, other_org):
    now = timezone.now()
    first = Assessment.objects.create(
        organization=org,
        framework="all_in",
        title="2025",
        created_at=now - timedelta(days=400),
        completed_at=now - timedelta(days=365),
    )
    second = Assessment.objects.create(
        organization=org,
        framework="all_in",
        title="2026",
        created_at=now - timedelta(days=3),
        completed_at=now - timedelta(days=2),
    )
    elsewhere = Assessment.objects.create(
        organization=other_org,
        framework="all_in",
        title="other",
        completed_at=now - timedelta(days=1),
    )
    first.do_record_answers(org_admin, {"access_off_hours": (0, ""), "peer_program": (1, "")})
    second.do_record_answers(org_admin, {"access_off_hours": (3, ""), "peer_program": (2, "")})
    elsewhere.do_record_answers(org_admin, {"access_off_hours": (1, "")})
    assert second.previous() == first and first.previous() is None

    page = admin_client.get(url(org, "progress", framework="all_in"))
    table = page.context["table"]
    assert [r["assessment"] for r in table] == [first, second]
    assert [r["cells"][0] for r in table] == [0, 100]  # access, oldest first
    assert [r["cells"][3] for r in table] == [33, 67]  # peer support
    card = admin_client.get(url(org, "scorecard", pk=second.pk))
    access = next(r for r in card.context["rows"] if r["score"].area.id == "access")
    assert access["before"] == 0 and access["delta"] == 100
    assert b"+100" in card.content
    chart = admin_client.get(url(org, "progress_chart", framework="all_in"))
    assert chart["Content-Type"] == "image/svg+xml"


def test_unknown_framework_pages_are_404(admin_client, org):
    assert admin_client.get(url(org, "progress", framework="nope")).status_code == 404
    assert admin_client.get(url(org, "item_new", framework="nope")).status_code == 404


def test_index_lists_assessments_and_due_items(admin_client, org, assessment):
    ActionItem.objects.create(
        organization=org,
        framework="all_in",
        area="access",
        title="Night EAP",
        due_date=timezone.localdate() - timedelta(days=1),
    )
    page = admin_client.get(url(org))
    assert (
        b"Spring review" in page.content
        and b"Night EAP" in page.content
        and b"overdue" in page.content
    )


def test_index_queries_do_not_grow_with_assessments(
    admin_client, org, org_admin, django_assert_max_num_queries
):
    for n in range(5):
        a = Assessment.objects.create(organization=org, framework="all_in", title=f"A{n}")
        a.do_record_answers(org_admin, {"access_off_hours": (n % 4, "")})
    with django_assert_max_num_queries(12):
        assert admin_client.get(url(org)).status_code == 200
