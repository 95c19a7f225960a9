"""The task queue: a mail outage never costs a worker a response; mail goes out once a server is back;
failures are visible to operators; periodic jobs run once per period however many workers there are."""

from __future__ import annotations

import io
import threading
import time
from contextlib import closing
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task

from respite.core.models import OutboundEmail, PeriodicRun
from respite.core.tasks import deliver_email, periodic_jobs, queue_email, schedule_due
from respite.core.testing import free_port, run_tasks, start_smtp
from respite.peers.models import SupportRequest
from respite.peers.tests.factories import make_department, make_supporter

# How long a started process may take to answer, mail or stop: minutes, for a machine whose load
# average is 10 (a process there gets a fifth of a core; each limit is polled, not slept).
PATIENCE_S = 600

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10
    settings.EMAIL_PORT = free_port()
    settings.RESPITE_TASK_RETRY_DELAYS = [0, 0]
    return settings


def test_mail_outage_never_costs_a_worker_the_response_and_mail_goes_out_later(
    client, org, smtp_settings, platform_admin
):
    er = make_department(org, "Emergency")
    supporter = make_supporter(org, "erin", [make_department(org, "ICU")], languages=["en"])
    supporter.user.email = "erin@acme.example"
    supporter.user.save()
    smtp_settings.RESPITE_TASK_RETRY_DELAYS = [3600]  # the next try waits an hour (or an operator)

    response = client.post(
        "/api/v1/peer-support/requests",
        {
            "organization": org.slug,
            "source": "manager",
            "contact": "555-0100",
            "department": er.pk,
            "event_type": "patient_death",
        },
        content_type="application/json",
    )
    # The worker gets their one-time code although no mail server answers.
    assert response.status_code == 201 and len(response.json()["access_code"].split("-")) == 8
    assert SupportRequest.objects.count() == 1

    run_tasks()
    email = OutboundEmail.objects.get(kind="peers.offer")
    assert email.status == OutboundEmail.Status.PENDING and email.attempts >= 1
    assert email.last_error  # e.g. ConnectionRefusedError

    # Operators see it: on the platform page and from the command line. Never the address.
    client.force_login(platform_admin)
    page = client.get("/staff/tasks/").content.decode()
    assert "peers.offer" in page and "erin@acme.example" not in page
    out = io.StringIO()
    call_command("tasks", stdout=out)
    assert "peers.offer" in out.getvalue() and "erin@" not in out.getvalue()

    # The mail server comes back: the next try delivers it, once, and the address is forgotten.
    controller, inbox = start_smtp(smtp_settings.EMAIL_PORT)
    try:
        call_command("tasks", "--retry", stdout=io.StringIO())
        run_tasks()
    finally:
        controller.stop()
    assert [rcpt for rcpt, _body in inbox.messages] == [["erin@acme.example"]]
    assert "555-0100" not in inbox.messages[0][1]  # the contact never travels by email
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.to == "" and email.body == ""


def test_undeliverable_mail_ends_failed_and_listed(smtp_settings, client, platform_admin):
    queue_email("someone@example.org", "Subject", "Body", kind="test.notice")
    run_tasks()
    email = OutboundEmail.objects.get()
    assert (
        email.status == OutboundEmail.Status.FAILED and email.attempts == 3
    )  # first try + 2 retries
    client.force_login(platform_admin)
    assert "test.notice" in client.get("/staff/tasks/").content.decode()


def test_tasks_page_is_for_platform_admins_only(client, org_admin, counselor):
    for user in (org_admin, counselor):
        client.force_login(user)
        assert client.get("/staff/tasks/").status_code == 404
    client.logout()
    assert client.get("/staff/tasks/").status_code == 302


def test_a_key_queues_once_and_delivery_is_idempotent(mailoutbox):
    assert queue_email("a@example.org", "S", "B", kind="k", key="same") is not None
    assert queue_email("a@example.org", "S", "B", kind="k", key="same") is None
    email = OutboundEmail.objects.get()
    deliver_email.call(email.pk)
    deliver_email.call(email.pk)  # a duplicate task finds it sent
    assert len(mailoutbox) == 1


def test_a_request_that_rolls_back_leaves_no_mail(mailoutbox):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email("a@example.org", "S", "B", kind="k")
        raise RuntimeError
    run_tasks()
    assert not OutboundEmail.objects.exists() and not mailoutbox


