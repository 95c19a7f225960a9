"""`respite assessment_reminders`: due items listed, owners' staff accounts emailed once a day."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from respite.assessments.models import ActionItem
from respite.core.testing import make_staff, run_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(org, other_org, org_admin):
    org_admin.email = "owner@acme.example"
    org_admin.save()
    today = timezone.localdate()
    make = ActionItem.objects.create
    return {
        "overdue": make(
            organization=org,
            framework="all_in",
            area="access",
            title="Night EAP hours",
            owner="CWO",
            owner_account=org_admin,
            due_date=today - timedelta(days=2),
        ),
        "soon": make(
            organization=org,
            framework="all_in",
            area="php",
            title="List the PHP",
            owner_account=org_admin,
            due_date=today + timedelta(days=3),
        ),
        "later": make(
            organization=org,
            framework="all_in",
            area="php",
            title="Later thing",
            owner_account=org_admin,
            due_date=today + timedelta(days=30),
        ),
        "done": make(
            organization=org,
            framework="all_in",
            area="php",
            title="Done thing",
            status="done",
            owner_account=org_admin,
            due_date=today - timedelta(days=1),
        ),
        "no_account": make(
            organization=other_org,
            framework="all_in",
            area="php",
            title="Elsewhere item",
            owner="Director",
            due_date=today,
        ),
    }


def run(*args) -> str:
    out = io.StringIO()
    call_command("assessment_reminders", *args, stdout=out)
    run_tasks()  # mail goes out from the task queue
    return out.getvalue()


def test_lists_due_items_and_emails_each_owner_once(items):
    output = run()
    assert "Night EAP hours" in output and "OVERDUE" in output and "List the PHP" in output
    assert "Elsewhere item" in output
    assert "Later thing" not in output and "Done thing" not in output
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@acme.example"]
    assert (
        "Night EAP hours" in message.body
        and "(overdue)" in message.body
        and "List the PHP" in message.body
    )
    assert "Later thing" not in message.body
    run()
    assert len(mail.outbox) == 1  # not again the same day


def test_dry_run_sends_nothing_and_days_widens_the_window(items):
    output = run("--dry-run", "--days", "60")
    assert "Later thing" in output and not mail.outbox


def test_organization_filter(items, org):
    output = run("--dry-run", "--organization", org.slug)
    assert "Elsewhere item" not in output and "Night EAP hours" in output


def test_inactive_or_emailless_accounts_get_no_mail(items, org):
    colleague = make_staff(org, "org_admin", "no-email")
    items["soon"].owner_account = colleague
    items["soon"].save()
    items["overdue"].owner_account.is_active = False
    items["overdue"].owner_account.save()
    run()
    assert not mail.outbox
