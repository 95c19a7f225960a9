"""Demo gathering for `respite demo` (idempotent): one event at the first organization with RSVPs,
an approved and a pending note, and a few pledges. Its private management link is printed, since it
cannot be shown again."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from respite.community.models import Event, Note, NoteStatus, Pledge, Rsvp
from respite.core.models import Organization

DEMO_TITLE = "The Pitt watch night: Beyond the 15th Hour"


def load(organizations: list[Organization]) -> None:
    org = organizations[0]
    if Event.objects.filter(organization=org, title=DEMO_TITLE).exists():
        return
    event = Event(
        organization=org,
        title=DEMO_TITLE,
        format="in_person",
        starts_at=timezone.now() + timedelta(days=10),
        time_zone="America/Los_Angeles",
        place="Community room, 2nd floor",
        audience="mixed",
        state=org.state or "CA",
        notes_for="Riverside ER night shift",
        donation_url="https://bit.ly/LornaBreenGiving",
        pledge_goal=1000,
    )
    token = event.new_manage_token()
    event.save()
    Rsvp.objects.bulk_create(
        [Rsvp(event=event, nickname="Sam", party_size=2), Rsvp(event=event, party_size=1)]
    )
    Note.objects.create(
        event=event,
        status=NoteStatus.APPROVED,
        signed="A neighbor",
        body="Thank you for the care you give every night. We see you.",
    )
    Note.objects.create(
        event=event, body="Gratefully yours, for staying all in when the system makes it hard."
    )
    Pledge.objects.bulk_create(
        [
            Pledge(event=event, tier="stigma-stopper", amount=22, display_name="Sam"),
            Pledge(event=event, tier="champion-of-confidentiality", amount=220),
        ]
    )
    print(f"Community demo gathering: manage it at /o/{org.slug}/community/manage/#{token}")  # noqa: T201
