"""Single sign-on against a real OpenID Connect provider: npm's oidc-provider, started by the test on
localhost (src/respite/core/tests/oidc/provider.mjs; `make oidc-provider` installs it, and so does this
module on a clean checkout). Its development sign-in form takes any login as the account's email."""

from __future__ import annotations

import contextlib
import html
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.apps import apps
from django.db import connection
from django.urls import NoReverseMatch, reverse

from respite.core.models import AuditLog, Invitation, SingleSignOn, has_role
from respite.core.roles import StaffRole
from respite.core.staff import do_invite
from respite.core.testing import free_port, make_staff

OIDC_DIR = Path(__file__).parent / "oidc"
CLIENT_ID = "respite-test"
CLIENT_SECRET = "a-client-secret-nobody-else-knows"  # noqa: S105


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def _install_provider() -> None:
    if (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    assert npm, "npm is needed for the single sign-on tests (apt-get install nodejs npm)"
    subprocess.run(  # noqa: S603
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=OIDC_DIR,
        check=True,
        timeout=900,
    )


def start_provider(callback: str) -> Provider:
    _install_provider()
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - read when the provider fails to start
    process = subprocess.Popen(  # noqa: S603
        [
            shutil.which("node") or "node",
            "provider.mjs",
            str(port),
            CLIENT_ID,
            CLIENT_SECRET,
            callback,
        ],
        cwd=OIDC_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail("the OpenID provider stopped: " + log.read().decode(errors="replace"))
        try:
            with urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=10):  # noqa: S310
                return Provider(issuer, process)
        except OSError:
            time.sleep(0.3)
    process.kill()
    pytest.fail("the OpenID provider did not answer within 180 seconds")


def _callback() -> str:
    from django.conf import settings

    return settings.RESPITE_SITE_URL + reverse("core:sso_callback")


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    running = start_provider(_callback())
    yield running
    running.stop()


def _configure(org, issuer: str, **kwargs) -> SingleSignOn:
    return SingleSignOn.objects.create(
        organization=org, issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **kwargs
    )


def _sign_in_at_provider(authorize_url: str, login: str) -> str:
    """What a person does at the provider: its sign-in form, then its consent form. Returns the URL
    the provider sends the browser back to."""
    browser = requests.Session()
    response = browser.get(authorize_url, allow_redirects=False, timeout=60)
    for _ in range(20):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(_callback()):
                return location
            response = browser.get(location, allow_redirects=False, timeout=60)
            continue
        found = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        assert found, response.text[:2000]
        action = urljoin(response.url, html.unescape(found.group(1)))
        data = (
            {"prompt": "login", "login": login, "password": "anything"}
            if 'name="login"' in response.text
            else {"prompt": "consent"}
        )
        response = browser.post(action, data=data, allow_redirects=False, timeout=60)
    raise AssertionError("the provider never sent the browser back")


def sso_sign_in(client, org, login: str, **headers):
    """The whole walk: Respite's start link, the provider's forms, Respite's callback."""
    start = client.get(reverse("core:sso_begin", kwargs={"org": org.slug}), **headers)
    assert start.status_code == 302, start.content.decode()[:500]
    back = urlsplit(_sign_in_at_provider(start["Location"], login))
    return client.get(f"{back.path}?{back.query}", **headers)


def _org_staff_pages(org) -> list[str]:
    """Every organization page any role's navigation links (pages outside an organization, such as
    a therapist's own volunteer sign-up, are open to any account by design)."""
    urls = []
    for config in apps.get_app_configs():
        for name, _label, _roles in getattr(config, "respite_staff_nav", []):
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse(name, kwargs={"org": org.slug}))
    assert len(urls) > 10
    return sorted(set(urls))


def test_sign_in_without_an_invitation_gives_an_account_with_no_role(client, org, provider):
    _configure(org, provider.issuer)

    response = sso_sign_in(client, org, "new.nurse@acme.test")

    assert response.status_code == 302
    assert response["Location"] == reverse("core:staff_home")
    home = client.get(reverse("core:staff_home"))
    assert home.status_code == 200
    assert home.context["user"].username == "new.nurse@acme.test"
    assert not home.context["user"].has_usable_password()
    # No staff page of any role opens for them.
    for url in _org_staff_pages(org):
        assert client.get(url).status_code in (403, 404), url
    signed_in = AuditLog.objects.get(action="auth.signed_in")
    assert signed_in.detail == {"method": "sso"}
    assert signed_in.actor_label == "new.nurse@acme.test"
    assert signed_in.organization == org  # in the organization's log, role or not


