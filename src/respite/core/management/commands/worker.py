"""``respite worker``: runs queued tasks and schedules the periodic jobs.

Start as many as you like, on as many machines as share the database: each task is claimed by one
worker, and each periodic run is enqueued by exactly one (``respite.core.tasks.schedule_due``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands import db_worker

from respite.core.tasks import requeue_stale_tasks, schedule_due

log = logging.getLogger("respite.worker")


def _schedule_forever(stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            # Every tick, not as a periodic job: a task claimed by a worker that died must come back
            # within RESPITE_TASK_STALE_AFTER, and a job scheduled every few minutes would add to that.
            requeue_stale_tasks()
            enqueued = schedule_due()
            if enqueued:
                log.info("scheduled: %s", ", ".join(enqueued))
        except Exception:  # the scheduler must outlive a database blip
            log.exception("scheduling periodic jobs failed; trying again later")
        finally:
            connection.close()
        stop.wait(settings.RESPITE_SCHEDULER_INTERVAL)


class Command(db_worker.Command):
    help = "Run background tasks (mail, reminders, escalations, purges) and schedule periodic jobs."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", reload=False)
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="Only run tasks; let other workers schedule periodic jobs.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scheduler = options.pop("scheduler", True)
        stop = threading.Event()
        if scheduler and not options.get("batch"):
            threading.Thread(
                target=_schedule_forever, args=(stop,), name="scheduler", daemon=True
            ).start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
