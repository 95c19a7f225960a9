"""Background work: mail, reminders, escalations and purges run as tasks, never in a request.

The queue is ``django-tasks`` with the ``django-tasks-db`` backend: a table in Respite's own database,
so a task is enqueued in the same transaction as the request's own writes (a request that committed
always has its task; one that rolled back has none) and several ``respite worker`` processes on several
machines share it on PostgreSQL. ``django_tasks`` is the backport of Django 6's ``django.tasks``; the
code moves there unchanged.

- ``queue_email()`` stores one message (address and body encrypted) and enqueues its delivery. Delivery
  retries with backoff; the address and body are erased once sent.
- Periodic jobs (``respite.core.periodic``) are scheduled by ``respite worker`` itself: no cron list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.text import MIMEText
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from respite.core.models import OutboundEmail, PeriodicRun
from respite.core.periodic import periodic_jobs

log = logging.getLogger(__name__)


# --- Email -----------------------------------------------------------------------------------------


def retry_delays() -> list[int]:
    """Seconds to wait before each new try of a failed delivery: about a day in all, then it is failed
    and listed for operators."""
    return list(
        getattr(
            settings,
            "RESPITE_TASK_RETRY_DELAYS",
            [30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600],
        )
    )


def queue_email(
    to: str,
    subject: str,
    body: str,
    *,
    kind: str,
    key: str | None = None,
    calendar: str = "",
    run_after: datetime | None = None,
) -> OutboundEmail | None:
    """Store a message and enqueue its delivery (not before ``run_after`` if given: the address and
    body stay encrypted in the outbox until then). Returns None (and sends nothing) when ``key`` was
    queued before, so a re-run job or a retried request never mails twice."""
    if not to:
        return None
    if key is not None and OutboundEmail.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                key=key, to=to, subject=subject[:200], body=body, calendar=calendar, kind=kind
            )
            (deliver_email.using(run_after=run_after) if run_after else deliver_email).enqueue(
                email.pk
            )
    except IntegrityError:  # the same key queued at the same moment by another process
        return None
    return email


def message_id(email: OutboundEmail) -> str:
    """A Message-ID fixed per stored message. Delivery is at-least-once (a worker killed between sending
    and recording sends again), so a repeat carries the same id and mail systems treat it as one message."""
    domain = urlsplit(settings.RESPITE_SITE_URL).hostname or "localhost"
    return f"<respite.{email.created_on:%Y%m%d}.{email.pk}@{domain}>"


def _message(email: OutboundEmail) -> EmailMessage:
    message = EmailMessage(
        email.subject, email.body, None, [email.to], headers={"Message-ID": message_id(email)}
    )
    if email.calendar:
        # RFC 6047: the iTIP method travels in the Content-Type too, so calendar clients act on it.
        method = next(
            (
                line.split(":", 1)[1].strip()
                for line in email.calendar.splitlines()
                if line.startswith("METHOD:")
            ),
            "PUBLISH",
        )
        part = MIMEText(email.calendar, "calendar", "utf-8")
        part.set_param("method", method)
        part.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(part)
    return message


@task()
def deliver_email(email_id: int) -> str:
    """Send one stored message. Idempotent: a message already sent (or gone) is not sent again.

    No transaction is held while talking to the mail server (on SQLite that would block every writer
    for as long as SMTP takes). A worker killed between sending and recording may send a message twice;
    it never loses one."""
    email = OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.PENDING).first()
    if email is None:
        return "nothing to do"
    try:
        _message(email).send(fail_silently=False)
    except Exception as exc:  # any transport error: refused, DNS, TLS, timeout
        return _schedule_retry(email, exc)
    # Sent: forget who it went to and what it said.
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENT,
        to="",
        body="",
        calendar="",
        attempts=email.attempts + 1,
        last_error="",
    )
    return "sent"


def _schedule_retry(email: OutboundEmail, exc: Exception) -> str:
    email.attempts += 1
    email.last_error = type(exc).__name__[:200]
    delays = retry_delays()
    with transaction.atomic():
        if email.attempts > len(delays):
            email.status = OutboundEmail.Status.FAILED
            email.save(update_fields=["attempts", "last_error", "status"])
            log.warning(
                "email %s (%s) failed for good after %s tries", email.pk, email.kind, email.attempts
            )
            return "failed"
        email.save(update_fields=["attempts", "last_error"])
        run_after = timezone.now() + timedelta(seconds=delays[email.attempts - 1])
        deliver_email.using(run_after=run_after).enqueue(email.pk)
    log.info(
        "email %s (%s) not sent (%s); try %s scheduled",
        email.pk,
        email.kind,
        email.last_error,
        email.attempts + 1,
    )
    return "retry scheduled"


def retry_failed_emails() -> int:
    """Put every failed or waiting-to-retry message back on the queue now (operators, after an outage)."""
    count = 0
    for email in OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).filter(
        attempts__gt=0
    ):
        with transaction.atomic():
            if email.status == OutboundEmail.Status.FAILED:
                email.status = OutboundEmail.Status.PENDING
                email.attempts = 0
                email.save(update_fields=["status", "attempts"])
            deliver_email.enqueue(email.pk)
        count += 1
    return count


# --- Periodic jobs -------------------------------------------------------------------------------


@task()
def run_periodic(name: str) -> str:
    job = periodic_jobs().get(name)
    if job is None:
        return f"no job named {name}"
    result = job.run()
    log.info("periodic %s: %s", name, result)
    return str(result)


def schedule_due(now=None) -> list[str]:
    """Enqueue every job whose current period has not been enqueued yet, by any worker. Returns the
    names enqueued by this call."""
    now = now or timezone.now()
    enqueued = []
    for job in periodic_jobs().values():
        seconds = max(1, int(job.every.total_seconds()))
        period = int(now.timestamp()) // seconds
        if PeriodicRun.objects.filter(job=job.name, period=period).exists():
            continue
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(job=job.name, period=period)
                run_periodic.enqueue(job.name)
        except IntegrityError:
            continue  # another worker won this period
        PeriodicRun.objects.filter(job=job.name, period__lt=period - 10).delete()
        enqueued.append(job.name)
    return enqueued


# --- Core's own periodic jobs ----------------------------------------------------------------------


def clear_expired_sessions() -> int:
    from django.contrib.sessions.models import Session

    return Session.objects.filter(expire_date__lt=timezone.now()).delete()[0]


def prune_task_results() -> int:
    """Finished task rows carry a time to the microsecond next to what a worker's action caused (a peer
    request's notice, say): keep successes an hour, failures a month (for operators)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    done = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - timedelta(hours=1)
    )
    failed = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED, finished_at__lt=now - timedelta(days=30)
    )
    sent = OutboundEmail.objects.filter(
        status=OutboundEmail.Status.SENT, created_on__lt=now.date() - timedelta(days=7)
    )
    return done.delete()[0] + failed.delete()[0] + sent.delete()[0]


