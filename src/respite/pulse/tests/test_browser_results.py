"""End to end in Chromium: the owner on a desktop reads the overview, heat map and themes and prints
posters; a worker on a phone reads "you said, we did"; English and Spanish; axe-core on every new page."""

from __future__ import annotations

import shutil

import pytest

from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_org, make_staff
from respite.directory.tests.test_browser import _axe_violations
from respite.pulse.models import ResultsNote, Survey
from respite.pulse.tests.factories import answer, make_survey, make_units, release_all
from respite.pulse.tests.helpers import pdf_text
from respite.pulse.tests.test_overview import PARKING, STAFFING

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _released_org():
    org = make_org("acme", name="Acme Health")
    owner = make_staff(org, StaffRole.ORG_ADMIN, "owner")
    units = make_units(org, {"ICU": None, "ER": None, "Lab": None})
    for name, heads in (("ICU", 15), ("ER", 12), ("Lab", 4)):
        units[name].headcount = heads
        units[name].save(update_fields=["headcount"])
    survey = make_survey(org, allow_comments=True, title="Winter pulse")
    rnd = survey.rounds.get()
    for i in range(12):
        answer(survey, rnd, units["ICU"], burnout=5 if i < 8 else 2, comment=STAFFING[i % 11])
    for i in range(11):
        answer(survey, rnd, units["ER"], burnout=1, comment=PARKING[i])
    for _ in range(3):
        answer(survey, rnd, units["Lab"], burnout=2)
    release_all(survey)
    return org, owner, survey, rnd


def _desktop(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.base = live_server.url
    return context, page


def _sign_in(page, user) -> None:
    page.goto(f"{page.base}/staff/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_selector("main")


def test_owner_reads_overview_heat_map_and_themes_on_a_desktop_in_english_and_spanish(
    browser, live_server
):
    org, owner, survey, rnd = _released_org()
    context, page = _desktop(browser, live_server)
    _sign_in(page, owner)
    page.goto(f"{page.base}/staff/o/acme/pulse/surveys/{survey.pk}/")
    assert page.locator("h3:has-text('Sealed codes on paper')").count() == 1
    assert _axe_violations(page) == []  # the invitation page with its sealed-codes form
    page.click("a:has-text('Overview')")
    page.wait_for_selector("h1:has-text('Overview')")
    heat = page.locator(".pulse-heatmap table")
    assert heat.locator("tr:has-text('ICU') td").count() == len(survey.measures()) - 1
    assert "fewer than 5 responses" in heat.locator("tr:has-text('Lab')").inner_text()
    icu = page.locator(".pulse-participation tr:has-text('ICU')").inner_text()
    assert "80%" in icu  # 12 of 15
    themes = page.locator(".pulse-themes summary")
    assert themes.count() == 2
    themes.first.click()
    assert page.locator(".pulse-themes details[open] li").count() >= 10
    assert _axe_violations(page) == []

    page.click("form.lang button[value=es]")
    page.wait_for_selector("h1:has-text('Resumen')")
    assert "Mapa de calor" in page.inner_text("main") and "Participación" in page.inner_text("main")
    assert page.locator(".pulse-themes summary").count() == 2
    assert _axe_violations(page) == []
    page.goto(f"{page.base}/staff/o/acme/pulse/units/")
    assert "15 personas" in page.inner_text("main")
    assert _axe_violations(page) == []
    assert not page.problems, page.problems
    context.close()


def test_owner_prints_posters_and_publishes_the_page_workers_read_on_phones(
    browser, live_server, phone, tmp_path
):
    if shutil.which("pdftotext") is None:  # pragma: no cover - CI installs poppler-utils
        pytest.skip("pdftotext (poppler-utils) is not installed")
    org, owner, survey, rnd = _released_org()
    link_survey = make_survey(org, mode=Survey.Mode.LINK, title="Open door pulse")
    context, page = _desktop(browser, live_server)
    _sign_in(page, owner)
    page.goto(f"{page.base}/staff/o/acme/pulse/surveys/{link_survey.pk}/")
    assert _axe_violations(page) == []
    with page.expect_download() as info:
        page.click("a:has-text('Print posters with QR codes')")
    dest = tmp_path / "posters.pdf"
    info.value.save_as(dest)
    text = pdf_text(dest.read_bytes())
    assert "ICU" in text and "988" in text
    assert all(f"/pulse/s/{link.key}/" in text for link in link_survey.links.all())

    page.goto(f"{page.base}/staff/o/acme/pulse/surveys/{survey.pk}/")
    page.click("a:has-text('page for workers')")
    page.fill("textarea[name=actions_en]", "Hire two night float nurses")
    page.fill("textarea[name=actions_es]", "Contratar dos enfermeras de relevo nocturno")
    page.check("input[name=published]")
    assert _axe_violations(page) == []
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Saved.")
    assert ResultsNote.objects.get(round=rnd).published
    context.close()

    phone.goto(f"{phone.base}/o/acme/pulse/results/")
    phone.click(f"a:has-text('{survey.title}')")
    phone.wait_for_selector("h1:has-text('You said, we did')")
    main = phone.inner_text("main")
    assert "Hire two night float nurses" in main and "26" in main
    assert "ICU" not in main and "Lab" not in main
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert _axe_violations(phone) == []
    phone.click("form.lang button[value=es]")
    phone.wait_for_selector("h1:has-text('Lo que dijiste, lo que hacemos')")
    assert "Contratar dos enfermeras de relevo nocturno" in phone.inner_text("main")
    assert _axe_violations(phone) == []
    assert phone.problems == []
