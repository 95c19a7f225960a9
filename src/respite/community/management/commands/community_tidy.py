"""Daily housekeeping for community gatherings (run from cron/systemd timer):

1. send the reminder emails attendees asked for, once, during the day before the event;
2. erase every reminder email once its event has started (it is no longer needed);
3. delete gatherings, with their RSVPs, notes and pledges, 60 days after they took place.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from respite.community.models import Event, Rsvp
from respite.core.tasks import queue_email


def send_reminders(now=None) -> int:
    now = now or timezone.now()
    due = (
        Rsvp.objects.filter(
            event__removed=False,
            event__starts_at__gt=now,
            event__starts_at__lte=now + timedelta(hours=24),
            reminder_sent=False,
        )
        .exclude(reminder_email="")
        .select_related("event", "event__organization")
    )
    sent = 0
    for rsvp in due:
        with translation.override(rsvp.language or "en"):
            body = render_to_string("community/reminder_email.txt", {"event": rsvp.event})
            subject = translation.gettext("Reminder: %(title)s") % {"title": rsvp.event.title}
        # Queued, not sent: the outbox keeps the address (encrypted) only until the message is out.
        with transaction.atomic():
            queue_email(
                rsvp.reminder_email,
                subject,
                body,
                kind="community.reminder",
                key=f"community-rsvp:{rsvp.pk}",
            )
            rsvp.reminder_sent = True
            rsvp.save(update_fields=["reminder_sent"])
        sent += 1
    return sent


def erase_past_emails(now=None) -> int:
    now = now or timezone.now()
    return (
        Rsvp.objects.filter(event__starts_at__lte=now)
        .exclude(reminder_email="")
        .update(reminder_email="")
    )


def purge_old_events(now=None) -> int:
    return Event.objects.expired(now).delete()[0]


def tidy() -> dict[str, int]:
    """The hourly job (see CommunityConfig.respite_periodic)."""
    return {
        "reminders": send_reminders(),
        "erased": erase_past_emails(),
        "purged": purge_old_events(),
    }


class Command(BaseCommand):
    help = "Send due RSVP reminders, erase reminder emails after events, delete old gatherings."

    def handle(self, *args, **options):
        counts = tidy()
        self.stdout.write(
            "community: {reminders} reminders queued, {erased} emails erased, {purged} rows purged".format(
                **counts
            )
        )
