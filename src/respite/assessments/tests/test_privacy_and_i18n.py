"""Spanish pages, nothing typed by staff in the logs, and the demo data."""

from __future__ import annotations

import logging

import pytest

from respite.assessments import demo
from respite.assessments.models import ActionItem, Assessment, Commitment
from respite.assessments.tests.answers import answers_form
from respite.assessments.tests.conftest import url
from respite.core.roles import StaffRole
from respite.core.testing import make_org, make_staff

pytestmark = pytest.mark.django_db


def test_pages_follow_the_readers_language(admin_client, org, org_admin, assessment):
    assessment.do_record_answers(org_admin, {"reentry_written": (0, "")})
    admin_client.cookies["django_language"] = "es"
    page = admin_client.get(url(org, "answer", pk=assessment.pk), HTTP_ACCEPT_LANGUAGE="es")
    assert "Atención de salud mental accesible y asequible" in page.content.decode()
    assert "Plenamente implementado" in page.content.decode()
    card = admin_client.get(
        url(org, "scorecard", pk=assessment.pk), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert (
        "Brechas, de la más débil a la menos" in card
        and "Vía de apoyo para la reincorporación" in card
    )


def test_notes_and_titles_never_reach_the_logs(admin_client, org, assessment, caplog):
    with caplog.at_level(logging.DEBUG):
        admin_client.post(
            url(org, "answer", pk=assessment.pk),
            answers_form(assessment, {"access_off_hours": 1}, {"access_off_hours": "SECRET-NOTE"}),
        )
        admin_client.post(
            url(org, "item_new", framework="all_in"),
            {
                "title": "SECRET-TITLE",
                "area_goal": "access:",
                "status": "planned",
                "due_date": "2030-01-01",
            },
        )
        admin_client.get(url(org, "scorecard", pk=assessment.pk))
    assert assessment.answers.get().note == "SECRET-NOTE" and ActionItem.objects.exists()
    assert "SECRET" not in caplog.text


def test_demo_is_idempotent():
    riverside, lakeview = make_org("riverside"), make_org("lakeview")
    make_staff(riverside, StaffRole.ORG_ADMIN, "riverside-admin")
    demo.load([riverside, lakeview])
    demo.load([riverside, lakeview])
    assert Assessment.objects.filter(organization=riverside).completed().count() == 2
    assert ActionItem.objects.filter(organization=riverside).count() == 2
    assert Commitment.objects.filter(organization=riverside, suggested="change_maker").count() == 1
    latest = Assessment.objects.filter(organization=riverside).order_by("-completed_at").first()
    assert (
        latest.previous() is not None
        and latest.scorecard().overall > latest.previous().scorecard().overall
    )
