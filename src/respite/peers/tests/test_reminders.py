from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from respite.core.models import AuditLog
from respite.core.testing import run_tasks
from respite.peers import reminders
from respite.peers.models import PeerProgram
from respite.peers.tests.factories import make_referral


def notices(mailoutbox) -> list:
    """What the worker has sent so far, without the offer every new request sends."""
    run_tasks()
    return [m for m in mailoutbox if "is waiting" not in m.subject]


@pytest.fixture
def req(org, er, icu_supporter, lead):
    program = PeerProgram.for_org(org)
    program.target_hours = 24
    program.save()
    created = timezone.now() - timedelta(days=10)
    return make_referral(org, er, now=created)


@pytest.mark.django_db
def test_missed_time_to_contact_reminds_then_escalates_to_lead_once(
    req, mailoutbox, lead, icu_supporter
):
    start = req.created_at
    req.do_accept(icu_supporter, now=start + timedelta(hours=1))
    assert reminders.run(start + timedelta(hours=11)) == {
        "reminded": 0,
        "reoffered": 0,
        "escalated": 0,
    }
    assert reminders.run(start + timedelta(hours=13))["reminded"] == 1
    assert [m.to for m in notices(mailoutbox)] == [[icu_supporter.user.email]]
    assert (
        "555-0123" not in notices(mailoutbox)[0].body
        and "violence" not in notices(mailoutbox)[0].body.lower()
    )
    assert reminders.run(start + timedelta(hours=20))["reminded"] == 0  # once only
    counts = reminders.run(start + timedelta(hours=24, minutes=1))
    assert counts["escalated"] == 1
    req.refresh_from_db()
    assert req.escalated_at == start + timedelta(hours=24)  # kept to the hour
    assert (
        notices(mailoutbox)[-1].to == [lead.email]
        and req.reference in notices(mailoutbox)[-1].subject
    )
    assert (
        AuditLog.objects.filter(action="peers.request_escalated", target_id=str(req.pk)).count()
        == 1
    )
    assert reminders.run(start + timedelta(hours=30))["escalated"] == 0
    assert len(notices(mailoutbox)) == 2


@pytest.mark.django_db
def test_contacted_in_time_is_not_escalated(req, mailoutbox, icu_supporter):
    start = req.created_at
    req.do_accept(icu_supporter, now=start)
    req.contacted_at = start + timedelta(hours=2)
    req.save()
    assert reminders.run(start + timedelta(hours=48)) == {
        "reminded": 0,
        "reoffered": 0,
        "escalated": 0,
    }
    assert notices(mailoutbox) == []


@pytest.mark.django_db
def test_target_is_an_organization_setting(req, mailoutbox):
    program = PeerProgram.for_org(req.organization)
    program.target_hours = 4
    program.save()
    assert reminders.run(req.created_at + timedelta(hours=4))["escalated"] == 1


@pytest.mark.django_db
def test_unaccepted_request_reminds_offered_supporters(req, mailoutbox, icu_supporter):
    reminders.run(req.created_at + timedelta(hours=12))
    assert [m.to for m in notices(mailoutbox)] == [[icu_supporter.user.email]]
    # and the offer itself went out when the request arrived
    assert [m.to for m in mailoutbox if "is waiting" in m.subject] == [[icu_supporter.user.email]]


@pytest.mark.django_db
def test_command_runs(req, capsys):
    call_command("peer_reminders")
    assert "escalated" in capsys.readouterr().out
