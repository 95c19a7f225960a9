"""The board report: PDF with the scorecard, the same content as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pypdf
import pytest

from respite.assessments.models import ActionItem, Commitment
from respite.assessments.tests.conftest import url
from respite.core.models import AuditLog
from respite.core.testing import assert_tagged_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(org, org_admin, assessment):
    assessment.do_record_answers(
        org_admin,
        {
            "access_off_hours": (3, ""),
            "access_time_off": (3, "Policy HR-12: five paid wellness days, adopted 2025."),
            "reentry_written": (0, ""),
            "reentry_transparent": (1, ""),
            "php_known": (2, ""),
        },
    )
    ActionItem.objects.create(
        organization=org,
        framework="all_in",
        area="reentry",
        goal="structured",
        title='=HYPERLINK("http://x")',
        owner="HR director",
        due_date=date(2030, 1, 31),
        measure_key="burnout",
    )
    Commitment.objects.create(
        organization=org,
        framework="national_plan",
        title="Change Maker",
        target_date=date(2027, 3, 18),
    )
    return assessment


def test_pdf_contains_the_scorecard_gaps_and_plan(admin_client, org, answered, fake_pulse):
    response = admin_client.get(url(org, "report_pdf", pk=answered.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'attachment; filename="acme-all_in-' in response["Content-Disposition"]
    assert_tagged_pdf(response.content, "en")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    assert "Accessible and affordable mental health care 100%" in flat
    assert "Supportive pathway for re-entry 17%" in flat
    assert "Confidential Professional/Physician Health Program support 67%" in flat
    assert "Gaps, weakest first" in flat and "HR director" in flat and "Change Maker" in flat
    assert "0.42" in flat  # the watched measure before the action
    # The evidence note a rater wrote is in the board's PDF, beside its criterion and rating.
    assert "Evidence notes" in flat
    assert "Policy HR-12: five paid wellness days, adopted 2025." in flat
    assert AuditLog.objects.filter(
        action="assessment.report_exported", detail__format="pdf"
    ).exists()


def test_pdf_is_spanish_for_a_spanish_reader(admin_client, org, answered):
    admin_client.cookies["django_language"] = "es"
    response = admin_client.get(url(org, "report_pdf", pk=answered.pk), HTTP_ACCEPT_LANGUAGE="es")
    assert_tagged_pdf(response.content, "es")
    text = " ".join(
        " ".join(
            p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages
        ).split()
    )
    assert "Vía de apoyo para la reincorporación 17%" in text


def test_csv_has_the_same_content_and_neutralizes_formulas(admin_client, org, answered, no_pulse):
    response = admin_client.get(url(org, "report_csv", pk=answered.pk))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    scores = {r[1]: r[2] for r in rows if r and r[0] == "scorecard"}
    assert scores["Supportive pathway for re-entry"] == "17" and scores["Overall"] == "60"
    gaps = [r for r in rows if r and r[0] == "gap"]
    assert [g[2] for g in gaps] == [
        "Supportive pathway for re-entry",
        "Confidential Professional/Physician Health Program support",
    ]
    action = next(r for r in rows if r and r[0] == "action")
    assert action[1].startswith("'=HYPERLINK")  # a spreadsheet will not run it
    assert action[4:7] == ["HR director", "2030-01-31", "Planned"]
    assert any(r and r[0] == "commitment" and r[1] == "Change Maker" for r in rows)
    evidence = [r for r in rows if r and r[0] == "evidence"]
    assert len(evidence) == 1 and evidence[0][4].startswith("Policy HR-12")