def requeue_stale_tasks(now=None) -> int:
    """A worker killed mid-task (SIGKILL, a lost machine) leaves its task RUNNING for ever: django-tasks-db
    never takes a claim back. Put tasks running longer than RESPITE_TASK_STALE_AFTER back on the queue;
    every Respite task is idempotent, so running one again is safe."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - timedelta(seconds=settings.RESPITE_TASK_STALE_AFTER)
    stale = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    count = stale.update(status=TaskResultStatus.READY, started_at=None)
    if count:
        log.warning("put %s task(s) left running by a dead worker back on the queue", count)
    return count


# --- For operators ---------------------------------------------------------------------------------


@dataclass
class QueueHealth:
    waiting: int
    failed_tasks: list
    undelivered: list


def queue_health(limit: int = 200) -> QueueHealth:
    """What operators need to see: the backlog, failed tasks (name and error class, never arguments)
    and email that has not gone out after at least one try (kind and error, never the address)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    failed = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
        .order_by("-finished_at")
        .only("id", "task_path", "exception_class_path", "finished_at")[:limit]
    )
    undelivered = list(
        OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT)
        .filter(attempts__gt=0)
        .order_by("-pk")
        .only("pk", "kind", "status", "attempts", "last_error", "created_on")[:limit]
    )
    return QueueHealth(DBTaskResult.objects.ready().count(), failed, undelivered)


def retry_failed() -> tuple[int, int]:
    """Enqueue a fresh copy of every failed task, and every undelivered email, now."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    tasks = 0
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.FAILED):
        with transaction.atomic():
            try:
                task_obj = result.task
            except Exception:  # a task whose code is gone cannot be retried
                log.warning(
                    "task %s (%s) cannot be retried: its code is gone", result.pk, result.task_path
                )
                continue
            args = result.args_kwargs
            task_obj.enqueue(*args.get("args", []), **args.get("kwargs", {}))
            result.delete()
        tasks += 1
    return tasks, retry_failed_emails()
