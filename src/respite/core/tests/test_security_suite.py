"""Security suite over the whole application: every API operation, page and form.

It walks the URL map and the OpenAPI schema instead of listing endpoints, so a new app is covered
without editing this file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import schemathesis
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, settings

from respite.core.testing import PASSWORD
from respite.core.urlseal import seal
from respite.wsgi import application

ROOT = Path(__file__).resolve().parents[4]
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def wsgi_calls_keep_the_test_connection(db):
    """schemathesis calls the WSGI app directly, and Django closes the database connection at the end
    of each request when it sits inside a transaction (the test's). Django's test Client unhooks that
    signal for its requests; do the same here, or PostgreSQL tests lose their connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_answers_with_a_server_error(case, wsgi_calls_keep_the_test_connection):
    response = case.call()
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}"
    )


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(_routes(entry, route))
        else:
            found.append((route, entry))
    return found


def _fill(route: str, org_slug: str) -> str | None:
    """Turn a route into a concrete path with harmless values for its parameters."""
    values = {
        "org": org_slug,
        "slug": "x",
        "str": "x",
        "int": "1",
        "uuid": str(uuid.uuid4()),
        "path": "x",
        "sealed_uuid": seal(uuid.uuid4()),  # worker routes: ids sealed (core.urlseal)
        "sealed_int": seal(1),
    }

    def repl(match: re.Match) -> str:
        converter, name = (match.group(1) or "str"), match.group(2)
        return values.get(name) or values.get(converter, "1")

    if "^" in route or "(?P" in route:
        return None  # regex routes (admin internals, community's retired links): no form to protect
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", repl, route)


def _app_routes(org_slug: str) -> list[str]:
    paths = []
    for route, _pattern in _routes():
        if route.startswith(("api/", "admin/", "static/")):
            continue
        path = _fill(route, org_slug)
        if path is not None:
            paths.append(path)
    return sorted(set(paths))


@pytest.mark.django_db
def test_csrf_is_enforced_on_every_form_view(org, org_admin):
    """A POST without a CSRF token is refused (403) on every non-API URL, signed in or not."""
    anonymous = Client(enforce_csrf_checks=True)
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(org_admin)
    unprotected = []
    for path in _app_routes(org.slug):
        for client in (anonymous, staff):
            response = client.post(path, {"x": "1"})
            if response.status_code != 403:
                unprotected.append((path, response.status_code))
    assert not unprotected, f"POST accepted without CSRF token: {unprotected}"


@pytest.mark.django_db
def test_every_html_page_carries_a_strict_csp(org, org_admin):
    staff = Client()
    staff.force_login(org_admin)
    checked = 0
    for path in _app_routes(org.slug):
        for client in (Client(), staff):
            response = client.get(path)
            if response.get("Content-Type", "").startswith("text/html"):
                csp = response.get("Content-Security-Policy", "")
                assert (
                    "script-src 'self'" in csp
                    and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
                ), path
                assert "frame-ancestors 'none'" in csp, path
                assert response.status_code < 500, path
                checked += 1
    assert checked >= 10


MALFORMED = {
    "10 MB body": ("application/json", b'{"x": "' + b"a" * (10 * 1024 * 1024) + b'"}'),
    "10,000 fields": (
        "application/x-www-form-urlencoded",
        "&".join(f"f{i}=1" for i in range(10_000)).encode(),
    ),
    "invalid UTF-8": ("application/json", b'{"instrument": "\xff\xfe\xfa", "answers": {}}'),
    "NUL bytes": ("application/json", b'{"instrument": "phq2\x00", "answers": {"1\x00": 0}}'),
    "deep JSON": ("application/json", b'{"a":' * 5000 + b"1" + b"}" * 5000),
}


def _post_operations() -> list[str]:
    paths = json.loads(Client().get("/api/v1/openapi.json").content)["paths"]
    return [p for p, ops in paths.items() if "post" in ops and "{" not in p]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(MALFORMED))