def test_an_invitation_to_the_address_is_accepted_at_sign_in(client, org, org_admin, provider):
    _configure(org, provider.issuer)
    do_invite(org_admin, org, "Counselor@Acme.test", [StaffRole.COUNSELOR])

    response = sso_sign_in(client, org, "counselor@acme.test")

    assert response.status_code == 302
    user = response.wsgi_request.user
    assert has_role(user, org, StaffRole.COUNSELOR)
    assert (
        client.get(reverse("counseling_staff:queue", kwargs={"org": org.slug})).status_code == 200
    )
    assert client.get(reverse("core:staff_list", kwargs={"org": org.slug})).status_code == 404
    assert Invitation.objects.get().accepted_by == user
    # Signing in again finds the same account (by the provider's subject), roles intact.
    client.post(reverse("core:logout"))
    again = sso_sign_in(client, org, "counselor@acme.test")
    assert again.wsgi_request.user == user


def test_sign_out_ends_the_session(client, org, provider):
    _configure(org, provider.issuer)
    sso_sign_in(client, org, "someone@acme.test")
    assert client.get(reverse("core:staff_home")).status_code == 200

    client.post(reverse("core:logout"))

    assert client.get(reverse("core:staff_home")).status_code == 302


def test_an_organizations_provider_cannot_open_an_account_that_works_elsewhere(
    client, org, other_org, provider
):
    """Attacker: an admin of Acme points Acme's provider at an address used by another
    organization's admin (a provider says whatever its owner wants) to take over that account."""
    victim = make_staff(other_org, StaffRole.ORG_ADMIN, "boss@elsewhere.test")
    victim.email = "boss@elsewhere.test"
    victim.save()
    _configure(org, provider.issuer)

    response = sso_sign_in(client, org, "boss@elsewhere.test")

    assert response.status_code == 403
    assert "also works outside this organization" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    assert client.get(reverse("core:staff_home")).status_code == 302
    failure = AuditLog.objects.get(action="auth.sso_failed")
    assert failure.detail == {"reason": "account_elsewhere"}
    assert failure.organization == org


def test_a_platform_admin_account_cannot_be_reached_through_an_organizations_provider(
    client, org, platform_admin, provider
):
    platform_admin.email = "root@acme.test"
    platform_admin.save()
    _configure(org, provider.issuer)

    response = sso_sign_in(client, org, "root@acme.test")

    assert response.status_code == 403
    assert not response.wsgi_request.user.is_authenticated


def test_an_unverified_email_signs_nobody_in(client, org, org_admin, provider):
    _configure(org, provider.issuer)
    do_invite(org_admin, org, "counselor@acme.test", [StaffRole.COUNSELOR])

    response = sso_sign_in(client, org, "unverified-counselor@acme.test")

    assert response.status_code == 403
    assert not response.wsgi_request.user.is_authenticated
    assert Invitation.objects.get().accepted_at is None


def test_addresses_outside_the_organizations_domains_are_refused(client, org, provider):
    _configure(org, provider.issuer, email_domains="acme.test")

    response = sso_sign_in(client, org, "someone@gmail.test")

    assert response.status_code == 403
    assert not response.wsgi_request.user.is_authenticated


