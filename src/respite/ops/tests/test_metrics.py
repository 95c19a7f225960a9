"""/metrics: who may read it, and what its labels may carry (an attacker's view over HTTP)."""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from respite.core.roles import StaffRole
from respite.core.testing import make_staff, run_tasks
from respite.core.urlseal import seal

pytestmark = pytest.mark.django_db

TOKEN = "t0ken-" + "x" * 40


@pytest.fixture
def metrics_on(settings):
    settings.RESPITE_METRICS_TOKEN = TOKEN
    settings.RESPITE_METRICS_ALLOW = ["10.20.0.0/16"]


@contextlib.contextmanager
def freeze_enqueue_minutes_ago(minutes: int):
    """Enqueue as if it happened some minutes ago (enqueued_at is set by the database row's auto_now_add)."""
    then = timezone.now() - timedelta(minutes=minutes)
    with mock.patch("django.utils.timezone.now", return_value=then):
        yield


def scrape() -> str:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def test_metrics_do_not_exist_until_an_operator_turns_them_on(settings):
    settings.RESPITE_METRICS_TOKEN, settings.RESPITE_METRICS_ALLOW = "", []
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong"},
        {"HTTP_AUTHORIZATION": f"Bearer {TOKEN[:-1]}"},
        {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"},
        {"HTTP_AUTHORIZATION": TOKEN},
        {"HTTP_AUTHORIZATION": "Bearer"},
        {"HTTP_AUTHORIZATION": "Bearer é-not-ascii"},
        # Forwarding headers are not trusted: only the connection's address counts.
        {"HTTP_X_FORWARDED_FOR": "10.20.1.1", "HTTP_X_REAL_IP": "10.20.1.1"},
    ],
)
def test_outsiders_without_the_token_are_refused(metrics_on, headers):
    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"respite_" not in response.content


def test_the_token_or_an_allowed_network_opens_metrics(metrics_on):
    assert (
        Client(REMOTE_ADDR="203.0.113.9")
        .get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        .status_code
        == 200
    )
    assert Client(REMOTE_ADDR="10.20.3.4").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::ffff:10.20.3.4").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.21.3.4").get("/metrics").status_code == 401


def test_metrics_refuse_writes(metrics_on):
    response = Client(REMOTE_ADDR="10.20.3.4").post("/metrics")
    assert response.status_code == 405


def _url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _url_names(entry, inner)
        elif isinstance(entry, URLPattern):
            if entry.name:
                names.add(f"{namespace}{entry.name}")
            else:
                names.add(entry.lookup_str)
    return names


