"""On a 390x844 phone, the organization's own people appear on the first screen of a moderate or
urgent result (they used to start 3,425 px down)."""

from __future__ import annotations

import pytest

from respite.core.roles import StaffRole
from respite.core.testing import make_org, make_staff
from respite.peers.tests.factories import make_supporter
from respite.screening.tests.checkins import MODERATE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHQ9_REST = {"moderate": 1, "urgent": 2}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("level", ["moderate", "urgent"])
def test_own_people_within_the_first_screen_of_a_phone(phone, lang, level):
    org = make_org("night", name="Riverside Community Health")
    make_staff(org, StaffRole.COUNSELOR, "counselor")
    make_supporter(org, "pat")
    page = phone
    page.goto(f"{page.base}/o/{org.slug}/check-in/")
    if lang == "es":
        page.get_by_role("button", name="Español").click()
    for name, value in MODERATE.items():
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.locator("form.screening button[type=submit]").click()
    for i in range(3, 9):
        page.locator(f'input[name="phq9__{i}"][value="{PHQ9_REST[level]}"]').check()
    page.locator("form.screening button[type=submit]").click()
    page.wait_for_selector("section.own-people")
    tier = page.locator("section.result-summary").get_attribute("class")
    assert ("tier-urgent" if level == "urgent" else "tier-counseling") in tier
    top = page.evaluate(
        "() => document.querySelector('section.own-people h3').getBoundingClientRect().top"
        " + window.scrollY"
    )
    assert top < 844, f"own people start at {top}px"
    assert not page.problems, page.problems
