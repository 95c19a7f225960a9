"""Organization admins: the gatherings list and take-down, audit-logged; everyone else 404."""

from __future__ import annotations

import pytest
from django.test import Client

from respite.community.models import Note, Pledge, Rsvp
from respite.community.tests.helpers import make_event, public_url
from respite.core.models import AuditLog

pytestmark = pytest.mark.django_db


def _url(org, suffix=""):
    return f"/staff/o/{org.slug}/community/{suffix}"


def test_admin_sees_totals_without_queries_per_event(
    client, org, org_admin, django_assert_max_num_queries
):
    for i in range(3):
        event, _ = make_event(org, title=f"Night {i}")
        Rsvp.objects.create(event=event, party_size=2)
        Pledge.objects.create(event=event, amount=22, tier="stigma-stopper")
        Note.objects.create(event=event, body="Thank you")
    client.force_login(org_admin)
    with django_assert_max_num_queries(12):
        page = client.get(_url(org)).content.decode()
    assert "Night 0" in page and "Night 2" in page and "$22" in page


def test_others_get_404_or_login(client, org, counselor, outsider):
    event, _ = make_event(org)
    assert client.get(_url(org)).status_code == 302  # anonymous: sign in first
    for user in (counselor, outsider):
        client.force_login(user)
        assert client.get(_url(org)).status_code == 404
        assert client.post(_url(org, f"{event.pk}/remove/"), {"removed": "yes"}).status_code == 404


def test_take_down_and_restore_are_audit_logged(client, org, org_admin):
    event, _ = make_event(org)
    client.force_login(org_admin)
    assert client.post(_url(org, f"{event.pk}/remove/"), {"removed": "yes"}).status_code == 302
    assert Client().get(public_url(event)).status_code == 404
    client.post(_url(org, f"{event.pk}/remove/"), {"removed": "no"})
    assert Client().get(public_url(event)).status_code == 200
    actions = list(AuditLog.objects.order_by("at").values_list("action", "target_id", "detail"))
    assert actions == [
        ("community.event_removed", str(event.pk), {}),
        ("community.event_restored", str(event.pk), {}),
    ]


def test_take_down_requires_csrf_and_post(org, org_admin):
    event, _ = make_event(org)
    c = Client(enforce_csrf_checks=True)
    c.force_login(org_admin)
    assert c.post(_url(org, f"{event.pk}/remove/"), {"removed": "yes"}).status_code == 403
    assert c.get(_url(org, f"{event.pk}/remove/")).status_code == 405