def test_malformed_and_oversized_bodies_get_4xx(kind, org):
    content_type, body = MALFORMED[kind]
    client = Client(raise_request_exception=False)
    targets = [*_post_operations(), f"/o/{org.slug}/check-in/", f"/o/{org.slug}/my/"]
    for path in targets:
        response = client.post(path, body, content_type=content_type)
        assert 400 <= response.status_code < 500, f"{kind} to {path}: {response.status_code}"


def _production_settings(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    from cryptography.fernet import Fernet

    env.update(
        RESPITE_ENV="production",
        SECRET_KEY="p" * 64,
        DATABASE_URL="sqlite:////tmp/respite-prod-check.sqlite3",
        RESPITE_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="x.example",
        STATIC_ROOT="/tmp/respite-prod-static",
        PYTHONPATH=str(ROOT / "src"),
        **extra,
    )
    code = (
        "import json, django; from django.conf import settings; django.setup(); print(json.dumps({k: getattr(settings, k) for k in "
        "['SESSION_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','SESSION_COOKIE_SAMESITE','CSRF_COOKIE_SECURE',"
        "'SECURE_SSL_REDIRECT','SECURE_HSTS_SECONDS','DEBUG']}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "respite.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_session_cookies_are_secure_httponly_samesite_in_production():
    prod = _production_settings()
    assert (
        prod["SESSION_COOKIE_SECURE"]
        and prod["SESSION_COOKIE_HTTPONLY"]
        and prod["CSRF_COOKIE_SECURE"]
    )
    assert prod["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert (
        prod["SECURE_SSL_REDIRECT"]
        and prod["SECURE_HSTS_SECONDS"] >= 31536000
        and not prod["DEBUG"]
    )


@pytest.mark.django_db
def test_login_rate_limit_is_strict_per_account_and_generous_per_address(org, org_admin):
    from respite.core.testing import make_staff

    # 30 colleagues behind one hospital address each mistype once: nobody is locked out
    colleagues = [make_staff(org, "counselor", f"nurse{i}") for i in range(30)]
    for user in colleagues:
        Client(REMOTE_ADDR="192.0.2.10").post(
            "/staff/login/", {"username": user.username, "password": "typo"}
        )
    assert (
        Client(REMOTE_ADDR="192.0.2.10")
        .post("/staff/login/", {"username": colleagues[-1].username, "password": PASSWORD})
        .status_code
        == 302
    )
    # one account guessed from one address: that address is refused after 5 failures, the owner's
    # own address is not (test_sign_in_backoff has the rest)
    for _ in range(5):
        Client(REMOTE_ADDR="198.51.100.1").post(
            "/staff/login/", {"username": "owner", "password": "guess"}
        )
    locked = Client(REMOTE_ADDR="198.51.100.1").post(
        "/staff/login/", {"username": "owner", "password": PASSWORD}
    )
    assert (
        locked.status_code == 200 and "Too many failed sign-in attempts" in locked.content.decode()
    )
    owner = Client(REMOTE_ADDR="198.51.100.99")
    assert (
        owner.post("/staff/login/", {"username": "owner", "password": PASSWORD}).status_code == 302
    )


def test_pip_audit_finds_no_known_vulnerability():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "-r",
            str(ROOT / "requirements.lock"),  # production
            "-r",
            str(ROOT / "requirements-dev.lock"),  # what developers and CI install
            "--no-deps",
            "--progress-spinner",
            "off",
            "-f",
            "json",
            "--timeout",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.skip(f"pip-audit could not run here: {result.stderr.strip()[-300:]}")
    audited = [d for d in report["dependencies"] if "skip_reason" not in d]
    if not audited:
        pytest.skip(
            "the vulnerability database is unreachable from this machine: nothing could be audited"
        )
    vulnerable = [
        (d["name"], d["version"], [v["id"] for v in d["vulns"]]) for d in audited if d.get("vulns")
    ]
    assert not vulnerable
