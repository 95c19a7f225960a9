"""A staff admin on a phone uploads a .docx form, reads the verdicts and downloads the PDF report."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_org, make_staff
from respite.credentialing.tests.factories import make_docx


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_uploads_docx_sees_verdicts_and_downloads_report(phone, tmp_path):
    org = make_org("riverside", name="Riverside Community Health")
    make_staff(org, StaffRole.ORG_ADMIN, "admin-phone")
    form = tmp_path / "licensure.docx"
    form.write_bytes(make_docx())

    page = phone
    page.goto(f"{page.base}/staff/login/")
    page.fill("input[name=username]", "admin-phone")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.click("text=Credentialing question auditor")
    page.click("text=Audit a form")
    page.set_input_files("input[type=file]", str(form))
    page.click("button:has-text('Audit the questions')")

    page.wait_for_selector("h1:has-text('licensure.docx')")
    assert page.locator(".cred-question").count() == 4
    assert page.locator(".cred-question.cred-intrusive").count() == 2
    assert "Asks about the past" in page.inner_text("main")
    assert "Suggested replacement" in page.inner_text("main")

    with page.expect_download() as info:
        page.click("text=Download the report (PDF)")
    pdf = PdfReader(info.value.path())
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Intrusive" in text and "Acceptable" in text
    assert "Have you ever received counseling or therapy for depression or anxiety?" in text
    assert "practice nursing" in text
    assert page.problems == []
