"""Two-way anonymous peer messages: the worker reads and answers their supporter with their access code.

Actors: the anonymous worker (their code), their supporter (Ivan), another worker with their own code,
a supporter of another request (Erin), the program lead, and a referrer of the same kind of request.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client

from respite.core import alerts, privacy
from respite.core.models import AuditLog
from respite.core.testing import PASSWORD, find, run_tasks
from respite.core.urlseal import seal
from respite.peers.models import PeerMessage, Source, SupportRequest, do_create_request

pytestmark = pytest.mark.django_db
CODE_RE = re.compile(r'data-testid="access-code">([a-z-]+)<')
WORKER_TEXT = "Thanks Ivan. Nights are hard since the code blue"
SUPPORTER_TEXT = "I hear you. Want to meet for coffee after your shift?"


def _staff(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _worker_asks(org) -> tuple[Client, str, SupportRequest]:
    worker = Client()
    response = worker.post(
        f"/o/{org.slug}/peer-support/ask/",
        {"mode": "code", "language": "en", "event_type": "none"},
    )
    words = find(CODE_RE.pattern, response.content.decode())
    return worker, words, SupportRequest.objects.get()


def _status(org, req) -> str:
    return f"/o/{org.slug}/peer-support/status/{seal(req.pk)}/"


def _staff_url(org, req, action="") -> str:
    return f"/staff/o/{org.slug}/peer-support/r/{req.pk}/{action}"


@pytest.fixture
def thread(org, icu_supporter):
    """An anonymous request Ivan accepted and answered on the portal."""
    worker, words, req = _worker_asks(org)
    ivan = _staff("ivan")
    ivan.post(_staff_url(org, req, "accept/"))
    ivan.post(_staff_url(org, req, "contact/"), {"method": "portal", "message": "Hi, I'm Ivan."})
    return worker, words, req, ivan


def test_messages_go_both_ways_encrypted_with_dates_and_notices(org, thread, mailoutbox):
    worker, words, req, ivan = thread
    alerts.set_reply_email(req.requester_code, "me@personal.example", "en")
    run_tasks()
    mailoutbox.clear()  # the offer to Ivan
    page = worker.get(_status(org, req)).content.decode()
    assert "Hi, I&#x27;m Ivan." in page and 'name="body"' in page
    assert worker.post(_status(org, req) + "messages/", {"body": "  "}).status_code == 400

    response = worker.post(_status(org, req) + "messages/", {"body": WORKER_TEXT})
    assert response.status_code == 302
    run_tasks()
    notice = [m for m in mailoutbox if m.to == ["ivan@example.org"]]
    assert (
        len(notice) == 1 and WORKER_TEXT not in notice[0].body and req.reference in notice[0].body
    )
    staff_page = ivan.get(_staff_url(org, req)).content.decode()
    assert "Nights are hard since the code blue" in staff_page

    mailoutbox.clear()
    assert ivan.post(_staff_url(org, req, "messages/"), {"body": SUPPORTER_TEXT}).status_code == 302
    run_tasks()
    reply_notice = [m for m in mailoutbox if m.to == ["me@personal.example"]]
    assert len(reply_notice) == 1 and "coffee" not in reply_notice[0].body
    page = worker.get(_status(org, req)).content.decode()
    assert "Want to meet for coffee" in page
    # Dates, not times, beside what the worker did; the text is encrypted at rest.
    assert not re.search(r"\d{1,2}:\d{2}", page.split('class="thread')[1].split("</ol>")[0])
    with connection.cursor() as cur:
        cur.execute("SELECT body FROM peers_peermessage")
        raw = [row[0] for row in cur.fetchall()]
    assert len(raw) == 2 and all(r.startswith("gAAAA") and "coffee" not in r for r in raw)
    assert {m.author for m in PeerMessage.objects.all()} == {"worker", "supporter"}
    # The audit says a message was sent, never what.
    entry = AuditLog.objects.get(action="peers.message_sent")
    assert "coffee" not in str(entry.detail)
    # Closing deletes the thread with the other contact details.
    ivan.post(_staff_url(org, req, "close/"), {"confirm": "on"})
    assert not PeerMessage.objects.exists()
    page = worker.get(_status(org, req)).content.decode()
    assert "coffee" not in page and 'name="body"' not in page


def test_the_same_code_reads_the_thread_from_another_browser_and_my_space(org, thread):
    _worker, words, req, ivan = thread
    ivan.post(_staff_url(org, req, "messages/"), {"body": SUPPORTER_TEXT})
    phone = Client()
    phone.post(f"/o/{org.slug}/peer-support/check/", {"code": words})
    assert SUPPORTER_TEXT in phone.get(_status(org, req)).content.decode().replace("&#x27;", "'")
    assert phone.post(_status(org, req) + "messages/", {"body": "ok"}).status_code == 302
    space = phone.get(f"/o/{org.slug}/my/space/").content.decode()
    assert "3 messages with your supporter" in space


def test_another_workers_code_cannot_read_or_post(org, thread):
    _worker, _words, req, ivan = thread
    ivan.post(_staff_url(org, req, "messages/"), {"body": SUPPORTER_TEXT})
    other = Client()
    _other_words, other_code = privacy.new_access_code(org)
    session = other.session
    session[privacy.SESSION_CODE] = str(other_code.pk)
    session.save()
    assert other.get(_status(org, req)).status_code == 404
    assert other.post(_status(org, req) + "messages/", {"body": "let me in"}).status_code == 404
    # Even a session that remembers the request (as its referrer would) needs the request's own code.
    session = other.session
    session["peers_requests"] = {str(req.pk): "requester"}
    session.save()
    page = other.get(_status(org, req)).content.decode()
    assert "coffee" not in page and 'name="body"' not in page
    assert other.post(_status(org, req) + "messages/", {"body": "let me in"}).status_code == 404
    assert not PeerMessage.objects.filter(body="let me in").exists()


def test_lead_and_supporter_of_another_request_cannot_read(
    org, er, thread, lead, er_supporter, icu_supporter
):
    worker, _words, req, _ivan = thread
    worker.post(_status(org, req) + "messages/", {"body": WORKER_TEXT})
    # Erin supports another request; she can open hers, not this one.
    mine = do_create_request(org, Source.SELF_CONTACT, contact="555-0100", event_type="none")[0]
    mine.do_accept(er_supporter)
    erin = _staff("erin")
    assert erin.get(_staff_url(org, mine)).status_code == 200
    assert erin.get(_staff_url(org, req)).status_code == 404
    assert erin.post(_staff_url(org, req, "messages/"), {"body": "hi"}).status_code == 404
    # The program lead routes requests and never reads them.
    boss = _staff("lead")
    assert boss.get(_staff_url(org, req)).status_code == 404
    assert boss.post(_staff_url(org, req, "messages/"), {"body": "hi"}).status_code == 404
    lead_page = boss.get(f"/staff/o/{org.slug}/peer-support/lead/queue/{req.pk}/")
    assert lead_page.status_code == 200
    assert "code blue" not in lead_page.content.decode()
    assert (
        "code blue"
        not in boss.get(f"/staff/o/{org.slug}/peer-support/lead/queue/").content.decode()
    )
    assert PeerMessage.objects.count() == 1


def test_no_thread_before_a_supporter_and_csrf(org, icu_supporter):
    worker, _words, req = _worker_asks(org)
    page = worker.get(_status(org, req)).content.decode()
    assert "without giving a phone number" in page
    assert worker.post(_status(org, req) + "messages/", {"body": "anyone?"}).status_code == 400
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = worker.cookies
    assert strict.post(_status(org, req) + "messages/", {"body": "x"}).status_code == 403


def test_spanish_thread(org, icu_supporter):
    worker = Client(HTTP_ACCEPT_LANGUAGE="es")
    response = worker.post(
        f"/o/{org.slug}/peer-support/ask/",
        {"mode": "code", "language": "es", "event_type": "none"},
    )
    assert response.status_code == 200
    req = SupportRequest.objects.get()
    req.do_accept(icu_supporter)
    page = worker.get(_status(org, req)).content.decode()
    assert "Mensajes con su par de apoyo" in page and "Enviar a mi par de apoyo" in page


def test_api_reads_and_answers_with_the_requesters_code_only(org, thread, er):
    _worker, words, req, _ivan = thread
    api = Client()
    status = api.post(
        "/api/v1/peer-support/status", {"access_code": words}, content_type="application/json"
    ).json()
    assert status["messages"] == [] and status["supporter_message"] == "Hi, I'm Ivan."
    posted = api.post(
        "/api/v1/peer-support/messages",
        {"access_code": words, "body": WORKER_TEXT},
        content_type="application/json",
    )
    assert posted.status_code == 201
    [message] = posted.json()["messages"]
    assert message["author"] == "worker" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", message["date"])
    # A referrer's code of another request, and a wrong code, get nothing.
    referral = Client().post(
        f"/o/{org.slug}/peer-support/refer/",
        {
            "relationship": "colleague",
            "contact": "555-0100",
            "department": er.pk,
            "language": "en",
            "event_type": "patient_death",
        },
    )
    referrer_words = re.search(r'data-testid="access-code">([a-z-]+)<', referral.content.decode())
    for code in (referrer_words.group(1), "not a real code"):
        refused = api.post(
            "/api/v1/peer-support/messages",
            {"access_code": code, "body": "hello"},
            content_type="application/json",
        )
        assert refused.status_code == 404
    assert PeerMessage.objects.count() == 1
