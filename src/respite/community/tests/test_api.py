"""JSON API: composer check, toolkit lists, public tally; errors are 4xx with {"detail": ...}."""

from __future__ import annotations

import json

import pytest

from respite.community.models import Pledge, Rsvp
from respite.community.tests.helpers import make_event


def _post(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


def test_compose_endpoint_warns_and_counts(client):
    r = _post(
        client, "/api/v1/community/compose", {"text": "So much burnout", "hashtags": ["#ThePitt"]}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["missing_resource"] and body["themes"][0]["id"] == "burnout"
    assert body["text"].endswith("#ThePitt")
    assert {c["id"] for c in body["counts"]} == {"x", "bluesky", "threads", "linkedin", "facebook"}
    r = _post(
        client,
        "/api/v1/community/compose",
        {
            "text": "So much burnout",
            "resource_name": "988",
            "resource_url": "https://988lifeline.org",
        },
    )
    assert r.status_code == 200 and not r.json()["missing_resource"]


@pytest.mark.parametrize(
    "payload",
    [
        {"text": "x", "resource_url": "http://insecure.example.org"},
        {"text": "x", "hashtags": ["#Spam"]},
        {"text": "x", "lang": "fr"},
        {"text": "x" * 80000},
        {},
    ],
)
def test_compose_bad_input_is_422_with_detail(client, payload):
    r = _post(client, "/api/v1/community/compose", payload)
    assert r.status_code == 422
    assert "detail" in r.json()


def test_toolkit_lists(client):
    tiers = client.get("/api/v1/community/tiers?lang=es").json()["contents"]
    assert [t["amount"] for t in tiers] == [22, 220, 2200] and tiers[0][
        "name"
    ] == "Frena el estigma"
    posts = client.get("/api/v1/community/posts").json()["contents"]
    assert len(posts) == 3 and "bit.ly/ALLINforMentalHealth" in posts[0]["text"]


@pytest.mark.django_db
def test_tally_endpoint(client, org, other_org):
    event, _ = make_event(org, pledge_goal=440)
    Rsvp.objects.create(event=event, party_size=3, nickname="Ana", reminder_email="ana@example.org")
    Pledge.objects.create(event=event, amount=220, tier="champion-of-confidentiality")
    r = client.get(f"/api/v1/community/{org.slug}/events/{event.pk}/tally")
    assert r.status_code == 200
    assert r.json() == {"attending": 3, "pledged": 220, "pledges": 1, "goal": 440, "percent": 50}
    assert "Ana" not in r.content.decode() and "ana@" not in r.content.decode()
    assert (
        client.get(f"/api/v1/community/{other_org.slug}/events/{event.pk}/tally").status_code == 404
    )
    assert client.get(f"/api/v1/community/{org.slug}/events/nope/tally").status_code == 404
