"""The check-in as a worker does it: a phone, headless Chromium, English and Spanish."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from respite.core.testing import make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose(page, name: str, value: int) -> None:
    page.locator(f'input[name="{name}"][value="{value}"]').check()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_checkin_save_and_return_with_code_on_a_phone(phone, lang):
    org = make_org("clinic", name="Community Clinic")
    page = phone
    page.goto(f"{page.base}/o/{org.slug}/")
    if lang == "es":
        page.get_by_role("button", name="Español").click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator(f'a[href="/o/{org.slug}/check-in/"]').first.click()
    # PHQ-2 positive → follow-up to the PHQ-9; GAD-2 negative
    for name, value in [
        ("phq2__1", 2),
        ("phq2__2", 2),
        ("gad2__1", 0),
        ("gad2__2", 1),
        ("burnout__1", 3),
        ("selfharm__9", 0),
    ]:
        choose(page, name, value)
    page.locator("form.screening button[type=submit]").click()
    expect(page.locator('input[name="phq9__3"]')).to_have_count(4)
    for i in range(3, 9):
        choose(page, f"phq9__{i}", 1)
    page.locator("form.screening button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Your results" if lang == "en" else "Sus resultados")
    assert (
        "PHQ-9" in page.content()
        and "10" in page.locator(".result-lines li.result").first.inner_text()
    )
    assert page.locator("section.crisis").count() == 0

    page.locator("section.save button").click()
    expect(page.get_by_test_id("access-code")).to_be_visible()
    code = page.get_by_test_id("access-code").inner_text().strip()
    assert len(code.split("-")) == 8

    # a new session (the phone's browser was closed) comes back with the code
    page.context.clear_cookies()
    page.goto(f"{page.base}/o/{org.slug}/my/")
    page.locator('input[name="code"]').fill(code.replace("-", " "))
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("table.history tbody tr")).to_have_count(3)  # PHQ-9, GAD-2 and burnout
    page.wait_for_function(
        "() => { const i = document.querySelector('figure.chart img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=15000,
    )
    assert not page.problems, page.problems  # no CSP violations or script errors


def test_crisis_answer_shows_crisis_options_first_on_a_phone(phone):
    org = make_org("clinic2", name="Clinic")
    page = phone
    page.goto(f"{page.base}/o/{org.slug}/screenings/cssrs/")
    # skip logic: questions 3 to 5 stay hidden until question 2 is answered yes
    expect(page.locator('input[name="cssrs__3"]').first).to_be_hidden()
    choose(page, "cssrs__1", 1)
    choose(page, "cssrs__2", 1)
    expect(page.locator('input[name="cssrs__3"]').first).to_be_visible()
    for name in ("cssrs__3", "cssrs__4", "cssrs__5", "cssrs__6"):
        choose(page, name, 0)
    page.locator("form.screening button[type=submit]").click()
    expect(page.locator("section.crisis")).to_be_visible()
    first_section = page.locator("main section").first
    assert "crisis" in (first_section.get_attribute("class") or "")
    assert first_section.locator('a[href="tel:988"]').is_visible()
    assert first_section.locator('a[href^="sms:741741"]').is_visible()
    box = first_section.bounding_box()
    assert box["y"] < page.viewport_size["height"]  # on screen without scrolling
    assert re.search("Crisis Text Line", first_section.inner_text())
    assert not page.problems, page.problems