def test_no_label_carries_an_id_a_code_or_anything_typed(metrics_on, client, org):
    """Walk a worker's and a staff member's paths with ids, codes and typed text in URLs, bodies and
    methods, then read the whole exposition: none of it may appear; every route label is a URL name."""
    secrets_sent: list[str] = []

    # A worker takes a check-in (result page under a uuid), saves it and gets an access code.
    response = client.post(
        f"/o/{org.slug}/check-in/",
        {"phq2__1": 0, "phq2__2": 0, "gad2__1": 0, "gad2__2": 0, "burnout__1": 1, "selfharm__9": 0},
    )
    result_url = response["Location"]
    result_id = re.search(r"/results/([\w-]+)/", result_url).group(1)
    secrets_sent.append(result_id)
    assert client.get(result_url).status_code == 200
    body = client.post(f"/o/{org.slug}/results/{result_id}/save/").content.decode()
    code = re.search(r'data-testid="access-code">([^<]+)<', body).group(1).strip()
    # The code's single words are dictionary words ("total", "process"...) that can appear in metric
    # names by chance; they are held by the check that every label value is a known one below.
    secrets_sent += [code, code.replace("-", " "), code.replace("-", "")]
    # ...signs in with it from another device, and someone tries a wrong code.
    other = Client()
    assert other.post(f"/o/{org.slug}/my/", {"code": code}, follow=True).status_code == 200
    Client().post(f"/o/{org.slug}/my/", {"code": "typed-wrong-code-zebra"})
    secrets_sent.append("typed-wrong-code-zebra")
    # Someone else's result id, a made-up uuid, a management token, search text and a stray path.
    stranger_id = str(uuid.uuid4())
    token = "mgmt" + uuid.uuid4().hex
    typed = "nightshiftdespair"
    secrets_sent += [stranger_id, token, typed]
    Client().get(f"/o/{org.slug}/results/{seal(stranger_id)}/")
    Client().get(f"/o/{org.slug}/community/manage/{token}/")
    Client().get(f"/o/{org.slug}/directory/?q={typed}")
    Client().get(f"/o/{org.slug}/{typed}/")
    Client().get(f"/{typed}-page")
    Client().generic("SNOOPMETHOD", f"/o/{org.slug}/")
    secrets_sent.append("SNOOPMETHOD")
    Client().get(f"/api/v1/instruments/{typed}")
    # A staff member opens pages carrying the organization and their own ids.
    staff = make_staff(org, StaffRole.ORG_ADMIN, "opsadmin")
    staff_client = Client()
    staff_client.force_login(staff)
    staff_client.get(f"/staff/o/{org.slug}/audit/")
    secrets_sent.append(str(staff.pk) + "/")

    exposition = scrape()
    for secret in secrets_sent:
        assert secret not in exposition, f"{secret!r} reached /metrics"
    assert org.slug not in exposition and "opsadmin" not in exposition

    routes = set(re.findall(r'route="([^"]*)"', exposition))
    known = _url_names(get_resolver()) | {"unmatched", "ops:healthz", "ops:readyz", "ops:metrics"}
    assert routes and routes <= known, routes - known
    assert {
        "screening:result",
        "screening:save",
        "screening:code_login",
        "directory:search",
        "community:old_link",  # a management link from before the token moved after "#"
        "unmatched",
    } <= routes
    methods = set(re.findall(r'method="([^"]*)"', exposition))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert "other" in methods
    # Every label of every sample is one of these, with a value from a closed set.
    for name, value in re.findall(r'[{,]([a-z_]+)="([^"]*)"', exposition):
        if name == "route":
            assert value in known
        elif name == "method":
            assert value in methods
        elif name == "status":
            assert re.fullmatch(r"[1-5][0-9][0-9]", value)
        elif name == "le":
            assert re.fullmatch(r"[0-9.e+-]+|\+Inf", value)
        elif name == "state":  # undelivered email
            assert value in {"pending", "failed"}
        elif name == "task":  # a task's dotted path: code
            assert import_string(value)
        elif name == "generation":  # prometheus_client's garbage-collector metrics
            assert value in {"0", "1", "2"}
        else:  # python_info
            assert name in {"version", "implementation", "major", "minor", "patchlevel"}, (
                name,
                value,
            )


def test_requests_and_database_time_are_counted_by_route(metrics_on, client, org):
    def count(text: str) -> float:
        match = re.search(
            r'^respite_http_requests_total\{method="GET",route="screening:checkin",status="200"\} (\S+)$',
            text,
            re.M,
        )
        return float(match.group(1)) if match else 0.0

    before = count(scrape())
    for _ in range(3):
        assert client.get(f"/o/{org.slug}/check-in/").status_code == 200
    after = scrape()
    assert count(after) == before + 3
    assert re.search(
        r'^respite_http_request_duration_seconds_count\{route="screening:checkin"\} [1-9]',
        after,
        re.M,
    )
    assert re.search(r'^respite_db_queries_total\{route="screening:checkin"\} [1-9]', after, re.M)
    assert re.search(
        r'^respite_db_query_duration_seconds_total\{route="screening:checkin"\} ', after, re.M
    )


