"""Factories for community tests (plain make_* functions, house style)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from respite.community.models import Event


def make_event(org, **kwargs) -> tuple[Event, str]:
    """An event and its management token."""
    defaults = {
        "title": "Watch night",
        "format": "in_person",
        "place": "Room 2B",
        "audience": "mixed",
        "starts_at": timezone.now() + timedelta(days=7),
        "time_zone": "America/New_York",
        "notes_for": "4 West nursing team",
        "pledge_goal": 500,
    }
    event = Event(organization=org, **{**defaults, **kwargs})
    token = event.new_manage_token()
    event.save()
    return event, token


def manage_link(event: Event, token: str) -> str:
    """The private link a host is given: the token after "#", which browsers never send."""
    return f"/o/{event.organization.slug}/community/manage/#{token}"


def open_manage(client, event: Event, token: str):
    """What app.js does with the link (or the host pasting it): post the token with the page's form."""
    return client.post(f"/o/{event.organization.slug}/community/manage/", {"token": token})


def manage_url(event: Event, token: str = "", suffix: str = "") -> str:
    """A page of the gathering's management, once ``open_manage`` has put it in the session."""
    return f"/o/{event.organization.slug}/community/manage/gathering/{suffix}"


def public_url(event: Event, suffix: str = "") -> str:
    return f"/o/{event.organization.slug}/community/e/{event.pk}/{suffix}"
