"""The acceptance walk-through on a phone: a manager refers a colleague after an adverse event, a
supporter from another department accepts, records contact and a referral, closes and hands over a
rating code; the colleague rates the help; the program lead sees only the aggregate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from respite.core.testing import PASSWORD, make_org
from respite.peers.models import Source, SupportRequest
from respite.peers.tests.factories import make_department, make_lead, make_supporter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{page.base}/staff/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Staff")


def test_referral_to_aggregate_on_a_phone(phone):
    org = make_org("general", name="General Hospital")
    er, icu = make_department(org, "Emergency"), make_department(org, "Intensive care")
    make_supporter(org, "erin", [er])  # same department as the referred person: must never see it
    make_supporter(org, "ivan", [icu])
    make_lead(org, "lead")
    # earlier, already rated requests so the lead's aggregate can be shown (k = 5)
    earlier = timezone.now() - timedelta(days=3)
    SupportRequest.objects.bulk_create(
        SupportRequest(
            organization=org,
            source=Source.MANAGER,
            event_type="patient_death",
            created_at=earlier,
            contacted_at=earlier + timedelta(hours=4),
            closed_at=earlier + timedelta(days=1),
            referral="none",
            rating=4,
        )
        for _ in range(5)
    )
    page = phone

    # 1. the manager refers a colleague: contact, department, language and kind of event only
    page.goto(f"{page.base}/o/{org.slug}/peer-support/")
    page.locator(f'a[href="/o/{org.slug}/peer-support/refer/"]').click()
    page.locator('input[name="relationship"][value="manager"]').check()
    page.locator('input[name="contact"]').fill("555-0142")
    page.locator('select[name="department"]').select_option(label="Emergency")
    page.locator('select[name="event_type"]').select_option("patient_death")
    page.locator("form.stack button[type=submit]").click()
    expect(page.get_by_test_id("access-code")).to_be_visible()

    # 2. the supporter from the same department has nothing waiting
    sign_in(page, "erin")
    page.goto(f"{page.base}/staff/o/{org.slug}/peer-support/")
    expect(page.get_by_text("Nothing waiting for you.")).to_be_visible()

    # 3. the supporter from another department accepts, sees the contact, records contact and a referral
    sign_in(page, "ivan")
    page.goto(f"{page.base}/staff/o/{org.slug}/peer-support/")
    page.locator("ul.cards a", has_text="PS-").first.click()
    expect(page.get_by_test_id("contact")).to_have_count(0)
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_test_id("contact")).to_have_text("555-0142")
    page.locator('select[name="method"]').select_option("phone")
    page.get_by_role("button", name="Record contact").click()
    expect(page.get_by_test_id("status")).to_have_text("A supporter has reached out")
    page.locator('input[name="follow_up_on"]').fill("2030-01-05")
    page.locator('select[name="referral"]').select_option("professional")
    page.get_by_role("button", name="Save follow-up").click()
    page.locator('input[name="confirm"]').check()
    page.get_by_role("button", name="Close request").click()
    rating_code = page.get_by_test_id("rating-code").inner_text().strip()
    assert len(rating_code.split("-")) == 8

    # 4. the colleague rates the help anonymously with the code the supporter handed over
    page.context.clear_cookies()
    page.goto(f"{page.base}/o/{org.slug}/peer-support/check/")
    page.locator('input[name="code"]').fill(rating_code.replace("-", " "))
    page.locator("form.stack button[type=submit]").click()
    page.locator('input[name="rating"][value="5"]').check()
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_test_id("rated")).to_be_visible()

    # 5. the lead sees aggregates only: six requests, mean satisfaction (4×5 + 5) / 6 ≈ 4.2
    sign_in(page, "lead")
    page.goto(f"{page.base}/staff/o/{org.slug}/peer-support/lead/")
    expect(page.get_by_test_id("total")).to_have_text("6")
    expect(page.get_by_test_id("satisfaction")).to_have_text("4.2")
    assert "555-0142" not in page.content()
    req = SupportRequest.objects.exclude(rating=4).get()
    assert req.contact == "" and req.referral == "professional" and req.rating == 5
    assert not page.problems, page.problems