def test_weak_or_wide_open_metrics_settings_are_reported_by_check(settings):
    from django.core.checks import run_checks

    settings.RESPITE_METRICS_TOKEN = "short"
    settings.RESPITE_METRICS_ALLOW = ["127.0.0.1", "not-a-network", "0.0.0.0/0", "10.0.0.0/8"]
    ids = sorted(message.id for message in run_checks() if message.id.startswith("ops."))
    assert ids == ["ops.E001", "ops.E002", "ops.W001", "ops.W001"]
    settings.RESPITE_METRICS_TOKEN, settings.RESPITE_METRICS_ALLOW = TOKEN, ["10.0.0.0/8"]
    assert not [message for message in run_checks() if message.id.startswith("ops.")]


@task()
def explode(case_id: str) -> None:
    """A task that always fails; its argument is an id that must not reach /metrics."""
    raise RuntimeError(f"case {case_id} could not be processed")


@task()
def harmless(case_id: str) -> str:
    return case_id


def _sample(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"{name} missing"
    return float(match.group(1))


def test_task_queue_depth_age_and_failures_are_exposed_without_arguments(metrics_on, settings):
    case_id = str(uuid.uuid4())
    base = scrape()
    assert _sample(base, "respite_tasks_waiting") == 0
    with freeze_enqueue_minutes_ago(7):
        harmless.enqueue(case_id)
    explode.enqueue(case_id)
    harmless.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(case_id)  # not due yet
    text = scrape()
    assert _sample(text, "respite_tasks_waiting") == 2
    assert 7 * 60 - 5 <= _sample(text, "respite_tasks_oldest_wait_seconds") <= 7 * 60 + 60
    assert _sample(text, "respite_tasks_running") == 0
    assert _sample(text, "respite_tasks_oldest_running_seconds") == 0
    run_tasks()
    text = scrape()
    assert _sample(text, "respite_tasks_waiting") == 0
    assert _sample(text, "respite_tasks_oldest_wait_seconds") == 0
    assert _sample(text, 'respite_tasks_failed{task="respite.ops.tests.test_metrics.explode"}') == 1
    assert case_id not in text and "could not be processed" not in text


@pytest.mark.slow
def test_gunicorn_workers_counts_are_summed_in_one_scrape(tmp_path):
    """Each gunicorn worker process counts its own requests; with PROMETHEUS_MULTIPROC_DIR (as the
    systemd unit sets) every scrape, whichever worker answers it, reports the total."""
    from respite.ops.tests.helpers import Gunicorn, get, server_env

    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = server_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        RESPITE_METRICS_TOKEN=TOKEN,
    )
    server = Gunicorn(env, tmp_path / "gunicorn.log", workers=3, threads=1)
    auth = {"Authorization": f"Bearer {TOKEN}"}

    def healthz_count() -> float:
        status, body = get(f"{server.url}/metrics", headers=auth)
        assert status == 200
        match = re.search(
            rb'^respite_http_requests_total\{method="GET",route="ops:healthz",status="200"\} (\S+)$',
            body,
            re.M,
        )
        return float(match.group(1)) if match else 0.0

    try:
        # Until more than one worker process has counted something (the others may still be booting).
        deadline = time.monotonic() + 300
        while len(list(metrics_dir.glob("counter_*.db"))) < 2 and time.monotonic() < deadline:
            assert get(f"{server.url}/healthz")[0] == 200
        assert len(list(metrics_dir.glob("counter_*.db"))) >= 2, "only one gunicorn worker answered"
        before = healthz_count()
        for _ in range(30):
            assert get(f"{server.url}/healthz")[0] == 200
        counts = {healthz_count() for _ in range(6)}
    finally:
        server.stop()
    assert counts == {before + 30}


def test_a_task_held_by_a_dead_worker_shows_as_a_growing_running_age(metrics_on):
    """A worker SIGKILLed mid-task leaves its row RUNNING; nothing else reports it."""
    from django_tasks_db.models import DBTaskResult

    harmless.enqueue("held")
    result = DBTaskResult.objects.get()
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() - timedelta(minutes=42)
    ):
        result.claim("worker-that-died")
    text = scrape()
    assert _sample(text, "respite_tasks_running") == 1
    assert 42 * 60 - 5 <= _sample(text, "respite_tasks_oldest_running_seconds") <= 42 * 60 + 60
    assert "worker-that-died" not in text