def test_each_periodic_run_is_enqueued_once_whatever_the_number_of_workers():
    jobs = periodic_jobs()
    # Every scheduled job the README used to list for cron is declared.
    assert {
        "purge_unsaved_screenings",
        "clear_sessions",
        "peer_reminders",
        "assessment_reminders",
        "community_tidy",
        "purge_throttles",
        "prune_task_results",
    } <= set(jobs)
    # Midday, so "16 minutes later" never crosses midnight (which would make the daily jobs due again).
    now = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    first = schedule_due(now)
    assert set(first) == set(jobs)
    assert schedule_due(now) == []  # a second worker in the same period finds every run taken
    later = schedule_due(now + timedelta(minutes=16))
    assert "peer_reminders" in later and "assessment_reminders" not in later
    assert PeriodicRun.objects.filter(job="peer_reminders").count() == 2
    assert run_tasks() >= len(jobs)
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    assert not DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED
    ).exists()  # every job's path resolves


def test_concurrent_schedulers_enqueue_each_run_once(transactional_db, settings):
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip(
            "SQLite's in-memory test database locks whole tables across threads; the worker "
            "process test below runs two workers on a SQLite file"
        )
    now = timezone.now()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            schedule_due(now)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    enqueued = [r.args_kwargs["args"][0] for r in DBTaskResult.objects.all()]
    assert sorted(enqueued) == sorted(periodic_jobs())


def test_respite_purge_runs_every_purge_job():
    out = io.StringIO()
    call_command("purge", stdout=out)
    for name, job in periodic_jobs().items():
        assert (f"{name}:" in out.getvalue()) == job.purge


def _migrate(env: dict[str, str]) -> None:
    """Migrate the database ``env`` names, in a fresh process as the real commands run."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "respite.cli", "migrate", "--noinput"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def test_worker_process_runs_queued_mail(transactional_db, tmp_path, settings):
    """`respite worker` as a separate process picks up what a request enqueued (SQLite file database)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip(
            "the process test runs on its own SQLite file; the PostgreSQL run covers the in-process path"
        )
    root = Path(__file__).resolve().parents[4]
    db = tmp_path / "w.sqlite3"
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{db}",
        PYTHONPATH=str(root / "src"),
        EMAIL_BACKEND=("django.core.mail.backends.smtp.EmailBackend"),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_USE_TLS="false",
        RESPITE_SCHEDULER_INTERVAL="1",
    )
    _migrate(env)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "respite.cli",
            "shell",
            "-c",
            "from respite.core.tasks import queue_email; queue_email('x@example.org', 'Hello', 'Body', kind='t')",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    controller, inbox = start_smtp(port)
    # Two workers share the database, as on two machines.
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "respite.cli", "worker", "--interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + PATIENCE_S
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.5)
        assert [rcpt for rcpt, _ in inbox.messages] == [["x@example.org"]]
        # and its scheduler ran the periodic jobs
        import sqlite3

        deadline = time.monotonic() + PATIENCE_S
        runs = 0
        while time.monotonic() < deadline and runs < len(periodic_jobs()):
            with closing(sqlite3.connect(db)) as conn:
                runs = conn.execute("SELECT count(*) FROM core_periodicrun").fetchone()[0]
            time.sleep(0.5)
        assert runs >= len(periodic_jobs())
        time.sleep(3)  # both schedulers have had several turns by now
        with closing(sqlite3.connect(db)) as conn:
            runs = conn.execute("SELECT count(*) FROM core_periodicrun").fetchone()[0]
            enqueued = conn.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path LIKE '%run_periodic'"
            ).fetchone()[0]
        assert enqueued == runs  # each period's run enqueued by exactly one of the two workers
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=PATIENCE_S)
        controller.stop()
    assert [proc.returncode for proc in procs] == [0, 0]  # SIGTERM: a graceful stop


def _children(pid: int) -> list[int]:
    from pathlib import Path

    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.slow
