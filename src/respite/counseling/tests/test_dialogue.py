"""A worker shares a screening, a counselor replies, the worker answers with their code."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from respite.core.models import AuditLog
from respite.counseling.models import Author, Case, Message
from respite.counseling.tests.conftest import PHQ9_CRISIS, login, make_screening, worker_client
from respite.screening.views import SESSION_SCREENINGS

pytestmark = pytest.mark.django_db


def _result_url(org, screening):
    return reverse("screening:result", kwargs={"org": org.slug, "pk": screening.pk})


def _share_url(org, screening):
    return reverse("counseling:share", kwargs={"org": org.slug, "pk": screening.pk})


def test_result_page_offers_save_first_when_not_saved(org, counselor):
    client = Client()
    screening = make_screening(org)
    session = client.session
    session[SESSION_SCREENINGS] = [str(screening.pk)]
    session.save()
    html = client.get(_result_url(org, screening)).content.decode()
    assert "Save first, then share" in html
    assert reverse("screening:save", kwargs={"org": org.slug, "pk": screening.pk}) in html
    assert _share_url(org, screening) not in html
    # Sharing an unsaved screening is refused: the worker could never read the reply.
    response = client.post(_share_url(org, screening))
    assert response.status_code == 302 and not Case.objects.exists()


def test_worker_shares_saved_screening_and_counselor_reads_it_without_the_code(
    org, code, worker, counselor
):
    screening = make_screening(org, code=code)
    html = worker.get(_result_url(org, screening)).content.decode()
    assert _share_url(org, screening) in html and "within 48 hours" in html

    response = worker.post(_share_url(org, screening), {"message": "Nights are getting to me."})
    case = Case.objects.get()
    assert response.url == reverse("counseling:case", kwargs={"org": org.slug, "pk": case.pk})
    assert case.access_code == code and case.tier == screening.tier and case.awaiting_reply_since

    # Sharing again goes to the same conversation.
    assert worker.post(_share_url(org, screening)).url == response.url
    assert Case.objects.count() == 1

    staff = login(counselor)
    page = staff.get(reverse("counseling_staff:case", kwargs={"org": org.slug, "pk": case.pk}))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Nights are getting to me." in text
    assert "Feeling down, depressed, or hopeless" in text  # the answers, in words
    assert str(code.pk) not in text and code.digest not in text


def test_counselor_reply_then_worker_reads_and_answers(org, case, worker, counselor):
    staff = login(counselor)
    staff.post(
        reverse("counseling_staff:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
        {"body": "Thank you for writing. <b>How</b> are you sleeping?"},
    )
    case.refresh_from_db()
    assert case.awaiting_reply_since is None and case.first_reply_at is not None
    log = AuditLog.objects.get(action="counseling.case_replied")
    assert "sleeping" not in str(log.detail)  # ids only, never content

    page = worker.get(
        reverse("counseling:case", kwargs={"org": org.slug, "pk": case.pk})
    ).content.decode()
    assert "How are you sleeping" not in page  # markup escaped, not rendered
    assert "&lt;b&gt;How&lt;/b&gt; are you sleeping?" in page

    worker.post(
        reverse("counseling:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
        {"body": "Badly."},
    )
    case.refresh_from_db()
    assert case.awaiting_reply_since is not None
    assert [m.author for m in case.messages.all()] == [Author.COUNSELOR, Author.WORKER]


def test_worker_with_code_only_reads_reply_after_entering_code(org, case, counselor):
    from respite.core import privacy

    words, code = privacy.new_access_code(org)
    case.access_code = code
    case.save()
    Message.objects.create(case=case, author=Author.COUNSELOR, body="We are here for you.")
    fresh = Client()
    url = reverse("counseling:case", kwargs={"org": org.slug, "pk": case.pk})
    assert fresh.get(url).status_code == 404
    response = fresh.post(
        reverse("counseling:code", kwargs={"org": org.slug}), {"code": words.replace("-", " ")}
    )
    assert response.status_code == 302
    assert "We are here for you." in fresh.get(url).content.decode()


def test_wrong_code_is_a_clear_400(org):
    response = Client().post(
        reverse("counseling:code", kwargs={"org": org.slug}), {"code": "not a code"}
    )
    assert response.status_code == 400
    assert "could not find that code" in response.content.decode()


def test_messages_are_encrypted_at_rest(org, case):
    Message.objects.create(
        case=case, author=Author.WORKER, body="I cannot sleep after the code blue"
    )
    with connection.cursor() as cur:
        cur.execute("SELECT body FROM counseling_message")
        raw = cur.fetchone()[0]
    assert "sleep" not in raw and raw.startswith("gAAAA")


def test_worker_withdraws_and_deletes_case_and_messages(org, case, worker):
    Message.objects.create(case=case, author=Author.WORKER, body="hello")
    url = reverse("counseling:case_delete", kwargs={"org": org.slug, "pk": case.pk})
    assert worker.post(url, {}).status_code == 302 and Case.objects.exists()  # needs confirmation
    worker.post(url, {"confirm": "on"})
    assert not Case.objects.exists() and not Message.objects.exists()


def test_deleting_everything_under_the_code_deletes_cases(org, case, worker):
    Message.objects.create(case=case, author=Author.WORKER, body="hello")
    worker.post(reverse("screening:delete_all", kwargs={"org": org.slug}), {"confirm": "on"})
    assert not Case.objects.exists() and not Message.objects.exists()


def test_crisis_case_shows_crisis_options_first_to_worker(org, code):
    screening = make_screening(org, PHQ9_CRISIS, code=code)
    client = worker_client(code)
    response = client.post(_share_url(org, screening))
    html = client.get(response.url).content.decode()
    assert html.index("Help is available right now") < html.index(
        "Your conversation with a counselor"
    )


def test_counselor_shares_directory_resources_as_snapshot(org, case, counselor, monkeypatch):
    import sys
    import types

    fake = types.ModuleType("respite.directory.search")
    calls = []

    def recommend(**kwargs):
        calls.append(kwargs)
        return [
            {
                "id": 7,
                "name": "Peer line",
                "url": "https://example.org/peer",
                "phone": "555-0100",
                "description": "x",
            },
            {"id": 8, "name": "EAP", "url": "", "phone": ""},
        ]

    fake.recommend = recommend
    monkeypatch.setitem(sys.modules, "respite.directory.search", fake)
    staff = login(counselor)
    page = staff.get(
        reverse("counseling_staff:case", kwargs={"org": org.slug, "pk": case.pk})
    ).content.decode()
    assert (
        "Peer line" in page and calls[0]["tier"] == case.tier and calls[0]["audience"] == "worker"
    )
    staff.post(
        reverse("counseling_staff:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
        {"resources": ["7"], "suggests_booking": "on"},
    )
    msg = Message.objects.get()
    assert msg.resources == [
        {"id": 7, "name": "Peer line", "url": "https://example.org/peer", "phone": "555-0100"}
    ]
    case.refresh_from_db()
    assert case.booking_suggested


def test_reply_form_works_without_directory_app(org, case, counselor, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "respite.directory.search", None)  # import raises ImportError
    staff = login(counselor)
    assert (
        staff.get(
            reverse("counseling_staff:case", kwargs={"org": org.slug, "pk": case.pk})
        ).status_code
        == 200
    )
    empty = staff.post(
        reverse("counseling_staff:case_reply", kwargs={"org": org.slug, "pk": case.pk}), {}
    )
    assert empty.status_code == 400 and "Write a reply" in empty.content.decode()


def test_csrf_enforced_on_share_and_reply(org, code, case, counselor):
    screening = make_screening(org, code=code)
    client = worker_client(code, enforce_csrf_checks=True)
    assert client.post(_share_url(org, screening)).status_code == 403
    assert (
        client.post(
            reverse("counseling:case_reply", kwargs={"org": org.slug, "pk": case.pk}), {"body": "x"}
        ).status_code
        == 403
    )
    staff = login(counselor, enforce_csrf_checks=True)
    assert (
        staff.post(
            reverse("counseling_staff:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
            {"body": "x"},
        ).status_code
        == 403
    )


def test_wrong_method_is_405(org, case, worker):
    assert (
        worker.get(
            reverse("counseling:case_reply", kwargs={"org": org.slug, "pk": case.pk})
        ).status_code
        == 405
    )
    assert (
        worker.get(
            reverse("counseling:case_delete", kwargs={"org": org.slug, "pk": case.pk})
        ).status_code
        == 405
    )


def test_no_message_text_in_logs(org, case, worker, counselor, caplog):
    with caplog.at_level("DEBUG"):
        worker.post(
            reverse("counseling:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
            {"body": "secret-sentence-42"},
        )
        login(counselor).post(
            reverse("counseling_staff:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
            {"body": "reply-sentence-43"},
        )
    assert "secret-sentence-42" not in caplog.text and "reply-sentence-43" not in caplog.text


def test_worker_times_are_kept_to_the_hour(org, code, worker):
    screening = make_screening(org, code=code)
    worker.post(_share_url(org, screening), {"message": "hello"})
    case = Case.objects.get()
    msg = case.messages.get()
    for moment in (case.opened_at, case.awaiting_reply_since, msg.created_at):
        assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)