def test_a_typo_in_the_allowed_networks_neither_opens_nor_breaks_metrics(settings):
    settings.RESPITE_METRICS_TOKEN = ""
    settings.RESPITE_METRICS_ALLOW = ["10.20.0.0/16", "10.30.0.0/33", "*"]
    assert Client(REMOTE_ADDR="10.20.3.4").get("/metrics").status_code == 200
    for address in ("10.30.0.1", "203.0.113.9"):
        assert Client(REMOTE_ADDR=address).get("/metrics").status_code == 401


def test_an_address_list_alone_does_not_accept_any_bearer_token(settings):
    settings.RESPITE_METRICS_TOKEN = ""
    settings.RESPITE_METRICS_ALLOW = ["10.20.0.0/16"]
    outsider = Client(REMOTE_ADDR="203.0.113.9")
    assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    assert outsider.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 401


def test_a_token_alone_does_not_trust_any_address(settings):
    settings.RESPITE_METRICS_TOKEN, settings.RESPITE_METRICS_ALLOW = TOKEN, []
    inside = Client(REMOTE_ADDR="10.20.3.4")
    assert inside.get("/metrics").status_code == 401
    assert inside.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.parametrize("address", ["", "unix:/run/respite.sock", "10.20.3.4.5"])
def test_a_connection_without_an_ip_address_is_refused_not_an_error(metrics_on, address):
    """gunicorn on a Unix socket gives no IP address: only the token opens metrics then."""
    assert Client(REMOTE_ADDR=address).get("/metrics").status_code == 401
    response = Client(REMOTE_ADDR=address).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200


def test_metrics_still_answer_when_the_task_queue_cannot_be_read(metrics_on, caplog):
    """A database outage shows in /readyz; a scrape must not fail with it (nor quote the error)."""
    from django.db import OperationalError

    down = OperationalError("could not connect to server at 10.1.2.3")
    with mock.patch("respite.ops.queue.oldest_wait_seconds", side_effect=down):
        text = scrape()
    assert "respite_http_requests_total" in text
    assert "respite_tasks_" not in text and "respite_emails_" not in text
    assert "metrics: task queue unavailable (OperationalError)" in caplog.text
    assert "10.1.2.3" not in caplog.text


def test_no_queue_figures_without_a_database_queue(metrics_on, settings):
    """In-process tasks (the immediate backend) have no backlog: no series that would read as zero."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    text = scrape()
    assert "respite_http_requests_total" in text and "respite_tasks_" not in text


def test_with_a_multiprocess_directory_a_scrape_reads_the_shared_files(
    metrics_on, monkeypatch, tmp_path
):
    """Under gunicorn (PROMETHEUS_MULTIPROC_DIR set) request counts come from the workers' shared
    files, not from the answering process's memory; the queue figures are still read live."""
    from prometheus_client import values
    from prometheus_client.metrics import Counter
    from prometheus_client.registry import CollectorRegistry

    assert Client().get("/healthz").status_code == 200  # counted in this process's memory only
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    text = scrape()
    assert "respite_http_requests_total" not in text  # no worker has written a file yet
    assert "python_gc_objects_collected_total" not in text  # per-process figures are meaningless
    assert _sample(text, "respite_tasks_waiting") == 0
    # A worker (another process) counts a request in the shared directory.
    monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda: 4242))
    worker = Counter(
        "respite_http_requests",
        "HTTP requests answered, by route name, method and status.",
        ["route", "method", "status"],
        registry=CollectorRegistry(),
    )
    worker.labels("ops:healthz", "GET", "200").inc(5)
    text = scrape()
    assert (
        _sample(text, 'respite_http_requests_total{method="GET",route="ops:healthz",status="200"}')
        == 5
    )
