"""List open action items that are due soon or overdue, and email each owner's staff account.

Run daily from cron or a systemd timer: ``respite assessment_reminders`` (add ``--dry-run`` to only
list). An item is emailed at most once a day. Emails carry the action's title and due date only.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.utils import timezone

from respite.assessments.models import ActionItem


class Command(BaseCommand):
    help = "List action items due soon or overdue and email their owners' staff accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=7,
            help="Include items due within this many days (default 7).",
        )
        parser.add_argument("--organization", help="Only this organization (slug).")
        parser.add_argument(
            "--dry-run", action="store_true", help="List the due items; send nothing."
        )

    def handle(self, *args, days: int, organization: str | None, dry_run: bool, **options):
        today = timezone.localdate()
        items = ActionItem.objects.due(within_days=days, today=today).select_related(
            "organization", "owner_account"
        )
        if organization:
            items = items.filter(organization__slug=organization)
        by_account: dict = defaultdict(list)
        for item in items.order_by("organization__name", "due_date", "pk"):
            late = " OVERDUE" if item.due_date < today else ""
            owner = item.owner or "-"
            self.stdout.write(
                f"{item.organization.slug}\t{item.due_date:%Y-%m-%d}{late}\t{owner}\t{item.title}"
            )
            account = item.owner_account
            if (
                account is not None
                and account.is_active
                and account.email
                and item.last_reminded_on != today
            ):
                by_account[account].append(item)
        if dry_run:
            return
        sent = 0
        for account, due in by_account.items():
            lines = [
                f"- {i.due_date:%Y-%m-%d}{' (overdue)' if i.due_date < today else ''}: {i.title} "
                f"[{i.organization.name}]"
                for i in due
            ]
            send_mail(
                subject=f"Respite: {len(due)} action item(s) due",
                message="These action-plan items are due soon or overdue:\n\n"
                + "\n".join(lines)
                + "\n\nSign in to Respite to update them.",
                from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
                recipient_list=[account.email],
            )
            ActionItem.objects.filter(pk__in=[i.pk for i in due]).update(last_reminded_on=today)
            sent += 1
        self.stdout.write(f"Reminders sent to {sent} account(s).")
