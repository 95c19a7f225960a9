import logging
import re

import pytest
from django.db import connection
from django.test import Client

from respite.core.privacy import CODE_WORDS
from respite.core.testing import run_tasks
from respite.core.urlseal import seal
from respite.peers.models import Source, SupportRequest

CODE_RE = re.compile(r'data-testid="(?:access|rating)-code">([a-z-]+)<')


def _code(response) -> str:
    match = CODE_RE.search(response.content.decode())
    assert match, "no code on the page"
    assert len(match.group(1).split("-")) == CODE_WORDS
    return match.group(1)


def _refer(client, org, dept, **extra):
    data = {
        "relationship": "manager",
        "contact": "555-0100",
        "best_time": "after 5 pm",
        "department": dept.pk,
        "role_group": "",
        "language": "en",
        "event_type": "patient_death",
        **extra,
    }
    return client.post(f"/o/{org.slug}/peer-support/refer/", data)


@pytest.mark.django_db
def test_pages_render(client, org):
    for path in ["", "ask/", "refer/", "team/", "check/"]:
        response = client.get(f"/o/{org.slug}/peer-support/{path}")
        assert response.status_code == 200, path
    assert b"988" in client.get(f"/o/{org.slug}/peer-support/ask/").content  # crisis first


@pytest.mark.django_db
def test_manager_referral_stores_only_contact_and_kind_of_event_encrypted(
    client, org, er, icu_supporter
):
    response = _refer(client, org, er)
    assert response.status_code == 200
    code = _code(response)
    req = SupportRequest.objects.get()
    assert (req.source, req.event_type, req.department, req.contact) == (
        Source.MANAGER,
        "patient_death",
        er,
        "555-0100",
    )
    assert req.referrer_code is not None and req.requester_code is None
    assert list(req.offers.all()) == [icu_supporter]
    with connection.cursor() as cur:
        cur.execute("SELECT contact, best_time FROM peers_supportrequest")
        raw = cur.fetchone()
    assert "555-0100" not in raw[0] and "after 5" not in raw[1]
    # the referrer's code opens the status, which says only whether someone reached out
    other = Client()
    response = other.post(f"/o/{org.slug}/peer-support/check/", {"code": code}, follow=True)
    assert b"Waiting for a supporter" in response.content
    assert b"555-0100" not in response.content


@pytest.mark.django_db
def test_referral_requires_department_and_event_and_rejects_unknown_values(client, org, er):
    assert _refer(client, org, er, department="").status_code == 400
    assert _refer(client, org, er, event_type="none").status_code == 400
    assert _refer(client, org, er, event_type="bogus").status_code == 400
    assert _refer(client, org, er, contact="x" * 201).status_code == 400
    assert not SupportRequest.objects.exists()


@pytest.mark.django_db
def test_department_of_another_org_is_refused(client, org, other_org):
    from respite.peers.tests.factories import make_department

    foreign = make_department(other_org, "Emergency")
    assert _refer(client, org, foreign).status_code == 400


@pytest.mark.django_db
def test_anonymous_self_referral_reads_supporter_message_and_rates_with_own_code(
    client, org, icu_supporter
):
    response = client.post(
        f"/o/{org.slug}/peer-support/ask/",
        {"mode": "code", "contact": "ignored@example.org", "language": "en", "event_type": "none"},
    )
    code = _code(response)
    req = SupportRequest.objects.get()
    assert req.source == Source.SELF_CODE and req.contact == "" and req.requester_code is not None
    req.do_accept(icu_supporter)
    req.supporter_message = "Hi, I'm Ivan, call me at 555-0199"
    req.save()
    worker = Client()
    worker.post(f"/o/{org.slug}/peer-support/check/", {"code": code})
    page = worker.get(f"/o/{org.slug}/peer-support/status/{seal(req.pk)}/")
    assert b"555-0199" in page.content and b'name="rating"' not in page.content
    assert req.do_close() is None  # anonymous: the requester rates with their own code
    response = worker.post(
        f"/o/{org.slug}/peer-support/status/{seal(req.pk)}/rate/", {"rating": "4"}
    )
    assert response.status_code == 200
    req.refresh_from_db()
    assert req.rating == 4 and req.supporter_message == ""
    # a second rating is refused
    assert (
        worker.post(
            f"/o/{org.slug}/peer-support/status/{seal(req.pk)}/rate/", {"rating": "1"}
        ).status_code
        == 400
    )
    req.refresh_from_db()
    assert req.rating == 4


