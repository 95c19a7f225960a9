"""Events: creating, the private management link, RSVPs, access control and CSRF."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from respite.community.models import Event, Rsvp
from respite.community.tests.helpers import make_event, manage_url, open_manage, public_url

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    day = (timezone.now() + timedelta(days=14)).date().isoformat()
    data = {
        "title": "Beyond the 15th hour",
        "format": "in_person",
        "start_date": day,
        "start_time": "18:30",
        "time_zone": "America/Chicago",
        "place": "Library, room 3",
        "link": "",
        "audience": "workers",
        "state": "tx",
        "notes_for": "ER night shift",
        "donation_url": "https://bit.ly/LornaBreenGiving",
        "pledge_goal": "1000",
    }
    return {**data, **overrides}


def test_create_event_gives_private_link_stored_only_as_hash(client, org):
    response = client.post(f"/o/{org.slug}/community/new/", _form())
    assert response.status_code == 200
    html = response.content.decode()
    link = re.search(r'data-testid="manage-link">([^<]+)<', html).group(1)
    assert "/community/manage/#" in link
    token = link.rsplit("#", 1)[1]
    event = Event.objects.get()
    assert event.organization == org and event.state == "TX"
    assert event.local_start.hour == 18 and str(event.local_start.tzinfo) == "America/Chicago"
    assert token not in event.manage_digest and len(token) >= 40
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM community_event")
        assert token not in repr(cur.fetchall())
    # The creating browser manages it straight away; the page no longer shows the token.
    page = client.get(manage_url(event))
    assert page.status_code == 200 and token not in page.content.decode()
    # Another browser opens the link: the page's form posts the token, then a token-less page.
    other = Client()
    landing = other.get(link.split("#")[0].replace("http://testserver", ""))
    assert 'data-fragment-field="token"' in landing.content.decode()
    opened = open_manage(other, event, link)  # pasting the whole link works too
    assert opened.status_code == 302 and token not in opened["Location"]
    assert other.get(opened["Location"]).status_code == 200


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"format": "virtual", "link": ""}, "link"),
        ({"format": "virtual", "link": "http://zoom.example/j/1"}, "link"),
        ({"donation_url": "http://example.org/give"}, "donation_url"),
        ({"place": ""}, "place"),
        ({"state": "ZZ"}, "state"),
        ({"start_date": "2001-01-01"}, "start_date"),
        ({"audience": "everyone"}, "audience"),
    ],
)
def test_bad_event_input_is_a_clear_form_error(client, org, overrides, field):
    response = client.post(f"/o/{org.slug}/community/new/", _form(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Event.objects.exists()


def test_times_are_shown_in_the_event_time_zone(client, org):
    client.post(
        f"/o/{org.slug}/community/new/", _form(start_time="18:30", time_zone="America/Los_Angeles")
    )
    event = Event.objects.get()
    assert event.starts_at.astimezone(UTC).hour in (1, 2)  # 18:30 Pacific is 01:30 or 02:30 UTC
    page = client.get(public_url(event)).content.decode()
    assert "18:30" in page and "(Pacific)" in page


def test_wrong_or_other_org_token_is_404_and_throttled(client, org, other_org, settings):
    event, token = make_event(org)
    assert client.get(manage_url(event)).status_code == 302  # no gathering opened: to the form
    assert open_manage(client, event, token).status_code == 302
    assert client.get(manage_url(event)).status_code == 200
    stranger = Client()
    assert (
        stranger.post(f"/o/{other_org.slug}/community/manage/", {"token": token}).status_code == 404
    )
    assert open_manage(stranger, event, "x" * 43).status_code == 404
    settings.RESPITE_CODE_FAILURES_PER_ADDRESS = 3
    for _ in range(3):
        open_manage(stranger, event, "y" * 43)
    assert open_manage(stranger, event, token).status_code == 429


def test_an_old_style_link_asks_for_the_link_in_the_form(client, org):
    event, token = make_event(org)
    for old in (
        f"/o/{org.slug}/community/manage/{token}/",
        f"/o/{org.slug}/community/manage/{token}/edit/",
    ):
        page = client.get(old)
        assert page.status_code == 410 and "Paste the link" in page.content.decode()
    assert client.get(manage_url(event)).status_code == 302  # the old link itself opened nothing
    assert (
        open_manage(
            client, event, f"https://x.example/o/{org.slug}/community/manage/{token}/"
        ).status_code
        == 302
    )


def test_edit_event_through_management_link(client, org):
    event, token = make_event(org)
    open_manage(client, event, token)
    response = client.post(
        manage_url(event, token, "edit/"), _form(title="New title", audience="others")
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "New title" and event.audience == "others"


def test_rsvp_minimal_data_and_encrypted_optional_email(client, org):
    event, token = make_event(org)
    open_manage(client, event, token)
    assert client.post(public_url(event, "rsvp/"), {"party_size": "3"}).status_code == 302
    r = Rsvp.objects.get()
    assert r.party_size == 3 and r.nickname == "" and r.reminder_email == ""
    client.post(
        public_url(event, "rsvp/"),
        {"party_size": "1", "nickname": "Ana", "want_reminder": "on", "email": "ana@example.org"},
    )
    with connection.cursor() as cur:
        cur.execute("SELECT reminder_email FROM community_rsvp")
        stored = [row[0] for row in cur.fetchall()]
    assert not any("ana@example.org" in s for s in stored)
    assert Rsvp.objects.get(nickname="Ana").reminder_email == "ana@example.org"
    # an email typed without asking for a reminder is dropped
    client.post(public_url(event, "rsvp/"), {"party_size": "1", "email": "bo@example.org"})
    assert not Rsvp.objects.filter(party_size=1, nickname="").exclude(reminder_email="").exists()
    page = client.get(manage_url(event, token)).content.decode()
    assert "5 people coming" in page and "ana@example.org" not in page


@pytest.mark.parametrize(
    "data",
    [
        {"party_size": "0"},
        {"party_size": "99"},
        {"party_size": "two"},
        {"party_size": "1", "want_reminder": "on"},
        {"party_size": "1", "want_reminder": "on", "email": "not-an-email"},
    ],
)
def test_bad_rsvp_is_400_with_message(client, org, data):
    event, _ = make_event(org)
    response = client.post(public_url(event, "rsvp/"), data)
    assert response.status_code == 400
    assert response.context["rsvp_form"].errors
    assert not Rsvp.objects.exists()


def test_virtual_link_shown_only_after_rsvp(client, org):
    event, _ = make_event(
        org, format="virtual", place="", link="https://meet.example.org/secret-room"
    )
    assert "secret-room" not in client.get(public_url(event)).content.decode()
    client.post(public_url(event, "rsvp/"), {"party_size": "1"})
    assert "secret-room" in client.get(public_url(event)).content.decode()


def test_public_pages_404_for_other_org_removed_or_unknown(client, org, other_org):
    event, _ = make_event(org)
    assert client.get(public_url(event)).status_code == 200
    assert client.get(f"/o/{other_org.slug}/community/e/{event.pk}/").status_code == 404
    assert (
        client.get(f"/o/{org.slug}/community/e/00000000-0000-0000-0000-000000000000/").status_code
        == 404
    )
    event.removed = True
    event.save(update_fields=["removed"])
    assert client.get(public_url(event)).status_code == 404


def test_wrong_method_is_405(client, org):
    event, token = make_event(org)
    open_manage(client, event, token)
    assert client.get(public_url(event, "rsvp/")).status_code == 405
    assert client.get(public_url(event, "pledge/")).status_code == 405
    assert client.get(public_url(event, "notes/")).status_code == 405
    assert client.get(manage_url(event, token, "delete/")).status_code == 405
    assert client.post(public_url(event), {}).status_code == 405


def test_csrf_enforced_on_every_post(org):
    event, token = make_event(org)
    csrf_client = Client(enforce_csrf_checks=True)
    for url, data in [
        (f"/o/{org.slug}/community/new/", _form()),
        (public_url(event, "rsvp/"), {"party_size": "1"}),
        (public_url(event, "notes/"), {"body": "Thank you"}),
        (public_url(event, "pledge/"), {"tier": "stigma-stopper"}),
        (manage_url(event, token, "delete/"), {"confirm": "yes"}),
        (f"/o/{org.slug}/community/manage/", {"token": token}),
        (f"/o/{org.slug}/community/social/", {"text": "hi"}),
    ]:
        assert csrf_client.post(url, data).status_code == 403, url
    assert Event.objects.count() == 1 and not Rsvp.objects.exists()


def test_delete_needs_confirmation(client, org):
    event, token = make_event(org)
    open_manage(client, event, token)
    client.post(public_url(event, "rsvp/"), {"party_size": "2"})
    client.post(manage_url(event, token, "delete/"), {})
    assert Event.objects.exists()
    response = client.post(manage_url(event, token, "delete/"), {"confirm": "yes"})
    assert response.status_code == 302
    assert not Event.objects.exists() and not Rsvp.objects.exists()


def test_public_posts_are_rate_limited_per_address(client, org, monkeypatch):
    from respite.community import views

    monkeypatch.setattr(views, "POSTS_PER_ADDRESS", 2)
    event, _ = make_event(org)
    answers = [client.post(public_url(event, "rsvp/"), {"party_size": "1"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "Please wait 15 minutes and try again" in answers[-1].content.decode()
    assert Rsvp.objects.count() == 2


def test_pages_render_with_strict_csp_in_both_languages(client, org):
    event, token = make_event(org)
    open_manage(client, event, token)
    for lang in ("en", "es"):
        client.cookies["django_language"] = lang
        for url in [
            f"/o/{org.slug}/community/",
            f"/o/{org.slug}/community/new/",
            f"/o/{org.slug}/community/social/",
            public_url(event),
            manage_url(event, token),
            manage_url(event, token, "edit/"),
        ]:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
            assert response.status_code == 200, url
            csp = response.headers["Content-Security-Policy"]
            assert "unsafe-inline" not in csp and " style=" not in response.content.decode(), url
