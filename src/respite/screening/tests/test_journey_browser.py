"""The worker's journey on a 390x844 phone, English and Spanish: check-in -> urgent result -> save ->
share with a counselor, in one flow, with one code."""

from __future__ import annotations

import re
import unicodedata

import pytest
from mnemonic import Mnemonic
from playwright.sync_api import expect

from respite.core.roles import StaffRole
from respite.core.testing import make_org, make_staff
from respite.core.urlseal import unseal
from respite.counseling.models import Case, Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WORDS = {
    "en": set(Mnemonic("english").wordlist),
    "es": {unicodedata.normalize("NFC", w) for w in Mnemonic("spanish").wordlist},
}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_checkin_urgent_result_save_and_share_in_one_flow(phone, lang):
    org = make_org("journey", name="Riverside Community Health")
    make_staff(org, StaffRole.COUNSELOR, "counselor")
    page = phone
    page.goto(f"{page.base}/o/{org.slug}/check-in/")
    if lang == "es":
        page.get_by_role("button", name="Español").click()
    for name, value in {
        "phq2__1": 3,
        "phq2__2": 3,
        "gad2__1": 0,
        "gad2__2": 1,
        "burnout__1": 4,
        "selfharm__9": 0,
    }.items():
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.locator("form.screening button[type=submit]").click()
    for i in range(3, 9):
        page.locator(f'input[name="phq9__{i}"][value="2"]').check()
    page.locator("form.screening button[type=submit]").click()

    expect(page.locator("section.result-summary")).to_have_class("result-summary tier-urgent")
    share_top = page.evaluate(
        "() => document.querySelector('.counseling-share').getBoundingClientRect().top"
    )
    assert share_top < 844, f"the counselor starts at {share_top}px"
    page.locator(".counseling-share form button[type=submit]").click()  # "Save first, then share"

    code = page.get_by_test_id("access-code").inner_text().strip()
    assert len(code.split("-")) == 8 and set(code.split("-")) <= WORDS[lang]
    expect(page.locator("[data-copy]")).to_be_visible()
    page.locator("#share-message").fill("Night shifts are wearing me down")
    page.locator(".counseling-share form button[type=submit]").click()

    case = Case.objects.get()
    expect(page).to_have_url(re.compile(rf"{page.base}/o/{org.slug}/counseling/cases/[\w-]+/$"))
    assert unseal(page.url.rstrip("/").rsplit("/", 1)[-1]) == str(case.pk)
    assert Message.objects.get(case=case).body == "Night shifts are wearing me down"
    assert case.tier == "urgent"
    # the same code opens My space with the screening and the conversation
    page.goto(f"{page.base}/o/{org.slug}/my/space/")
    expect(page.locator('[data-kind="case"]')).to_have_count(1)
    expect(page.locator("table.history tbody tr").first).to_be_visible()
    assert not page.problems, page.problems
