"""/healthz and /readyz: status codes with dependencies up and down; bodies carry only a status word."""

from __future__ import annotations

import subprocess
import sys
import uuid
from unittest import mock

import pytest
from django.core.cache.backends.base import BaseCache
from django.test import Client

from respite.ops.tests.helpers import (
    ROOT,
    Gunicorn,
    Relay,
    free_port,
    get,
    postgres_reachable,
    server_env,
)


class DownCache(BaseCache):
    """A shared cache whose server is unreachable."""

    def __init__(self, location: str, params: dict) -> None:
        super().__init__(params)

    def set(self, *args, **kwargs):
        raise ConnectionError("cache at 10.1.2.3:6379 refused the connection")

    def get(self, *args, **kwargs):
        raise ConnectionError("cache at 10.1.2.3:6379 refused the connection")

    def delete(self, *args, **kwargs):
        raise ConnectionError("cache at 10.1.2.3:6379 refused the connection")


class ForgetfulCache(BaseCache):
    """Answers, but keeps nothing (a full or misconfigured cache server)."""

    def __init__(self, location: str, params: dict) -> None:
        super().__init__(params)

    def set(self, *args, **kwargs):
        return None

    def get(self, key, default=None, version=None):
        return default

    def delete(self, *args, **kwargs):
        return False


@pytest.mark.django_db
def test_both_answer_ok_with_nothing_but_the_status():
    for path in ("/healthz", "/readyz"):
        response = Client().get(path)
        assert response.status_code == 200
        assert response.content == b"ok\n"
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert (
            response["Cache-Control"] == "no-store"
            and response["X-Content-Type-Options"] == "nosniff"
        )
        assert "Set-Cookie" not in response and "Vary" not in response
        head = Client().head(path)
        assert head.status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_writes_are_refused(path):
    response = Client().post(path)
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_probes_on_a_private_address_are_not_redirected_or_refused(settings):
    """A load balancer probes http://10.0.0.5:8000/healthz: no HTTPS redirect, no bad-Host 400."""
    settings.ALLOWED_HOSTS = ["wellbeing.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    probe = Client(HTTP_HOST="10.0.0.5:8000")
    assert probe.get("/").status_code in {301, 400}  # what any other page gets on that address
    assert probe.get("/healthz").status_code == 200
    assert probe.get("/readyz").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["DownCache", "ForgetfulCache"])
def test_a_configured_cache_that_fails_makes_readyz_unavailable(settings, backend, caplog):
    settings.CACHES = {"default": {"BACKEND": f"respite.ops.tests.test_health.{backend}"}}
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.content == b"unavailable\n"  # no dependency names, addresses or error text
    assert Client().get("/healthz").status_code == 200
    assert "cache default" in caplog.text and "10.1.2.3" not in caplog.text


@pytest.mark.django_db
def test_a_process_local_cache_is_not_probed(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert Client().get("/readyz").status_code == 200


# --- against a real gunicorn server -------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("database", ["postgres", "sqlite"])
def test_database_down_readyz_503_healthz_200(tmp_path, database):
    if database == "postgres":
        # Nothing listens on this port: the database server is down.
        url = f"postgres://postgres@127.0.0.1:{free_port()}/respite"
    else:
        # The database file cannot be opened (its path is a directory).
        (tmp_path / "db").mkdir()
        url = f"sqlite:///{tmp_path / 'db'}"
    server = Gunicorn(server_env(DATABASE_URL=url), tmp_path / "gunicorn.log")
    try:
        assert get(f"{server.url}/healthz") == (200, b"ok\n")
        assert get(f"{server.url}/readyz") == (503, b"unavailable\n")
    finally:
        server.stop()
    log = (tmp_path / "gunicorn.log").read_text()
    assert "readyz: database default unavailable (OperationalError)" in log


@pytest.mark.slow
@pytest.mark.skipif(not postgres_reachable(), reason="needs PostgreSQL on 127.0.0.1:5432")
def test_readyz_follows_the_database_going_down_and_coming_back(tmp_path):
    name = f"respite_readyz_{uuid.uuid4().hex[:12]}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True, timeout=60)
    relay = Relay(("127.0.0.1", 5432))
    env = server_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:{relay.port}/{name}")
    server = None
    try:
        # Before migrations the queue table is missing: not ready.
        server = Gunicorn(env, tmp_path / "gunicorn.log", workers=1, threads=1)
        assert get(f"{server.url}/readyz") == (503, b"unavailable\n")
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=600,
        )
        assert get(f"{server.url}/readyz") == (200, b"ok\n")
        relay.cut()
        assert get(f"{server.url}/readyz") == (503, b"unavailable\n")
        assert get(f"{server.url}/healthz") == (200, b"ok\n")
        relay.restore()
        assert get(f"{server.url}/readyz") == (200, b"ok\n")
    finally:
        if server is not None:
            server.stop()
        relay.cut()
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", "--if-exists", name],
            timeout=60,
        )


