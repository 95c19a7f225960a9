"""List open action items that are due soon or overdue, and email each owner's staff account.

`respite worker` runs this daily (see AssessmentsConfig.respite_periodic); ``respite
assessment_reminders`` runs it now (add ``--dry-run`` to only list). An item is emailed at most once a
day. Emails carry the action's title and due date only, in the owner's language.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TextIO

from django.core.management.base import BaseCommand, OutputWrapper
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from respite.assessments.models import ActionItem
from respite.core.notify import notify_staff, site_link


def send_due_reminders(
    days: int = 7,
    organization: str | None = None,
    dry_run: bool = False,
    out: TextIO | OutputWrapper | None = None,
) -> int:
    """Queue one email per owner account listing its due items; returns how many accounts."""
    today = timezone.localdate()
    items = ActionItem.objects.due(within_days=days, today=today).select_related(
        "organization", "owner_account"
    )
    if organization:
        items = items.filter(organization__slug=organization)
    by_account: dict[Any, list[ActionItem]] = defaultdict(list)
    for item in items.order_by("organization__name", "due_date", "pk"):
        if out is not None:
            late = " OVERDUE" if item.due_date < today else ""
            out.write(
                f"{item.organization.slug}\t{item.due_date:%Y-%m-%d}{late}\t{item.owner or '-'}\t{item.title}\n"
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
        return 0
    sent = 0
    for account, due in by_account.items():

        def render(_user: Any, due: list[ActionItem] = due) -> tuple[str, str]:
            lines = [
                f"- {i.due_date:%Y-%m-%d}{' (' + _('overdue') + ')' if i.due_date and i.due_date < today else ''}: "
                f"{i.title} [{i.organization.name}]"
                for i in due
            ]
            subject = ngettext(
                "Respite: %(n)s action item due", "Respite: %(n)s action items due", len(due)
            ) % {"n": len(due)}
            body = (
                _("These action-plan items are due soon or overdue:")
                + "\n\n"
                + "\n".join(lines)
                + "\n\n"
                + _("Sign in to Respite to update them: %(link)s")
                % {"link": site_link("core:staff_home")}
            )
            return subject, body

        with transaction.atomic():
            sent += notify_staff(
                [account], "assessments.reminder", render, key=f"action-items:{today}"
            )
            ActionItem.objects.filter(pk__in=[i.pk for i in due]).update(last_reminded_on=today)
    return sent


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
        sent = send_due_reminders(days, organization, dry_run, out=self.stdout)
        if not dry_run:
            self.stdout.write(f"Reminders queued for {sent} account(s).")