@pytest.mark.django_db
def test_self_referral_with_contact_requires_contact(client, org):
    response = client.post(
        f"/o/{org.slug}/peer-support/ask/",
        {"mode": "contact", "language": "en", "event_type": "none"},
    )
    assert response.status_code == 400
    assert not SupportRequest.objects.exists()


@pytest.mark.django_db
def test_referrer_cannot_rate_and_rating_code_can(client, org, er, icu_supporter):
    referrer_code = _code(_refer(client, org, er))
    req = SupportRequest.objects.get()
    req.do_accept(icu_supporter)
    req.contacted_at = req.accepted_at
    req.save()
    rating_code = req.do_close()
    assert rating_code and rating_code != referrer_code
    req.refresh_from_db()
    assert req.contact == "" and req.best_time == ""
    referrer = Client()
    referrer.post(f"/o/{org.slug}/peer-support/check/", {"code": referrer_code})
    page = referrer.get(f"/o/{org.slug}/peer-support/status/{seal(req.pk)}/")
    assert b"reached out" in page.content and b'name="rating"' not in page.content
    assert (
        referrer.post(
            f"/o/{org.slug}/peer-support/status/{seal(req.pk)}/rate/", {"rating": "5"}
        ).status_code
        == 404
    )
    person = Client()
    person.post(f"/o/{org.slug}/peer-support/check/", {"code": rating_code})
    assert (
        b'name="rating"' in person.get(f"/o/{org.slug}/peer-support/status/{seal(req.pk)}/").content
    )
    assert (
        person.post(
            f"/o/{org.slug}/peer-support/status/{seal(req.pk)}/rate/", {"rating": "5"}
        ).status_code
        == 200
    )
    req.refresh_from_db()
    assert req.rating == 5


@pytest.mark.django_db
def test_wrong_code_and_other_sessions_see_nothing(client, org, er):
    _refer(client, org, er)
    req = SupportRequest.objects.get()
    stranger = Client()
    response = stranger.post(f"/o/{org.slug}/peer-support/check/", {"code": "not a real code"})
    assert response.status_code == 400
    assert stranger.get(f"/o/{org.slug}/peer-support/status/{seal(req.pk)}/").status_code == 404
    # the status page of another organization's portal does not show it either
    assert client.get(f"/o/elsewhere/peer-support/status/{seal(req.pk)}/").status_code == 404


@pytest.mark.django_db
def test_csrf_enforced_on_worker_forms(org, er):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(f"/o/{org.slug}/peer-support/refer/", {"contact": "555"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_contact_never_reaches_logs(
    client, org, er, icu_supporter, caplog, mailoutbox, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        _refer(client, org, er, contact="secret-555-0142")
    run_tasks()
    assert "secret-555-0142" not in caplog.text
    assert mailoutbox and all(
        "secret-555-0142" not in m.body and "Emergency" not in m.body for m in mailoutbox
    )
    assert all("patient" not in m.body.lower() for m in mailoutbox)


@pytest.mark.django_db
def test_group_request(client, org, er, icu_supporter):
    response = client.post(
        f"/o/{org.slug}/peer-support/team/",
        {
            "contact": "charge nurse, ext 4455",
            "department": er.pk,
            "team_size": "12",
            "language": "en",
            "event_type": "violence",
        },
    )
    assert response.status_code == 200
    req = SupportRequest.objects.get()
    assert (req.source, req.team_size) == (Source.GROUP, 12)
    assert (
        client.post(
            f"/o/{org.slug}/peer-support/team/",
            {
                "contact": "x",
                "department": er.pk,
                "team_size": "1",
                "language": "en",
                "event_type": "violence",
            },
        ).status_code
        == 400
    )


@pytest.mark.django_db
def test_spanish(client, org):
    response = client.get(f"/o/{org.slug}/peer-support/ask/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Pedir apoyo entre pares" in response.content.decode()
