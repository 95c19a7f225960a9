"""Acceptance: a wellness officer completes the ALL IN assessment, sees the scorecard chart, creates an
action plan from the top gaps and downloads the PDF (rendered to PNG and checked for the scorecard)."""

from __future__ import annotations

import shutil
import subprocess

import pypdf
import pytest
from PIL import Image, ImageStat

from respite.assessments import frameworks
from respite.assessments.models import ActionItem, Assessment
from respite.core.testing import PASSWORD

# Levels per area: access full, re-entry nothing, the rest in between -> a clear ranking of gaps.
LEVELS = {"access": 3, "php": 1, "privacy": 2, "peer_support": 2, "education": 3, "reentry": 0}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_wellness_officer_runs_all_in_and_downloads_the_board_report(
    phone, org, org_admin, tmp_path
):
    page = phone
    page.goto(page.base + "/staff/login/")
    page.fill("#id_username", org_admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.get_by_role("link", name="Self-assessments").first.click()

    page.get_by_role("button", name="Start ALL IN assessment").click()
    spec = frameworks.get("all_in")
    for area in spec.areas:
        for c in area.criteria:
            page.check(f'fieldset[data-criterion="{c.id}"] input[value="{LEVELS[area.id]}"]')
    page.fill("#id_n_access_off_hours", "EAP contract: 24/7 line")
    page.get_by_role("button", name="Save and see scorecard").click()

    chart = page.locator("#scorecard-chart")
    chart.wait_for()
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    scores = page.locator("table.assess-scores")
    assert "Supportive pathway for re-entry" in scores.inner_text() and "0%" in scores.inner_text()
    gaps = page.locator("ol.assess-gaps > li > h3").all_inner_texts()
    assert gaps[0].startswith("Supportive pathway for re-entry") and gaps[1].startswith(
        "Confidential Professional/Physician Health Program support"
    )

    page.fill("#id_owner", "Chief Wellness Officer")
    page.get_by_role("button", name="Create action plan from selected gaps").click()
    page.get_by_role("heading", name="Action plan").wait_for()
    assert "A written return-to-work process exists" in page.content()
    items = ActionItem.objects.filter(organization=org)
    # The three weakest areas were preselected: re-entry 0 %, PHP 33 %, then privacy (67 %, first of a tie).
    assert sorted(i.area for i in items) == ["php", "privacy", "reentry"]
    assert all(i.owner == "Chief Wellness Officer" for i in items)

    assessment = Assessment.objects.get(organization=org)
    page.goto(page.base + f"/staff/o/{org.slug}/assessments/{assessment.pk}/scorecard/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF report").click()
    pdf_path = tmp_path / "report.pdf"
    info.value.save_as(pdf_path)

    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(pdf_path).pages).split())
    for area, expected in (
        ("Accessible and affordable mental health care", 100),
        ("Supportive pathway for re-entry", 0),
        ("Confidential Professional/Physician Health Program support", 33),
    ):
        assert f"{area} {expected}%" in text
    assert "Chief Wellness Officer" in text

    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (Debian poppler-utils) is needed to render the report"
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob("page*.png"))
    image = Image.open(png).convert("L")
    assert image.width > 300 and image.height > 400
    # The scorecard's bars make the first page far from blank: dark pixels and real variation.
    assert ImageStat.Stat(image).stddev[0] > 20
    assert sum(1 for px in image.getdata() if px < 128) > 2000
    assert page.problems == []
