"""On a phone, the booking page finds the phone's own time zone (Intl) and shows times in it, with
the clock style of the page's language."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from respite.conftest import PHONE
from respite.core.testing import make_org
from respite.counseling.models import Slot
from respite.counseling.tests.conftest import make_clinician

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("lang", "shown"), [("en", "3:00 PM"), ("es", "15:00")])
def test_times_follow_the_phones_time_zone_and_language(browser, live_server, lang, shown):
    org = make_org("shift", name="Riverside Community Health", state="CA", time_zone="UTC")
    clinician = make_clinician("la", tz="America/Los_Angeles", languages=("en", "es"))
    day = (timezone.now() + timedelta(days=3)).astimezone(clinician.tz).date()
    start = datetime(day.year, day.month, day.day, 13, 0, tzinfo=clinician.tz)  # 3 PM in Chicago
    Slot.objects.create(clinician=clinician, starts_at=start, ends_at=start + timedelta(minutes=50))
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        timezone_id="America/Chicago",
        locale="es-ES" if lang == "es" else "en-US",
        extra_http_headers={"Accept-Language": lang},
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/o/{org.slug}/counseling/therapists/?state=CA&language={lang}")
        expect(page).to_have_url(
            f"{live_server.url}/o/{org.slug}/counseling/therapists/?state=CA&language={lang}&tz=America%2FChicago"
        )
        expect(page.locator("ul.slots a").first).to_have_text(shown)
        expect(page.locator("select[name=tz]")).to_have_value("America/Chicago")
        # The worker can still choose another zone by hand.
        page.locator("select[name=tz]").select_option("America/New_York")
        page.locator("form.find-therapist button[type=submit]").click()
        expect(page.locator("ul.slots a").first).to_have_text(
            "4:00 PM" if lang == "en" else "16:00"
        )
    finally:
        context.close()
