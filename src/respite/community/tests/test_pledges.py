"""Pledge tally: toolkit tiers, another amount, total and progress bar, organizer deletion."""

from __future__ import annotations

import pytest

from respite.community.models import Pledge
from respite.community.tests.helpers import make_event, manage_url, open_manage, public_url

pytestmark = pytest.mark.django_db


def test_pledges_add_up_with_progress_element(client, org):
    event, _ = make_event(org, pledge_goal=500, donation_url="https://bit.ly/LornaBreenGiving")
    client.post(public_url(event, "pledge/"), {"tier": "stigma-stopper", "display_name": "Ana"})
    client.post(public_url(event, "pledge/"), {"tier": "champion-of-confidentiality"})
    client.post(public_url(event, "pledge/"), {"tier": "other", "other_amount": "8"})
    assert sorted(Pledge.objects.values_list("amount", flat=True)) == [8, 22, 220]
    page = client.get(public_url(event)).content.decode()
    assert "$250" in page and "pledged by 3 people" in page
    assert '<progress class="pledge-progress" max="500" value="250"' in page
    assert "50% of the goal" in page
    assert 'href="https://bit.ly/LornaBreenGiving"' in page
    assert "Ana" in page


def test_progress_is_capped_at_goal(client, org):
    event, _ = make_event(org, pledge_goal=100)
    client.post(public_url(event, "pledge/"), {"tier": "champion-of-confidentiality"})
    page = client.get(public_url(event)).content.decode()
    assert 'max="100" value="100"' in page and "220% of the goal" in page


@pytest.mark.parametrize(
    "data",
    [
        {"tier": "gold"},
        {"tier": "other"},
        {"tier": "other", "other_amount": "0"},
        {"tier": "other", "other_amount": "-5"},
        {"tier": "other", "other_amount": "lots"},
        {"tier": "stigma-stopper", "display_name": "call 415-555-0133"},
    ],
)
def test_bad_pledge_is_400(client, org, data):
    event, _ = make_event(org)
    response = client.post(public_url(event, "pledge/"), data)
    assert response.status_code == 400
    assert response.context["pledge_form"].errors
    assert not Pledge.objects.exists()


def test_organizer_deletes_a_pledge(client, org):
    event, token = make_event(org)
    open_manage(client, event, token)
    other, _ = make_event(org)
    p = Pledge.objects.create(event=event, amount=22, tier="stigma-stopper")
    q = Pledge.objects.create(event=other, amount=22, tier="stigma-stopper")
    delete = manage_url(event, suffix="pledges/delete/")
    assert client.post(delete, {"pledge": q.pk}).status_code == 404
    assert client.post(delete, {"pledge": p.pk}).status_code == 302
    assert list(Pledge.objects.all()) == [q]