def test_serve_starts_web_and_worker_and_ctrl_c_stops_both(tmp_path, settings):
    """`make run` ends in `respite serve`: the portal and its worker, both gone after Ctrl-C."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("`make run` is the embedded SQLite quick start")
    root = Path(__file__).resolve().parents[4]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", PYTHONPATH=str(root / "src"))
    _migrate(env)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "respite.cli", "serve", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # As from a terminal: a test run started in the background (`pytest &`, a CI script) hands
        # its children SIGINT ignored, and Python then leaves Ctrl-C ignored (found at load 10).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + PATIENCE_S
        while time.monotonic() < deadline:
            try:
                # A first page can take a minute on a busy machine; a shorter wait would only ask again.
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/crisis/", timeout=120) as r:  # noqa: S310
                    assert r.status == 200
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the portal did not answer")
        workers = _children(proc.pid)
        assert workers, "no background worker process"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the whole group
        proc.wait(timeout=PATIENCE_S)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
            time.sleep(0.5)
        assert not any(Path(f"/proc/{w}").exists() for w in workers), "the worker outlived Ctrl-C"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_a_task_left_running_by_a_killed_worker_runs_again(mailoutbox, settings):
    """SIGKILL between claiming and finishing leaves the row RUNNING; every worker's scheduler tick takes
    it back (the scale-out test in ops does this with real processes)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from respite.core.tasks import requeue_stale_tasks

    queue_email("a@example.org", "S", "B", kind="k")
    result = DBTaskResult.objects.get()
    result.claim("worker-that-died")  # what a worker does just before it runs the task
    assert run_tasks() == 0 and not mailoutbox  # nobody else touches a claimed task
    assert requeue_stale_tasks() == 0  # not stale yet
    assert (
        requeue_stale_tasks(
            now=timezone.now() + timedelta(seconds=settings.RESPITE_TASK_STALE_AFTER + 1)
        )
        == 1
    )
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY
    assert run_tasks() == 1 and len(mailoutbox) == 1


def test_a_repeated_delivery_is_the_same_message(mailoutbox):
    """A worker killed after the mail server took a message but before recording it sends it again; the
    repeat carries the same Message-ID, so mail systems keep one message."""
    email = queue_email("a@example.org", "S", "B", kind="k")
    assert run_tasks() == 1
    # What the dead worker left behind: the message still waiting, its task run again.
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.PENDING, to="a@example.org", body="B"
    )
    deliver_email.call(email.pk)
    assert len(mailoutbox) == 2
    first, again = (m.extra_headers["Message-ID"] for m in mailoutbox)
    assert first == again and first.startswith("<respite.") and "a@example.org" not in first
    other = queue_email("a@example.org", "S", "B", kind="k")
    deliver_email.call(other.pk)
    assert mailoutbox[2].extra_headers["Message-ID"] != first


_OUTAGE = {"down": True}


@task()
def tally_once_back(case_id: str) -> str:
    """Fails while a dependency is down (its argument is an id, never shown to operators)."""
    if _OUTAGE["down"]:
        raise ConnectionError("dependency down")
    return case_id


def test_a_failed_task_is_listed_without_its_arguments_and_retried_with_them(caplog):
    """`respite tasks --retry` after an outage: the failed task runs again with its own arguments;
    a failed task whose code was removed in a deploy is reported and kept, not lost or crashed on."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    _OUTAGE["down"] = True
    tally_once_back.enqueue("case-7f3a")
    tally_once_back.enqueue("case-91bc")
    run_tasks()
    gone = DBTaskResult.objects.filter(args_kwargs__args=["case-91bc"]).get()
    DBTaskResult.objects.filter(pk=gone.pk).update(task_path="respite.removed_app.tasks.old_job")
    out = io.StringIO()
    call_command("tasks", stdout=out)
    assert "failed tasks: 2" in out.getvalue() and "case-" not in out.getvalue()
    assert f"{__name__}.tally_once_back\tbuiltins.ConnectionError" in out.getvalue()

    _OUTAGE["down"] = False
    try:
        out = io.StringIO()
        call_command("tasks", "--retry", stdout=out)
        assert "retrying 1 task(s) and 0 email(s)" in out.getvalue()
        assert "cannot be retried: its code is gone" in caplog.text
        run_tasks()
    finally:
        _OUTAGE["down"] = True
    done = DBTaskResult.objects.get(status=TaskResultStatus.SUCCESSFUL)
    assert done.args_kwargs["args"] == ["case-7f3a"] and done.return_value == "case-7f3a"
    assert DBTaskResult.objects.get(status=TaskResultStatus.FAILED).pk == gone.pk
