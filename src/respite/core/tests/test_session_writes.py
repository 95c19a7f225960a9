"""A worker's answers and the session that may open them are written together (issue 19): one commit,
no look-up of the session table before a new session's INSERT, and no second write of a session
that has not changed since. A new key that happens to exist is not reused: the worker gets another
one and the other browser's session is untouched."""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from respite.core.sessions import SessionStore
from respite.core.tests.test_query_budgets import CHECKIN
from respite.screening.models import Screening

pytestmark = pytest.mark.django_db(transaction=True)


def _counting_commits():
    wrapper = connections[DEFAULT_DB_ALIAS]
    return mock.patch.object(wrapper, "_commit", wraps=wrapper._commit)


def _session_statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"].split()[0].upper() for q in queries if "django_session" in q["sql"]]


def test_the_answers_and_a_new_session_are_written_in_one_commit(org):
    worker = Client()
    url = f"/o/{org.slug}/check-in/"
    assert worker.get(url).status_code == 200
    commits = _counting_commits()
    with CaptureQueriesContext(connection) as queries, commits as commit:
        response = worker.post(url, CHECKIN)
    assert response.status_code == 302
    assert commit.call_count == 1
    assert _session_statements(queries) == ["INSERT"]  # no SELECT first, no UPDATE after
    # The session written is the one that opens the result, and it survives the request.
    key = worker.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    assert "Your results" in worker.get(response["Location"]).content.decode()


def test_a_returning_worker_s_session_is_updated_in_the_same_commit(org):
    worker = Client()
    url = f"/o/{org.slug}/check-in/"
    first = worker.post(url, CHECKIN)
    commits = _counting_commits()
    with CaptureQueriesContext(connection) as queries, commits as commit:
        second = worker.post(url, CHECKIN)
    assert commit.call_count == 1
    assert _session_statements(queries) == ["SELECT", "UPDATE"]
    # Both results still open from this browser: the session holds both.
    for response in (first, second):
        assert "Your results" in worker.get(response["Location"]).content.decode()
    assert Screening.objects.count() == 2


def test_a_page_that_does_not_change_the_session_does_not_write_it(org):
    worker = Client()
    result = worker.post(f"/o/{org.slug}/check-in/", CHECKIN)["Location"]
    with CaptureQueriesContext(connection) as queries:
        assert worker.get(result).status_code == 200
    assert _session_statements(queries) == ["SELECT"]


def test_a_new_key_that_exists_already_is_replaced_and_the_other_session_kept():
    other = SessionStore()
    other["mine"] = "other browser"
    other.create()
    taken = other.session_key
    fresh = "z" * 32
    with mock.patch.object(SessionStore, "_get_new_session_key", side_effect=[taken, fresh]):
        store = SessionStore()
        store["mine"] = "this browser"
        store.save()
    assert store.session_key == fresh
    assert SessionStore(taken).load() == {"mine": "other browser"}
    assert SessionStore(fresh).load() == {"mine": "this browser"}


def test_session_keys_are_unguessable_and_in_django_s_key_alphabet():
    """An attacker who collects many session cookies learns nothing about the next one: every key is
    32 characters from Django's key alphabet, all different, and every character varies."""
    keys = [SessionStore()._get_new_session_key() for _ in range(500)]
    assert len(set(keys)) == len(keys)
    assert all(len(k) == 32 and set(k) <= set("abcdefghijklmnopqrstuvwxyz0123456789") for k in keys)
    assert all(len({k[i] for k in keys}) >= 20 for i in range(32))


def test_a_changed_session_is_written_again():
    store = SessionStore()
    store["a"] = 1
    store.save()
    store.save()  # nothing changed: no write needed, and none harmful
    store["a"] = 2
    store.save()
    assert SessionStore(store.session_key).load() == {"a": 2}


def test_an_expired_session_cookie_opens_nothing(org):
    """The attacker keeps a worker's cookie past its expiry (a shared ward computer): the session
    row still exists until the hourly purge, but the result it held no longer opens."""
    from datetime import timedelta

    from django.utils import timezone

    worker = Client()
    url = f"/o/{org.slug}/check-in/"
    result_url = worker.post(url, CHECKIN)["Location"]
    assert "Your results" in worker.get(result_url).content.decode()
    key = worker.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = key
    assert attacker.get(result_url).status_code == 404
    assert SessionStore(key).load() == {}
    # A live key still loads, through the same read.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(hours=1))
    assert SessionStore(key).load()


def test_the_answers_post_builds_and_encrypts_everything_before_taking_the_write_lock(org):
    """While a check-in's transaction is open every other check-in waits for SQLite's write lock
    (issue 19), so it holds only the statements: the screening's rows are built and the new session
    encrypted before it begins."""
    from cryptography.fernet import MultiFernet
    from django.db.models import Field

    from respite.screening.models import ScreeningResult

    worker = Client()
    url = f"/o/{org.slug}/check-in/"
    assert worker.get(url).status_code == 200
    rows_built, encrypted = [], []
    prep, encrypt = Field.get_db_prep_save, MultiFernet.encrypt

    def spy_prep(field, value, *args, **kwargs):
        if getattr(field, "model", None) in (Screening, ScreeningResult):
            rows_built.append(connection.in_atomic_block)
        return prep(field, value, *args, **kwargs)

    def spy_encrypt(self, data):
        encrypted.append(connection.in_atomic_block)
        return encrypt(self, data)

    with (
        mock.patch.object(Field, "get_db_prep_save", spy_prep),
        mock.patch.object(MultiFernet, "encrypt", spy_encrypt),
    ):
        response = worker.post(url, CHECKIN)
    assert response.status_code == 302
    assert rows_built and not any(rows_built)
    assert encrypted and not any(encrypted)
    # And what was written is what the worker answered, under the session that opens it.
    assert "Your results" in worker.get(response["Location"]).content.decode()


def test_a_session_changed_inside_the_transaction_is_written_with_its_last_contents(org):
    """``one_commit`` encrypts the session before the transaction; a view that changes it again
    inside must still have the later contents written, not the early encryption."""
    from django.test import RequestFactory

    from respite.core.sessions import one_commit

    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.session["step"] = "before"
    with one_commit(request):
        request.session["step"] = "inside"
    assert SessionStore(request.session.session_key).load() == {"step": "inside"}
