"""Fixtures shared by every app's tests: named actors, fast hashing and headless Chromium."""

from __future__ import annotations

import os

import pytest

from respite.core.roles import StaffRole
from respite.core.testing import make_org, make_staff

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by live_server
# tests from that thread are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 390, "height": 844}


def pytest_report_header(config) -> str:
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"


@pytest.fixture(autouse=True)
def _fast_tests(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The constant-time floor of code look-ups is measured by its own test (core/tests/test_code_limits.py).
    settings.RESPITE_CODE_LOOKUP_SECONDS = 0
    # Tests about other things sign staff in with force_login; the second factor has its own tests
    # (core/tests/test_two_factor.py, test_console_browser.py), which switch it back on.
    settings.RESPITE_TWO_FACTOR_REQUIRED = False


@pytest.fixture(autouse=True)
def _english_by_default():
    """A Spanish request leaves Spanish active in the thread; each test starts in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def org(db):
    return make_org("acme", name="Acme Health")


@pytest.fixture
def other_org(db):
    return make_org("elsewhere", name="Elsewhere Clinic")


@pytest.fixture
def org_admin(org):
    return make_staff(org, StaffRole.ORG_ADMIN, "owner")


@pytest.fixture
def counselor(org):
    return make_staff(org, StaffRole.COUNSELOR, "counselor")


@pytest.fixture
def outsider(other_org):
    return make_staff(other_org, StaffRole.ORG_ADMIN, "outsider")


@pytest.fixture
def platform_admin(db):
    return make_staff(None, StaffRole.PLATFORM_ADMIN, "platform")


@pytest.fixture(scope="session")
def browser():
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=settings.RESPITE_CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page; console errors and CSP violations fail the test."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, accept_downloads=True
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.problems = problems
    page.base = live_server.url
    yield page
    context.close()
