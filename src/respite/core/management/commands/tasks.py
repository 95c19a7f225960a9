"""``respite tasks``: what the background worker could not do, for operators (``--retry`` to try again)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from respite.core.tasks import queue_health, retry_failed


class Command(BaseCommand):
    help = (
        "List failed background tasks and undelivered email; --retry puts them back on the queue."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retry", action="store_true", help="Try every failed task and email again now."
        )

    def handle(self, *args, retry: bool, **options):
        health = queue_health()
        self.stdout.write(
            f"waiting: {health.waiting}, failed tasks: {len(health.failed_tasks)}, "
            f"undelivered email: {len(health.undelivered)}"
        )
        for result in health.failed_tasks:
            self.stdout.write(
                f"task\t{result.finished_at:%Y-%m-%d %H:%M}\t{result.task_path}\t"
                f"{result.exception_class_path}"
            )
        for email in health.undelivered:
            self.stdout.write(
                f"email\t{email.created_on}\t{email.kind}\t{email.status}\t"
                f"{email.attempts} tries\t{email.last_error}"
            )
        if retry:
            tasks, emails = retry_failed()
            self.stdout.write(f"retrying {tasks} task(s) and {emails} email(s)")
