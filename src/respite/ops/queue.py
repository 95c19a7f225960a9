"""The task queue as operators see it: backlog, age of the oldest waiting task, failures.

Read from django-tasks-db's table (``DBTaskResult``) and Respite's outbound mail, at scrape or probe
time. Only counts and task paths (code) come out: never a task's arguments, which can hold an id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger("respite.ops")


def queue_enabled() -> bool:
    backend = (
        settings.TASKS.get("default", {}).get("BACKEND", "") if hasattr(settings, "TASKS") else ""
    )
    return apps.is_installed("django_tasks_db") and backend.startswith("django_tasks_db.")


def oldest_wait_seconds(now: datetime | None = None) -> float:
    """How long the task that has waited longest for a worker has been waiting (0 with none).

    A task is waiting from when it was enqueued, or from its ``run_after`` when it was scheduled for
    later (a retry in an hour has not waited until that hour comes)."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = now or timezone.now()
    found = DBTaskResult.objects.ready().aggregate(
        enqueued=Min("enqueued_at", filter=Q(run_after=get_date_max())),
        scheduled=Min("run_after", filter=~Q(run_after=get_date_max())),
    )
    since = [value for value in found.values() if value is not None]
    return max(0.0, (now - min(since)).total_seconds()) if since else 0.0


def queue_ready() -> bool:
    if not queue_enabled():
        return True
    try:
        waited = oldest_wait_seconds()
    except Exception as exc:  # no queue table yet (migrations not applied) counts as not ready
        logger.warning("readyz: task queue unavailable (%s)", type(exc).__name__)
        return False
    if waited > settings.RESPITE_TASK_BACKLOG_MAX_AGE:
        logger.warning(
            "readyz: a task has waited %d s for a worker; is `respite worker` running?", waited
        )
        return False
    return True


class QueueCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        if not queue_enabled():
            return
        from django_tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        from respite.core.models import OutboundEmail

        try:
            waiting = DBTaskResult.objects.ready().count()
            oldest = oldest_wait_seconds()
            running_since = DBTaskResult.objects.running().aggregate(
                n=Count("pk"), oldest=Min("started_at")
            )
            running = running_since["n"]
            failed = list(
                DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
                .values("task_path")
                .annotate(n=Count("pk"))
                .order_by("task_path")
            )
            mail = dict(
                OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT)
                .filter(attempts__gt=0)
                .values_list("status")
                .annotate(n=Count("pk"))
            )
        except Exception as exc:  # a database outage shows in /readyz; /metrics still answers
            logger.warning("metrics: task queue unavailable (%s)", type(exc).__name__)
            return
        yield GaugeMetricFamily(
            "respite_tasks_waiting", "Tasks due and waiting for a worker.", value=waiting
        )
        yield GaugeMetricFamily(
            "respite_tasks_oldest_wait_seconds",
            "How long the longest-waiting due task has waited.",
            value=oldest,
        )
        yield GaugeMetricFamily(
            "respite_tasks_running", "Tasks claimed by a worker and not finished.", value=running
        )
        # django-tasks-db never takes back a task whose worker died (SIGKILL, power loss): it stays
        # RUNNING for good. This age is how an operator notices one.
        started = running_since["oldest"]
        yield GaugeMetricFamily(
            "respite_tasks_oldest_running_seconds",
            "How long the longest-running claimed task has been running (a dead worker's task grows forever).",
            value=max(0.0, (timezone.now() - started).total_seconds()) if started else 0.0,
        )
        failures = GaugeMetricFamily(
            "respite_tasks_failed",
            "Failed tasks kept for operators (30 days; `respite tasks --retry`), by task.",
            labels=["task"],
        )
        for row in failed:
            failures.add_metric([row["task_path"]], row["n"])
        yield failures
        emails = GaugeMetricFamily(
            "respite_emails_undelivered",
            "Email not sent after at least one try, by state.",
            labels=["state"],
        )
        for state in (OutboundEmail.Status.PENDING, OutboundEmail.Status.FAILED):
            emails.add_metric([state.value], mail.get(state, 0))
        yield emails
