"""Warm-up before gunicorn forks: the pages a first visitor opens are served once through the real WSGI
application, in production's settings, as nobody; a broken page is reported and never stops start-up."""

from __future__ import annotations

import logging
import threading
from unittest import mock

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from respite.ops.warmup import _through_gunicorn, warm_up, warm_up_paths

pytestmark = pytest.mark.django_db


@pytest.fixture
def application():
    """respite.wsgi's application, minus the per-request connection closing that would end the
    test's transaction (the test client disconnects it the same way)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def production_host(settings):
    """Behind the TLS proxy, on the real host name only: what the master sees in production."""
    settings.ALLOWED_HOSTS = [".wellbeing.example.org", "10.0.0.5"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def test_without_an_organization_only_the_public_pages_are_warmed():
    assert warm_up_paths() == ["/", "/crisis/"]


def test_the_first_organizations_worker_pages_are_warmed(org, other_org):
    assert warm_up_paths() == [
        "/",
        "/crisis/",
        f"/o/{org.slug}/check-in/",
        f"/o/{org.slug}/directory/?q=sleep",
    ]


def test_every_page_is_served_for_real_in_production_settings(
    application, production_host, org, other_org
):
    """Not a redirect to HTTPS, not a 400 for the Host header: the pages themselves are rendered
    (two organizations, so the home page lists them rather than redirecting to the only one)."""
    from django.contrib.sessions.models import Session

    with mock.patch("django.db.connections.close_all") as close_all:
        results = warm_up(application)
    assert [(path, status) for path, status, _ms in results] == [
        ("/", 200),
        ("/crisis/", 200),
        (f"/o/{org.slug}/check-in/", 200),
        (f"/o/{org.slug}/directory/?q=sleep", 200),
    ]
    assert all(ms > 0 for _path, _status, ms in results)
    # The master must not hand its database connection to every forked worker.
    close_all.assert_called_once_with()
    assert not Session.objects.exists()  # nobody was signed in or given a session


def test_a_worker_keeps_its_connection_after_warming_up(application, org):
    with mock.patch("django.db.connections.close_all") as close_all:
        results = warm_up(application, ["/crisis/"], close_connections=False)
    assert [status for _path, status, _ms in results] == [200]
    close_all.assert_not_called()


def test_a_broken_page_is_reported_and_the_others_still_warm(caplog):
    def breaks_on_crisis(environ, start_response):
        if environ["PATH_INFO"] == "/crisis/":
            raise RuntimeError("template missing")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]  # a body without close(), as WSGI allows

    with mock.patch("django.db.connections.close_all"), caplog.at_level(logging.ERROR):
        results = warm_up(breaks_on_crisis, ["/crisis/", "/"])
    assert [(path, status) for path, status, _ms in results] == [("/crisis/", 0), ("/", 200)]
    assert "warm-up request failed: /crisis/" in caplog.text


def test_a_database_outage_does_not_stop_the_server_from_starting(application, caplog):
    from django.db import OperationalError

    with (
        mock.patch(
            "respite.ops.warmup.warm_up_paths", side_effect=OperationalError("no such table")
        ),
        mock.patch("django.db.connections.close_all") as close_all,
        caplog.at_level(logging.ERROR),
    ):
        assert warm_up(application) == []
    assert "warm-up failed" in caplog.text
    close_all.assert_called_once_with()


def _gunicorn_config():
    """gunicorn's defaults, with the loopback proxy trusted whatever FORWARDED_ALLOW_IPS says here."""
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("forwarded_allow_ips", "127.0.0.1")
    return cfg


def test_through_gunicorn_the_pages_are_parsed_and_written_by_gunicorn_itself(
    application, production_host, org
) -> None:
    """A worker warms gunicorn's own HTTP code too: the request reaches the application as gunicorn
    builds it (its server name, the proxy's HTTPS believed), and the page is written back whole."""
    seen: list[dict] = []
    pages: list[bytes] = []

    def recording(environ, start_response):
        seen.append(environ)
        body = b"".join(application(environ, start_response))
        pages.append(body)
        return [body]

    with mock.patch("django.db.connections.close_all"):
        results = warm_up(
            recording, ["/crisis/", f"/o/{org.slug}/check-in/"], gunicorn_cfg=_gunicorn_config()
        )
    assert [(path, status) for path, status, _ms in results] == [
        ("/crisis/", 200),
        (f"/o/{org.slug}/check-in/", 200),
    ]
    assert all(e["SERVER_SOFTWARE"].startswith("gunicorn") for e in seen)
    assert all(e["wsgi.url_scheme"] == "https" for e in seen)
    assert b"988" in pages[0] and b"</html>" in pages[1]


def test_through_gunicorn_a_page_larger_than_the_socket_buffer_is_written_whole() -> None:
    """The warm-up reads the page as gunicorn writes it: a big page cannot block the server's start,
    and arrives whole (headers and all 8 MiB)."""
    big = b"x" * (8 * 1024 * 1024)

    def big_page(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [big]

    done: list[tuple[int, int]] = []
    serving = threading.Thread(
        target=lambda: done.append(_through_gunicorn(_gunicorn_config(), big_page, "/")),
        daemon=True,
    )
    serving.start()
    serving.join(timeout=300)
    assert done, "the warm-up request never finished"
    status, received = done[0]
    assert status == 200
    assert received > len(big)


def test_through_gunicorn_a_broken_page_is_reported_and_start_up_goes_on(caplog):
    def broken(environ, start_response):
        raise RuntimeError("template missing")

    with mock.patch("django.db.connections.close_all"), caplog.at_level(logging.ERROR):
        results = warm_up(broken, ["/crisis/"], gunicorn_cfg=_gunicorn_config())
    assert [(path, status) for path, status, _ms in results] == [("/crisis/", 0)]
    assert "warm-up request failed: /crisis/" in caplog.text