def test_a_forged_callback_signs_nobody_in(client, org, provider):
    _configure(org, provider.issuer)
    client.get(reverse("core:sso_begin", kwargs={"org": org.slug}))

    response = client.get(reverse("core:sso_callback"), {"state": "guessed", "code": "stolen"})

    assert response.status_code == 400
    assert not response.wsgi_request.user.is_authenticated
    assert AuditLog.objects.get(action="auth.sso_failed").detail == {"reason": "state_mismatch"}


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "sign-in service is not answering right now"),
        ("es", "no responde en este momento"),
    ],
)
def test_provider_down_gives_a_clear_message(client, org, language, text):
    _configure(org, f"http://127.0.0.1:{free_port()}")

    response = client.get(
        reverse("core:sso_begin", kwargs={"org": org.slug}), HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 503
    assert text in response.content.decode()
    assert AuditLog.objects.get(action="auth.sso_failed").detail == {
        "reason": "provider_unreachable"
    }


def test_provider_going_down_during_sign_in_gives_a_clear_message(client, org):
    own = start_provider(_callback())
    try:
        _configure(org, own.issuer)
        start = client.get(reverse("core:sso_begin", kwargs={"org": org.slug}))
        back = urlsplit(_sign_in_at_provider(start["Location"], "late@acme.test"))
    finally:
        own.stop()

    response = client.get(f"{back.path}?{back.query}")

    assert response.status_code == 503
    assert "not answering right now" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_work_email_finds_the_organizations_provider(client, org):
    _configure(org, "https://login.acme.test", email_domains="acme.test, acme-health.test")

    found = client.post(reverse("core:sso_start"), {"email": "Nurse@ACME-health.test"})
    missing = client.post(reverse("core:sso_start"), {"email": "nurse@elsewhere.test"})

    assert reverse("core:sso_begin", kwargs={"org": org.slug}) in found.content.decode()
    assert missing.status_code == 400


# --- The console page -------------------------------------------------------------------------------


def _settings_url(org) -> str:
    return reverse("core:sso_settings", kwargs={"org": org.slug})


def test_admin_configures_sso_secret_encrypted_and_audited(client, org, org_admin):
    client.force_login(org_admin)
    data = {
        "is_enabled": "on",
        "issuer": "https://login.acme.test/",
        "client_id": "respite",
        "client_secret": "s3cret-value",
        "email_domains": "Acme.test,  acme-health.test",
    }

    assert client.post(_settings_url(org), data).status_code == 302

    config = SingleSignOn.objects.get(organization=org)
    assert (config.issuer, config.client_secret) == ("https://login.acme.test", "s3cret-value")
    assert config.domains() == ["acme.test", "acme-health.test"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM core_singlesignon")
        assert "s3cret-value" not in cursor.fetchone()[0]
    entry = AuditLog.objects.get(action="organization.sso_changed")
    assert entry.organization == org
    assert "s3cret-value" not in str(entry.detail)
    # An empty secret box keeps the saved secret, and the secret is never shown again.
    page = client.get(_settings_url(org)).content.decode()
    assert "s3cret-value" not in page
    client.post(_settings_url(org), {**data, "client_secret": "", "client_id": "renamed"})
    config.refresh_from_db()
    assert (config.client_id, config.client_secret) == ("renamed", "s3cret-value")


def test_sso_settings_refuse_bad_input_in_the_users_language(client, org, org_admin):
    client.force_login(org_admin)
    response = client.post(
        _settings_url(org),
        {"issuer": "http://login.acme.test", "client_id": "x", "email_domains": "not a domain"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "https://" in text
    assert "No es un nombre de dominio" in text


def test_a_domain_belongs_to_one_organization(client, org, other_org, org_admin):
    _configure(other_org, "https://login.elsewhere.test", email_domains="shared.test")
    client.force_login(org_admin)
    response = client.post(
        _settings_url(org),
        {
            "issuer": "https://login.acme.test",
            "client_id": "x",
            "client_secret": "y",
            "email_domains": "shared.test",
        },
    )
    assert response.status_code == 400
    assert not SingleSignOn.objects.filter(organization=org).exists()


def test_sso_settings_are_for_admins_of_the_organization_only(client, org, counselor, outsider):
    for person in (counselor, outsider):
        client.force_login(person)
        assert client.get(_settings_url(org)).status_code == 404
        assert client.post(_settings_url(org), {"issuer": "https://x.test"}).status_code == 404
    assert not SingleSignOn.objects.exists()


def test_platform_admin_may_configure_sso(client, org, platform_admin):
    client.force_login(platform_admin)
    assert client.get(_settings_url(org)).status_code == 200


def test_sso_settings_enforce_csrf(org, org_admin):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org_admin)
    response = client.post(
        _settings_url(org),
        {"issuer": "https://x.test", "client_id": "x", "client_secret": "y"},
    )
    assert response.status_code == 403
    assert not SingleSignOn.objects.exists()


def test_a_single_sign_on_still_asks_for_the_second_factor(
    client, org, org_admin, provider, settings
):
    """The seam with two-factor: SSO ends in the same session state as a password sign-in, so a
    counselor signed in by their organization's provider still reaches nothing before the code."""
    settings.RESPITE_TWO_FACTOR_REQUIRED = True
    _configure(org, provider.issuer)
    do_invite(org_admin, org, "counselor@acme.test", [StaffRole.COUNSELOR])

    sso_sign_in(client, org, "counselor@acme.test")

    queue = client.get(reverse("counseling_staff:queue", kwargs={"org": org.slug}))
    assert queue.status_code == 302
    assert queue["Location"].startswith(reverse("core:two_factor"))
