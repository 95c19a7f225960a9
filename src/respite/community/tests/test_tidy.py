"""Housekeeping: reminders sent once, emails erased after the event, old gatherings purged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from respite.community.management.commands.community_tidy import erase_past_emails, send_reminders
from respite.community.models import Event, Note, Rsvp
from respite.community.tests.helpers import make_event
from respite.core.testing import run_tasks

pytestmark = pytest.mark.django_db


def test_reminders_sent_once_in_attendee_language(org):
    soon, _ = make_event(org, starts_at=timezone.now() + timedelta(hours=20), title="Soon")
    later, _ = make_event(org, starts_at=timezone.now() + timedelta(days=5), title="Later")
    Rsvp.objects.create(event=soon, reminder_email="a@example.org", language="es")
    Rsvp.objects.create(event=soon)
    Rsvp.objects.create(event=later, reminder_email="b@example.org")
    assert send_reminders() == 1
    assert send_reminders() == 0
    run_tasks()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@example.org"]
    assert "Soon" in mail.outbox[0].subject and "Recordatorio" in mail.outbox[0].subject


def test_emails_erased_once_event_started_and_old_events_purged(org):
    past, _ = make_event(org, starts_at=timezone.now() - timedelta(hours=1))
    old, _ = make_event(org, starts_at=timezone.now() - timedelta(days=90))
    future, _ = make_event(org)
    Rsvp.objects.create(event=past, reminder_email="a@example.org")
    Rsvp.objects.create(event=future, reminder_email="b@example.org")
    Note.objects.create(event=old, body="Thank you")
    assert erase_past_emails() == 1
    assert Rsvp.objects.get(event=past).reminder_email == ""
    assert Rsvp.objects.get(event=future).reminder_email == "b@example.org"
    call_command("community_tidy", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert set(Event.objects.values_list("pk", flat=True)) == {past.pk, future.pk}
    assert not Note.objects.exists()


def test_demo_is_idempotent(org, other_org, capsys):
    from respite.community import demo

    demo.load([org, other_org])
    demo.load([org, other_org])
    assert Event.objects.count() == 1
    event = Event.objects.get()
    assert event.tally()["attending"] == 3 and event.notes.approved().count() == 1
    assert "/community/manage/" in capsys.readouterr().out
