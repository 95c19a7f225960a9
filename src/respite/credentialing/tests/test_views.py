"""Staff pages: access, the upload flow, the checklist over time, the PDF report, CSRF and the audit log."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from respite.core.models import AuditLog
from respite.core.roles import StaffRole
from respite.core.testing import assert_tagged_pdf, make_staff
from respite.credentialing import readers
from respite.credentialing.models import Audit
from respite.credentialing.tests.conftest import page_url
from respite.credentialing.tests.factories import make_docx

FORM = """Medical Staff Reappointment
1. Have you ever been treated for a mental, emotional or nervous disorder?  Yes  No
2. Do you currently have any condition that impairs your ability to practice medicine?  Yes  No
3. Has your license ever been revoked?  Yes  No
"""


@pytest.fixture
def audit(org, org_admin):
    return Audit.do_create(
        organization=org, title="Reappointment 2024", form=readers.read_text(FORM), user=org_admin
    )


def test_pasted_form_is_audited_saved_and_logged(admin_client, org, caplog):
    caplog.set_level(logging.DEBUG)
    response = admin_client.post(
        page_url("audit_new", org), {"title": "Reappointment", "text": FORM}
    )
    audit = Audit.objects.get()
    assert response.status_code == 302 and response.url == audit.get_absolute_url()
    assert [q.label for q in audit.questions.all()] == ["intrusive", "acceptable", "other"]
    page = admin_client.get(audit.get_absolute_url()).content.decode()
    assert "Have you ever been treated for a mental, emotional or nervous disorder?" in page
    assert "Asks about the past" in page
    assert "Suggested replacement:" in page and "not being appropriately treated" in page
    assert "paragraph 1, line 2" in page
    entry = AuditLog.objects.get(action="credentialing.audit_created")
    assert entry.organization == org and entry.detail == {"questions": 3, "source": "text"}
    assert "nervous disorder" not in caplog.text  # form text never reaches the logs


def test_uploaded_docx_is_audited(admin_client, org):
    upload = SimpleUploadedFile("licensure.docx", make_docx())
    response = admin_client.post(page_url("audit_new", org), {"file": upload, "profession": ""})
    audit = Audit.objects.get()
    assert response.status_code == 302
    assert (
        audit.title == "licensure.docx"
        and audit.source_kind == "docx"
        and audit.profession == "nursing"
    )
    assert audit.questions.count() == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Paste the questions or choose a file"),
        ({"text": "Health history\nThe board supports you."}, "No questions were found"),
        ({"text": FORM, "file": SimpleUploadedFile("f.txt", FORM.encode())}, "not both"),
        ({"file": SimpleUploadedFile("f.exe", b"MZ")}, "Upload a .txt, .pdf or .docx file"),
        ({"file": SimpleUploadedFile("f.pdf", b"%PDF-1.4 garbage")}, "could not be read"),
        ({"file": SimpleUploadedFile("f.docx", b"PK\x03\x04 garbage")}, "could not be read"),
        (
            {"file": SimpleUploadedFile("f.txt", b"x" * (readers.MAX_BYTES + 10))},
            "larger than 5 MB",
        ),
        ({"text": FORM, "profession": "astrology"}, "Select a valid choice"),
    ],
)
def test_bad_input_gets_400_and_a_clear_message(admin_client, org, data, message):
    response = admin_client.post(page_url("audit_new", org), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Audit.objects.exists()


def test_checklist_is_ticked_logged_and_progress_shown_over_time(
    admin_client, org, org_admin, audit
):
    response = admin_client.post(
        page_url("audit_checklist", org, pk=audit.pk), {"safe_haven": "on", "communicated": "on"}
    )
    assert response.status_code == 302
    audit.refresh_from_db()
    assert (audit.safe_haven, audit.communicated, audit.supportive_language) == (True, True, False)
    assert AuditLog.objects.get(action="credentialing.checklist_updated").detail == {
        "fields": ["communicated", "safe_haven"]
    }
    revised = Audit.do_create(
        organization=org,
        title="Reappointment 2025",
        user=org_admin,
        form=readers.read_text(
            "1. Do you currently have any condition that impairs your ability to practice medicine?"
        ),
    )
    page = admin_client.get(page_url("audit_list", org)).content.decode()
    assert page.index("Reappointment 2025") < page.index("Reappointment 2024")
    assert (
        "2 of 4" in page and "1 of 4" in page
    )  # 2024: safe haven + communicated; 2025: no intrusive left
    detail = admin_client.get(revised.get_absolute_url()).content.decode()
    assert "What remains to do" in detail and "Changes communicated to staff" in detail


def test_pdf_report_contains_the_verdicts_and_checklist(admin_client, org, audit):
    response = admin_client.get(page_url("audit_report", org, pk=audit.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert_tagged_pdf(response.content, "en")
    assert "attachment" in response["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    for expected in [
        "Intrusive",
        "Acceptable",
        "Not a health question",
        "Have you ever been treated for a mental",
        "not being appropriately treated",
        "Wellbeing First Champion checklist",
        "What remains to do",
    ]:
        assert expected in text, expected
    assert AuditLog.objects.filter(action="credentialing.report_downloaded").count() == 1


def test_pages_are_in_spanish(admin_client, org, audit):
    admin_client.cookies["django_language"] = "es"
    page = admin_client.get(audit.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Pregunta por el pasado" in page and "ejercer la medicina" in page
    assert "Lista de verificación" in page


@pytest.mark.parametrize("name", ["audit_list", "audit_new", "audit_detail", "audit_report"])
def test_only_org_admins_of_this_org_get_in(
    client, org, other_org, audit, outsider, counselor, name
):
    url = page_url(
        name, org, **({"pk": audit.pk} if name in {"audit_detail", "audit_report"} else {})
    )
    response = client.get(url)
    assert (
        response.status_code == 302 and "/staff/login/" in response.url
    )  # anonymous: sign in first
    for user in (outsider, counselor, make_staff(org, StaffRole.PEER_SUPPORTER)):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_audit_of_another_org_is_404_even_for_its_neighbour_admin(
    client, org, other_org, outsider, audit
):
    client.force_login(outsider)
    assert client.get(page_url("audit_detail", other_org, pk=audit.pk)).status_code == 404
    assert (
        client.post(
            page_url("audit_checklist", other_org, pk=audit.pk), {"safe_haven": "on"}
        ).status_code
        == 404
    )
    audit.refresh_from_db()
    assert audit.safe_haven is False


def test_platform_admin_may_audit(client, org, platform_admin):
    client.force_login(platform_admin)
    assert client.get(page_url("audit_list", org)).status_code == 200


def test_wrong_methods(admin_client, org, audit):
    assert admin_client.get(page_url("audit_checklist", org, pk=audit.pk)).status_code == 405
    assert admin_client.post(page_url("audit_detail", org, pk=audit.pk)).status_code == 405
    assert admin_client.delete(page_url("audit_new", org)).status_code == 405


def test_csrf_is_enforced(org, org_admin, audit):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org_admin)
    assert client.post(page_url("audit_new", org), {"text": FORM}).status_code == 403
    assert (
        client.post(page_url("audit_checklist", org, pk=audit.pk), {"safe_haven": "on"}).status_code
        == 403
    )


def test_audit_list_queries_do_not_grow_with_audits(
    admin_client, org, org_admin, django_assert_max_num_queries
):
    for i in range(6):
        Audit.do_create(
            organization=org, title=f"Form {i}", form=readers.read_text(FORM), user=org_admin
        )
    with django_assert_max_num_queries(8):
        assert admin_client.get(page_url("audit_list", org)).status_code == 200


def test_staff_home_links_to_the_auditor(admin_client, org):
    assert (
        page_url("audit_list", org) in admin_client.get(reverse("core:staff_home")).content.decode()
    )


def test_demo_shows_progress_and_is_idempotent(org, other_org):
    from respite.credentialing import demo

    demo.load([org, other_org])
    demo.load([org, other_org])
    before, after = Audit.objects.for_organization(org).with_counts().order_by("created_at", "pk")
    assert before.n_intrusive == 4 and after.n_intrusive == 0
    assert after.checklist_done() == 3
