"""``privacy.rate_limit`` (work that costs whatever its outcome) and the "please wait" messages,
which follow RESPITE_THROTTLE_WINDOW_SECONDS instead of promising a fixed 15 minutes."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from respite.core import privacy
from respite.core.testing import make_staff


def _from(address: str):
    return RequestFactory().post("/", REMOTE_ADDR=address)


@pytest.mark.django_db
def test_rate_limit_stops_a_network_at_its_limit_and_only_that_network():
    for _ in range(3):
        privacy.rate_limit(_from("203.0.113.7"), "posts", 3)
    with pytest.raises(privacy.Throttled):
        privacy.rate_limit(_from("203.0.113.7"), "posts", 3)
    privacy.rate_limit(_from("198.51.100.9"), "posts", 3)  # another hospital is not affected
    privacy.rate_limit(_from("203.0.113.7"), "audits", 3)  # nor another kind of work


@pytest.mark.django_db
def test_rate_limit_counts_a_whole_ipv6_64_as_one_network():
    privacy.rate_limit(_from("2001:db8:1:2::1"), "posts", 1)
    with pytest.raises(privacy.Throttled):
        privacy.rate_limit(_from("2001:db8:1:2:ffff::9"), "posts", 1)


@pytest.mark.parametrize(("seconds", "minutes"), [(15 * 60, 15), (600, 10), (90, 2), (30, 1)])
def test_the_wait_promised_is_the_configured_window(settings, seconds, minutes):
    settings.RESPITE_THROTTLE_WINDOW_SECONDS = seconds
    assert privacy.throttle_minutes() == minutes
    with translation.override("en"):
        unit = "minute" if minutes == 1 else "minutes"
        assert f"wait {minutes} {unit} and try again" in privacy.too_many_attempts()
        assert f"wait {minutes} {unit} and try again" in privacy.too_many_sign_ins()
        assert f"wait {minutes} {unit} and try again" in privacy.too_many_requests()
    with translation.override("es"):
        assert f"{minutes} minuto" in privacy.too_many_attempts()
        assert f"{minutes} minuto" in privacy.too_many_sign_ins()
        assert f"{minutes} minuto" in privacy.too_many_requests()


@pytest.mark.django_db
def test_a_throttled_staff_sign_in_names_the_configured_wait(org, settings):
    settings.RESPITE_THROTTLE_WINDOW_SECONDS = 600
    make_staff(org, "org_admin", "owner10")
    for _ in range(5):
        Client().post("/staff/login/", {"username": "owner10", "password": "wrong"})
    body = Client().post("/staff/login/", {"username": "owner10", "password": "wrong"})
    text = body.content.decode()
    # The wait is what is left of the (clock-aligned) window, never more than the window itself.
    found = re.search(r"Please wait (\d+) minutes? and try again", text)
    assert found and 1 <= int(found.group(1)) <= 10, text
    assert "15 minutes" not in text
