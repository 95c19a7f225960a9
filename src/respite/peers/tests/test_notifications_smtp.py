"""Peer supporters and program leads hear of offers and escalations over real SMTP, each in their
own language, and no email carries the request's contact, department or event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from respite.core.models import StaffProfile
from respite.core.testing import run_tasks
from respite.counseling.tests.test_notifications import inbox  # noqa: F401 (a real SMTP server)
from respite.peers import reminders
from respite.peers.models import PeerProgram
from respite.peers.tests.factories import (
    make_department,
    make_lead,
    make_referral,
    make_supporter,
)

pytestmark = pytest.mark.django_db

CONTACT = "call-me-555-0199"


def test_offer_and_escalation_reach_the_right_people_in_their_language(org, inbox):  # noqa: F811
    er, icu = make_department(org, "Emergency"), make_department(org, "Intensive care")
    supporter = make_supporter(org, "ines", [icu], languages=["en", "es"])
    supporter.user.email = "ines@acme.example"
    supporter.user.save()
    StaffProfile.objects.update_or_create(user=supporter.user, defaults={"language": "es"})
    same_department = make_supporter(org, "erik", [er], languages=["en"])
    same_department.user.email = "erik@acme.example"
    same_department.user.save()
    lead = make_lead(org)
    program = PeerProgram.for_org(org)
    program.target_hours = 24
    program.save()

    req = make_referral(org, er, contact=CONTACT, now=timezone.now() - timedelta(days=2))
    reminders.run()
    run_tasks()
    to = {m["X-Test-Rcpt"]: m for m in inbox.messages}
    # The offer goes to a supporter outside the requester's department, in Spanish; the escalation to
    # the lead. The colleague in the same department hears nothing.
    assert "erik@acme.example" not in to
    offers = inbox.to("ines@acme.example")
    assert offers and all("Apoyo" in m["Subject"] or "apoyo" in m["Subject"] for m in offers)
    assert [m for m in inbox.to(lead.email) if req.reference in m["Subject"]]
    for msg in inbox.messages:
        text = msg.as_string()
        assert CONTACT not in text and "Emergency" not in text and "violence" not in text.lower()
