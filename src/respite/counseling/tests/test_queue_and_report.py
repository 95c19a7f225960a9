"""Counselors' queue (risk first, overdue highlighted) and the admins' counts-only page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from respite.core.models import AuditLog
from respite.counseling.models import Author, Case, CounselingSettings, Message
from respite.counseling.staff_views import report_figures
from respite.counseling.tests.conftest import (
    PHQ9_CRISIS,
    PHQ9_MILD,
    PHQ9_MODERATE,
    login,
    make_case,
)

pytestmark = pytest.mark.django_db


def _case(org, answers, hours_ago, **kwargs):
    opened = timezone.now() - timedelta(hours=hours_ago)
    return make_case(org, answers=answers, opened=opened, **kwargs)


def test_queue_orders_by_risk_then_oldest_and_flags_overdue(
    org, counselor, django_assert_max_num_queries
):
    mild_old = _case(org, PHQ9_MILD, hours_ago=50)
    moderate_new = _case(org, PHQ9_MODERATE, hours_ago=1)
    moderate_old = _case(org, PHQ9_MODERATE, hours_ago=30)
    crisis = _case(org, PHQ9_CRISIS, hours_ago=2)
    assert list(Case.objects.queue()) == [crisis, moderate_old, moderate_new, mild_old]

    CounselingSettings.objects.create(organization=org, reply_target_hours=24)
    staff = login(counselor)
    with django_assert_max_num_queries(8):
        response = staff.get(reverse("counseling_staff:queue", kwargs={"org": org.slug}))
    rows = response.context["rows"]
    assert [r["case"] for r in rows] == [crisis, moderate_old, moderate_new, mild_old]
    assert [r["overdue"] for r in rows] == [False, True, False, True]
    assert "2 cases are overdue" in response.content.decode()


def test_marking_urgent_moves_a_case_up_and_is_audited(org, counselor):
    mild = _case(org, PHQ9_MILD, hours_ago=1)
    moderate = _case(org, PHQ9_MODERATE, hours_ago=5)
    login(counselor).post(
        reverse("counseling_staff:case_urgent", kwargs={"org": org.slug, "pk": mild.pk}),
        {"urgent": "1"},
    )
    assert list(Case.objects.queue()) == [mild, moderate]
    assert AuditLog.objects.filter(
        action="counseling.case_marked_urgent", target_id=str(mild.pk)
    ).exists()


def test_close_removes_from_open_queue(org, counselor):
    case = _case(org, PHQ9_MODERATE, hours_ago=1)
    staff = login(counselor)
    staff.post(reverse("counseling_staff:case_close", kwargs={"org": org.slug, "pk": case.pk}))
    assert (
        staff.get(reverse("counseling_staff:queue", kwargs={"org": org.slug})).context["rows"] == []
    )
    case.refresh_from_db()
    assert case.status == "closed" and not case.is_overdue(1)


def test_report_is_suppressed_below_min_group_size(org, org_admin):
    cases = [_case(org, PHQ9_MODERATE, hours_ago=3) for _ in range(4)]
    html = (
        login(org_admin)
        .get(reverse("counseling_staff:report", kwargs={"org": org.slug}))
        .content.decode()
    )
    figures = report_figures(org)
    for name in ("cases", "open", "replies", "median_hours"):
        assert figures[name].suppressed, name
    assert len(cases) == 4 and ">4<" not in html  # four cases exist, but the page cannot say so
    assert html.count("hidden (too few)") >= 4


def test_report_shows_counts_at_min_group_size_and_no_content(org, org_admin, counselor):
    for _ in range(5):
        case = _case(org, PHQ9_MODERATE, hours_ago=4)
        Message.objects.create(case=case, author=Author.WORKER, body="private words")
        Message.objects.create(case=case, author=Author.COUNSELOR, body="counselor words")
        case.first_reply_at = case.opened_at + timedelta(hours=2)
        case.save()
    figures = report_figures(org)
    assert figures["cases"].value == 5 and figures["replies"].value == 5
    assert figures["median_hours"].value == 2.0
    assert figures["referred"].value == 0  # zero names nobody
    response = login(org_admin).get(reverse("counseling_staff:report", kwargs={"org": org.slug}))
    html = response.content.decode()
    assert "private words" not in html and "counselor words" not in html
    assert "Feeling down" not in html


def test_settings_change_reply_target_and_validates(org, org_admin):
    admin = login(org_admin)
    url = reverse("counseling_staff:settings", kwargs={"org": org.slug})
    assert admin.post(url, {"reply_target_hours": "0"}).status_code == 400
    admin.post(url, {"reply_target_hours": "24"})
    assert CounselingSettings.for_org(org).reply_target_hours == 24
    assert AuditLog.objects.filter(action="counseling.settings_changed").exists()


def test_counselor_cannot_change_settings_or_see_report(org, counselor):
    staff = login(counselor)
    assert (
        staff.get(reverse("counseling_staff:settings", kwargs={"org": org.slug})).status_code == 404
    )
    assert (
        staff.get(reverse("counseling_staff:report", kwargs={"org": org.slug})).status_code == 404
    )


def test_queue_pages_through_every_open_case_and_counts_all_overdue(org, counselor):
    """No case disappears past the first page, and the overdue count covers every page."""
    from respite.counseling.staff_views import QUEUE_PAGE_SIZE

    total = QUEUE_PAGE_SIZE + 3
    long_ago = timezone.now() - timedelta(hours=100)
    for _ in range(total):
        make_case(org, opened=long_ago)
    client = login(counselor)
    first = client.get(f"/staff/o/{org.slug}/counseling/").content.decode()
    second = client.get(f"/staff/o/{org.slug}/counseling/?page=2").content.decode()
    assert first.count('<tr class="risk-') == QUEUE_PAGE_SIZE
    assert second.count('<tr class="risk-') == 3
    assert f"{total} cases are overdue" in first and f"{total} cases are overdue" in second
