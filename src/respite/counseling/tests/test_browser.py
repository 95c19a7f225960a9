"""On a phone: screen, share with a counselor, the counselor replies, the worker reads it with the code;
then book a volunteer therapist and download a valid .ics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from icalendar import Calendar

from respite.conftest import PHONE
from respite.core.testing import PASSWORD
from respite.counseling.tests.conftest import make_clinician, make_slot


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_share_reply_read_with_code_and_book_on_a_phone(phone, browser, org, counselor):
    org.state = "CA"
    org.save()
    clinician = make_clinician("volunteer", display_name="Ana R., LCSW", states=["CA"])
    make_slot(clinician, hours_ahead=30)
    page, base = phone, phone.base

    # 1. The worker takes the check-in (all "Not at all") and saves the result under a code.
    page.goto(f"{base}/o/{org.slug}/check-in/")
    for name in sorted(
        set(page.locator("input[type=radio]").evaluate_all("els => els.map(e => e.name)"))
    ):
        page.locator(f"input[name='{name}']").first.check()  # the mildest answer
    page.get_by_role("button", name="Continue").click()
    result_url = page.url
    page.get_by_role("button", name="Save first, then share").click()
    words = page.get_by_test_id("access-code").inner_text().strip()
    page.goto(result_url)
    page.get_by_label("Anything you want the counselor to know (optional)").fill(
        "Long nights lately."
    )
    page.get_by_role("button", name="Share with a counselor").click()
    page.get_by_text("Waiting for a counselor").wait_for()

    # 2. A counselor signs in, opens the top of the queue and replies.
    staff_ctx = browser.new_context(viewport=PHONE)
    staff = staff_ctx.new_page()
    staff.goto(f"{base}/staff/login/")
    staff.get_by_label("Username").fill(counselor.username)
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.goto(f"{base}/staff/o/{org.slug}/counseling/")
    staff.locator("table.queue a").first.click()
    assert "Long nights lately." in staff.content() and words not in staff.content()
    staff.get_by_label("Reply").fill("Thank you for reaching out. What would help most this week?")
    staff.get_by_role("button", name="Send reply").click()
    staff.get_by_text("Reply sent.").wait_for()
    staff_ctx.close()

    # 3. Later, on a fresh phone session, the worker enters the code and reads the reply.
    worker_ctx = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, accept_downloads=True
    )
    worker = worker_ctx.new_page()
    worker_problems: list[str] = []
    worker.on(
        "console", lambda msg: worker_problems.append(msg.text) if msg.type == "error" else None
    )
    worker.goto(f"{base}/o/{org.slug}/counseling/")
    worker.get_by_label("Your access code").fill(words.replace("-", " "))
    worker.get_by_role("button", name="Continue").click()
    worker.get_by_role("link", name=re.compile("Shared on")).click()
    worker.get_by_text("What would help most this week?").wait_for()
    assert worker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # 4. The worker books a volunteer therapist and downloads the invitation.
    worker.goto(f"{base}/o/{org.slug}/counseling/therapists/?state=CA&language=en")
    worker.locator("ul.slots a").first.click()
    worker.get_by_label("How should the therapist reach you?").select_option("text")
    worker.get_by_label("Phone number or email").fill("555 010 4242")
    worker.get_by_role("button", name="Book this time").click()
    with worker.expect_download() as info:
        worker.get_by_role("link", name="Add to my calendar (.ics)").click()
    payload = Path(info.value.path()).read_bytes()
    event = Calendar.from_ical(payload).walk("VEVENT")[0]
    assert "Ana R., LCSW" in str(event["summary"]) and b"010 4242" not in payload
    assert page.problems == [] and worker_problems == []
    worker_ctx.close()
