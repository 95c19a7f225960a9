"""``respite worker`` in this process (test_tasks.py and ops' scale-out test run it as real processes):
it runs what is queued on any queue, its scheduler enqueues the periodic jobs and takes back a dead
worker's task, and a database blip costs one tick, never the scheduler."""

from __future__ import annotations

import io
import logging
import threading
from datetime import timedelta
from unittest import mock

from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from respite.core.management.commands.worker import _schedule_forever
from respite.core.models import OutboundEmail, PeriodicRun
from respite.core.tasks import periodic_jobs, queue_email


class Ticks(threading.Event):
    """The scheduler's stop event, set after a given number of ticks (no sleeping in tests)."""

    def __init__(self, ticks: int) -> None:
        super().__init__()
        self.left = ticks
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout or 0)
        self.left -= 1
        if self.left <= 0:
            self.set()
        return self.is_set()


def test_a_tick_schedules_every_periodic_job_and_takes_back_a_dead_workers_task(
    transactional_db, settings, caplog
):
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.RESPITE_SCHEDULER_INTERVAL = 7
    queue_email("lead@example.org", "Reminder", "Body", kind="test")
    held = DBTaskResult.objects.get()
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=1)):
        held.claim("worker-that-died")
    stop = Ticks(1)
    with caplog.at_level(logging.INFO, logger="respite.worker"):
        _schedule_forever(stop)
    assert stop.waits == [7]
    assert set(PeriodicRun.objects.values_list("job", flat=True)) == set(periodic_jobs())
    assert "scheduled: " in caplog.text
    held.refresh_from_db()
    assert held.status == TaskResultStatus.READY


def test_a_database_blip_costs_one_tick_not_the_scheduler(transactional_db, caplog):
    from respite.core import tasks

    calls: list[int] = []

    def blip_then_recover(now=None):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return tasks.schedule_due(now)

    with (
        mock.patch(
            "respite.core.management.commands.worker.schedule_due", side_effect=blip_then_recover
        ),
        caplog.at_level(logging.INFO, logger="respite.worker"),
    ):
        _schedule_forever(Ticks(2))
    assert len(calls) == 2
    assert "scheduling periodic jobs failed; trying again later" in caplog.text
    assert PeriodicRun.objects.count() == len(periodic_jobs())  # enqueued by the second tick


def test_respite_worker_batch_runs_what_is_queued_and_schedules_nothing(
    transactional_db, mailoutbox
):
    queue_email("lead@example.org", "Reminder", "Body", kind="test")
    call_command("worker", "--batch", "--no-startup-delay", stdout=io.StringIO())
    assert [m.to for m in mailoutbox] == [["lead@example.org"]]
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT
    assert not PeriodicRun.objects.exists()  # a one-off batch does not start the scheduler


def test_respite_worker_starts_its_scheduler_and_stops_it_on_exit(transactional_db):
    started: list[threading.Thread] = []
    ticked = threading.Event()

    def run_once(self, *args, **options):
        # db_worker's loop, as far as the scheduler can tell: it ticks while the worker runs.
        started.extend(t for t in threading.enumerate() if t.name == "scheduler")
        ticked.wait(timeout=120)

    with (
        mock.patch("django_tasks_db.management.commands.db_worker.Command.handle", run_once),
        mock.patch(
            "respite.core.management.commands.worker.schedule_due",
            side_effect=lambda: ticked.set() or [],
        ),
    ):
        call_command("worker")
        assert ticked.is_set()
        assert started and started[0].daemon
        started[0].join(timeout=120)
    assert not started[0].is_alive()  # stopped with the worker, not left ticking
    with mock.patch("django_tasks_db.management.commands.db_worker.Command.handle", run_once):
        started.clear()
        call_command("worker", "--no-scheduler")
    assert not started
