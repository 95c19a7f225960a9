"""Someone who wants a counselor off the console for the night types wrong passwords for their account,
over and over, from their own network. A per-account lock would do it for them (five failures from
anyone used to lock the account for everyone). Failures are counted per (account, client network): the
attacker's network is slowed and then refused, with a wait the message states; the counselor signs in
from their network at once; every failure is in the audit log.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from respite.core import privacy
from respite.core.models import AuditLog
from respite.core.testing import PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.45"
COUNSELOR = "198.51.100.7"


def _sign_in(address: str, username: str, password: str, **extra) -> object:
    return Client(REMOTE_ADDR=address, **extra).post(
        "/staff/login/", {"username": username, "password": password}
    )


def _refused(response) -> bool:
    return (
        response.status_code == 200
        and "Too many failed sign-in attempts" in response.content.decode()
    )


def test_fifty_wrong_passwords_from_one_network_do_not_lock_the_counselor_out(org, counselor):
    answers = [_sign_in(ATTACKER, "counselor", f"guess{i}") for i in range(50)]
    assert not any(_refused(a) for a in answers[:5])  # five honest mistakes are never refused
    assert all(_refused(a) for a in answers[5:])
    # Refused with the right password too, and told how long to wait (the real wait, whole minutes).
    blocked = _sign_in(ATTACKER, "counselor", PASSWORD)
    assert _refused(blocked) and "_auth_user_id" not in blocked.wsgi_request.session
    minutes = int(re.search(r"wait (\d+) minute", blocked.content.decode()).group(1))
    assert minutes == privacy.wait_minutes(privacy.Throttled(privacy.seconds_left_in_window()))

    assert _sign_in(COUNSELOR, "counselor", PASSWORD).status_code == 302
    # An IPv6 phone hopping addresses within its /64 stays one network.
    for i in range(5):
        _sign_in(f"2001:db8:1:2::{i + 1}", "counselor", "guess")
    assert _refused(_sign_in("2001:db8:1:2::ffff", "counselor", PASSWORD))
    assert _sign_in("2001:db8:9::1", "counselor", PASSWORD).status_code == 302

    failed = AuditLog.objects.filter(action="auth.sign_in_failed", organization=org)
    assert (
        failed.count() == 10
    )  # the five counted failures of each network; refusals test no password


def test_the_wait_message_is_in_spanish_too(org, counselor):
    for _ in range(5):
        _sign_in(ATTACKER, "counselor", "guess")
    with translation.override("es"):
        response = _sign_in(ATTACKER, "counselor", "guess", HTTP_ACCEPT_LANGUAGE="es")
    assert re.search(r"Esper[ae] \d+ minutos?", response.content.decode())


def test_the_wait_grows_while_guessing_goes_on(org, counselor, settings, monkeypatch):
    from django.utils import timezone

    window = settings.RESPITE_THROTTLE_WINDOW_SECONDS
    start = privacy._window_start()
    allowed = []
    for n in range(4):
        later = start + timedelta(seconds=n * window + 1)
        monkeypatch.setattr(timezone, "now", lambda later=later: later)
        tries = [_sign_in(ATTACKER, "counselor", "guess") for _ in range(6)]
        allowed.append(sum(not _refused(t) for t in tries))
        assert _sign_in(COUNSELOR, "counselor", PASSWORD).status_code == 302
    assert allowed == [5, 2, 1, 0], allowed


def test_many_networks_together_hit_the_account_cap_but_a_fresh_network_gets_in(
    org, counselor, settings
):
    settings.RESPITE_SIGN_IN_FAILURES_PER_ACCOUNT = 6
    for i in range(3):
        for _ in range(2):
            _sign_in(f"203.0.113.{i + 1}", "counselor", "guess")
    assert _refused(_sign_in("203.0.113.1", "counselor", PASSWORD))
    assert _sign_in(COUNSELOR, "counselor", PASSWORD).status_code == 302


def test_django_admin_sign_in_backs_off_per_network(settings, platform_admin):
    settings.RESPITE_DJANGO_ADMIN = True
    platform_admin.is_staff = platform_admin.is_superuser = True
    platform_admin.save()
    name = platform_admin.username
    for _ in range(8):
        Client(REMOTE_ADDR=ATTACKER).post("/admin/login/", {"username": name, "password": "wrong"})
    blocked = Client(REMOTE_ADDR=ATTACKER).post(
        "/admin/login/", {"username": name, "password": PASSWORD}
    )
    assert "Too many failed sign-in attempts" in blocked.content.decode()
    owner = Client(REMOTE_ADDR=COUNSELOR)
    signed_in = owner.post("/admin/login/", {"username": name, "password": PASSWORD})
    assert "Too many failed sign-in attempts" not in signed_in.content.decode()