@pytest.mark.django_db
def test_a_task_left_waiting_too_long_makes_readyz_unavailable(settings, caplog):
    """No worker is running: mail and reminders pile up. /readyz says so; /healthz does not."""
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    from respite.ops.tests.test_metrics import harmless

    settings.RESPITE_TASK_BACKLOG_MAX_AGE = 15 * 60
    harmless.using(run_after=timezone.now() + timedelta(hours=2)).enqueue(
        "later"
    )  # a retry, not due
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() - timedelta(minutes=5)
    ):
        harmless.enqueue("recent")
    assert Client().get("/readyz").status_code == 200
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() - timedelta(minutes=20)
    ):
        harmless.enqueue("stale")
    response = Client().get("/readyz")
    assert (response.status_code, response.content) == (503, b"unavailable\n")
    assert "is `respite worker` running?" in caplog.text
    assert Client().get("/healthz").status_code == 200
    settings.RESPITE_TASK_BACKLOG_MAX_AGE = 30 * 60
    assert Client().get("/readyz").status_code == 200


# --- failures seen from inside the process ------------------------------------------------------
def _database_down():
    from django.db import OperationalError, connection

    return mock.patch.object(
        connection,
        "cursor",
        side_effect=OperationalError('could not connect to server at "10.1.2.3" port 5432'),
    )


@pytest.mark.django_db
def test_a_database_outage_makes_readyz_unavailable_and_names_only_the_error_class(caplog):
    with _database_down():
        response = Client().get("/readyz")
        assert Client().get("/healthz").status_code == 200
    assert (response.status_code, response.content) == (503, b"unavailable\n")
    assert "readyz: database default unavailable (OperationalError)" in caplog.text
    assert "10.1.2.3" not in caplog.text
    assert Client().get("/readyz").status_code == 200  # the database is back


@pytest.mark.django_db(transaction=True)
def test_a_broken_connection_is_dropped_so_the_next_probe_reconnects():
    """Outside a transaction (as under gunicorn) a connection that failed is closed, not reused."""
    from django.db import connection

    with _database_down(), mock.patch.object(connection, "close") as close:
        assert Client().get("/readyz").status_code == 503
    close.assert_called_once_with()


@pytest.mark.django_db
def test_every_shared_cache_is_probed(settings, tmp_path, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        },
        "sessions": {"BACKEND": "respite.ops.tests.test_health.DownCache"},
    }
    assert Client().get("/readyz").status_code == 503
    assert "cache sessions unavailable (ConnectionError)" in caplog.text
    assert "cache default" not in caplog.text
    settings.CACHES = {"default": settings.CACHES["default"]}
    assert Client().get("/readyz").status_code == 200


@pytest.mark.django_db
def test_an_unreadable_task_queue_makes_readyz_unavailable(caplog):
    """Migrations not applied on a new database: the queue table is missing."""
    from django.db import ProgrammingError

    missing = ProgrammingError('relation "django_tasks_database_dbtaskresult" does not exist')
    with mock.patch("respite.ops.queue.oldest_wait_seconds", side_effect=missing):
        response = Client().get("/readyz")
    assert (response.status_code, response.content) == (503, b"unavailable\n")
    assert "readyz: task queue unavailable (ProgrammingError)" in caplog.text
    assert "dbtaskresult" not in caplog.text


@pytest.mark.django_db
def test_without_a_database_queue_there_is_no_backlog_to_wait_on(settings):
    """A site running tasks in-process (the immediate backend) has no worker to wait for."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with mock.patch("respite.ops.queue.oldest_wait_seconds", return_value=10**6):
        assert Client().get("/readyz").status_code == 200
