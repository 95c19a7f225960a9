"""An attacker who planted or saw a worker's session id before the worker attached a code (a shared
ward computer, a fixation link) cannot use it to open what the code opens."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from respite.screening.tests.test_worker_flow import _save

pytestmark = pytest.mark.django_db


def test_saving_a_result_gives_the_browser_a_new_session_id(org):
    worker = Client()
    worker.get(f"/o/{org.slug}/check-in/")
    worker.session.save()  # the attacker knows this id
    planted = worker.cookies[settings.SESSION_COOKIE_NAME].value
    _save(worker, org)
    assert worker.cookies[settings.SESSION_COOKIE_NAME].value != planted
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted
    page = attacker.get(f"/o/{org.slug}/my/history/", follow=True).content.decode()
    assert "Your check-ins" not in page  # the old id opens nothing


def test_entering_a_code_gives_the_browser_a_new_session_id(org):
    words = _save(Client(), org)
    kiosk = Client()
    kiosk.get(f"/o/{org.slug}/my/")
    kiosk.session.save()
    planted = kiosk.cookies[settings.SESSION_COOKIE_NAME].value
    assert kiosk.post(f"/o/{org.slug}/my/", {"code": words}).status_code == 302
    assert kiosk.cookies[settings.SESSION_COOKIE_NAME].value != planted
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted
    assert (
        "Your check-ins"
        not in attacker.get(f"/o/{org.slug}/my/history/", follow=True).content.decode()
    )
