"""The audit log viewer: sentences, filters, pages, CSV, and no per-worker event for an admin."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from respite.core.models import AuditLog
from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def entry(actor, org, action, at, **kwargs):
    return AuditLog.objects.create(
        actor=actor,
        actor_label=actor.username if actor else "",
        organization=org,
        action=action,
        at=at,
        **kwargs,
    )


def test_entries_read_as_sentences_in_the_viewers_language(org, org_admin):
    peer = make_staff(org, StaffRole.PEER_SUPPORTER, "pat")
    AuditLog.record(org_admin, "staff.role_granted", peer, organization=org, role="peer_supporter")
    client = login(org_admin)
    assert (
        "owner gave pat the role Peer supporter."
        in client.get(f"/staff/o/{org.slug}/audit/").content.decode()
    )
    body = client.get(f"/staff/o/{org.slug}/audit/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "owner dio a pat el rol Compañero/a de apoyo." in body


def test_filters_pages_and_csv(org, org_admin):
    counselor = make_staff(org, StaffRole.COUNSELOR, "cora")
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for i in range(60):
        entry(
            org_admin,
            org,
            "organization.settings_changed",
            base + timedelta(days=i),
            detail={"fields": ["name"]},
        )
    entry(
        counselor,
        org,
        "auth.signed_in",
        base + timedelta(days=3),
        target_type="auth.user",
        target_id=str(counselor.pk),
    )
    client = login(org_admin)
    first = client.get(f"/staff/o/{org.slug}/audit/").content.decode()
    assert "Page 1 of 2" in first and "2026-04-29" in first and "2026-03-01" not in first
    second = client.get(f"/staff/o/{org.slug}/audit/?page=2").content.decode()
    assert "2026-03-01" in second
    who = client.get(f"/staff/o/{org.slug}/audit/?who=cora").content.decode()
    assert "cora signed in." in who and "settings (name)" not in who
    what = client.get(f"/staff/o/{org.slug}/audit/?what=auth.signed_in").content.decode()
    assert "cora signed in." in what and "settings (name)" not in what
    when = client.get(
        f"/staff/o/{org.slug}/audit/?start=2026-03-02&end=2026-03-05"
    ).content.decode()
    assert when.count("settings (name)") == 4 and "cora signed in." in when
    bad = client.get(f"/staff/o/{org.slug}/audit/?start=2026-03-09&end=2026-03-05")
    assert bad.status_code == 400 and "must come before" in bad.content.decode()
    assert client.get(f"/staff/o/{org.slug}/audit/?start=yesterday").status_code == 400
    response = client.get(f"/staff/o/{org.slug}/audit/?who=owner&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.count("settings (name)") == 60 and "cora" not in text
    assert AuditLog.objects.filter(action="audit.exported", actor=org_admin).exists()


def test_an_admin_never_sees_a_counseling_case_id_or_time(org, org_admin, counselor):
    """The attacker is the employer's admin, hunting for when a case was handled."""
    case_id = str(uuid.uuid4())
    at = datetime(2026, 5, 7, 3, 17, tzinfo=UTC)
    for i in range(3):
        entry(
            counselor,
            org,
            "counseling.case_replied",
            at + timedelta(seconds=i),
            target_type="counseling.case",
            target_id=case_id,
        )
    entry(
        counselor,
        org,
        "peers.request_accepted",
        at,
        target_type="peers.supportrequest",
        target_id=case_id,
    )
    entry(org_admin, org, "organization.settings_changed", at - timedelta(days=40, hours=5))
    client = login(org_admin)
    pages = [
        client.get(f"/staff/o/{org.slug}/audit/{q}").content.decode()
        for q in (
            "",
            "?what=counseling.case_replied",
            "?who=counselor",
            "?start=2026-05-07&end=2026-05-07",
            "?format=csv",
            "?who=counselor&format=csv",
        )
    ]
    for body in pages:
        assert case_id not in body and "03:17" not in body and "2026-05-07T" not in body
        assert "counseling.case" not in body.replace("counseling.case_", "")
    assert "Counseling case actions: fewer than the minimum group size" in pages[0]
    for i in range(10):
        entry(
            counselor,
            org,
            "counseling.case_closed",
            at + timedelta(days=1, seconds=i),
            target_type="counseling.case",
            target_id=str(uuid.uuid4()),
        )
        entry(
            counselor,
            org,
            "peers.request_closed",
            at + timedelta(days=1, seconds=i),
            target_type="peers.supportrequest",
            target_id=str(uuid.uuid4()),
        )
    body = client.get(f"/staff/o/{org.slug}/audit/").content.decode()
    assert "Counseling case actions: 13" in body and "Peer-support request actions: 11" in body


def test_only_the_organizations_admins_read_its_audit_log(org, counselor, outsider):
    for client in (login(counselor), login(outsider)):
        assert client.get(f"/staff/o/{org.slug}/audit/").status_code == 404
        assert client.get(f"/staff/o/{org.slug}/audit/?format=csv").status_code == 404
