"""The worker's journey on a 390x844 phone, English and Spanish: check-in -> urgent result -> save ->
share with a counselor, in one flow, with one code; then, with the same code, a booking and a peer
request whose messages go both ways, all gathered in My space, and never a second code."""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.test import Client
from mnemonic import Mnemonic
from playwright.sync_api import expect

from respite.core.models import AccessCode
from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_org, make_staff
from respite.core.urlseal import unseal
from respite.counseling.models import Booking, Case, Message
from respite.counseling.tests.conftest import make_clinician, make_slot
from respite.peers.models import PeerMessage, SupportRequest
from respite.peers.tests.factories import make_supporter

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

    # The same code books a volunteer therapist ...
    clinician = make_clinician("therapist", states=("CA",), languages=("en", "es"))
    make_slot(clinician, hours_ahead=30)
    page.goto(f"{page.base}/o/{org.slug}/counseling/therapists/?state=CA&language={lang}")
    page.locator("ul.slots a").first.click()
    page.locator("select[name=contact_method]").select_option("text")
    page.locator("input[name=contact]").fill("+1 555 010 9999")
    page.locator("main form button[type=submit]").click()
    booking = Booking.objects.get()
    expect(page).to_have_url(re.compile(rf"{page.base}/o/{org.slug}/counseling/sessions/[\w-]+/$"))
    assert unseal(page.url.rstrip("/").rsplit("/", 1)[-1]) == str(booking.engagement_id)
    assert booking.engagement.access_code_id == case.access_code_id

    # ... and asks for peer support, staying anonymous: no second code is shown or made.
    make_supporter(org, "pat", languages=["en", "es"])
    page.goto(f"{page.base}/o/{org.slug}/peer-support/ask/")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("same-code")).to_be_visible()
    expect(page.get_by_test_id("access-code")).to_have_count(0)
    req = SupportRequest.objects.get()
    assert req.requester_code_id == case.access_code_id
    pat = Client()
    assert pat.login(username="pat", password=PASSWORD)
    staff_url = f"/staff/o/{org.slug}/peer-support/r/{req.pk}/"
    pat.post(staff_url + "accept/")
    pat.post(staff_url + "contact/", {"method": "portal", "message": "Hi, I'm Pat from pharmacy."})

    # My space gathers the screening, the case, the booking and the peer request.
    page.goto(f"{page.base}/o/{org.slug}/my/space/")
    expect(page.locator('[data-kind="case"]')).to_have_count(1)
    expect(page.locator('[data-kind="engagement"]')).to_have_count(1)
    expect(page.locator('[data-kind="peer-request"]')).to_have_count(1)
    expect(page.locator("table.history tbody tr").first).to_be_visible()

    # Peer messages go both ways.
    page.locator('[data-kind="peer-request"] a').first.click()
    expect(page.locator(".peer-thread")).to_contain_text("Pat from pharmacy")
    page.locator("#id_body").fill("Thank you, Pat. Could we talk after my Saturday shift?")
    page.locator(".peer-message form button[type=submit]").click()
    expect(page.locator('.peer-thread [data-author="worker"]')).to_contain_text("Saturday shift")
    assert "after my Saturday shift" in pat.get(staff_url).content.decode()
    pat.post(staff_url + "messages/", {"body": "Yes, Saturday at noon works."})
    page.reload()
    expect(page.locator('.peer-thread [data-author="supporter"]').last).to_contain_text("noon")
    assert PeerMessage.objects.count() == 2
    assert AccessCode.objects.count() == 1  # one worker, one code, all the way through
    assert not page.problems, page.problems
