"""An insider with a copy of the database reads ``django_session``. In Django's own format each row is
signed but readable base64 JSON: it would put a worker's access-code id next to the ids of their
screening, counseling case and peer request, which joins everything the code was meant to keep apart.

The insider reads every row with plain SQL after a worker's week and tries what needs no key:
base64 (both alphabets) of each part, zlib, JSON. No id, code or code word appears. The same decoder
does find them in a row written in Django's format, so the test can fail.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import zlib
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from respite.core.models import AccessCode
from respite.core.sessions import SessionStore
from respite.core.tasks import clear_expired_sessions
from respite.core.tests.test_worker_urls_hold_no_secrets import _journey, _secrets
from respite.peers.models import SupportRequest
from respite.screening.models import Screening

pytestmark = pytest.mark.django_db


def _readings(data: str) -> list[str]:
    """Everything an insider without keys can turn a session row into."""
    out = [data]
    parts = {data, *data.split(":"), *data.split(".")}
    for part in list(parts):
        parts.add(part.lstrip("."))
    for part in parts:
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                raw = decode(part + "=" * (-len(part) % 4))
            except (binascii.Error, ValueError):
                continue
            out.append(raw.decode("latin-1"))
            with contextlib.suppress(zlib.error):
                out.append(zlib.decompress(raw).decode("latin-1"))
    return [text.lower() for text in out]


def _rows() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        return [row[0] for row in cursor.fetchall()]


def _leaks(rows: list[str], secrets: set[str]) -> list[str]:
    return sorted({s for row in rows for text in _readings(row) for s in secrets if s in text})


def test_an_insider_reading_django_session_cannot_link_a_workers_activities(org):
    _clients, code, raw = _journey(org)
    secrets = _secrets(code, raw) | {
        str(pk) for pk in AccessCode.objects.values_list("pk", flat=True)
    }
    secrets |= {word.lower() for word in code.replace("-", " ").split() if len(word) > 3}
    assert Screening.objects.exists() and SupportRequest.objects.exists()
    rows = _rows()
    assert rows, "the journey left sessions"

    assert not _leaks(rows, secrets)

    # The same sessions in Django's own format give the insider everything: the decoder works.
    readable = [DjangoStore().encode(SessionStore().decode(row)) for row in rows]
    leaked = _leaks(readable, secrets)
    assert {str(pk) for pk in AccessCode.objects.values_list("pk", flat=True)} & set(leaked)
    assert len(leaked) >= 2, leaked  # the code's id next to a screening's or request's


def test_a_session_from_before_encryption_still_opens_and_a_foreign_one_is_empty():
    old = DjangoStore().encode({"k": "v"})
    assert SessionStore().decode(old) == {"k": "v"}
    assert SessionStore().decode("f1:not-a-token") == {}
    store = SessionStore()
    store["k"] = "v"
    store.save()
    assert SessionStore(store.session_key).load() == {"k": "v"}
    assert Session.objects.get().session_data.startswith("f1:")


def test_the_hourly_purge_removes_expired_sessions():
    for key, age in (("gone", -2), ("kept", 2)):
        Session.objects.create(
            session_key=key, session_data="f1:x", expire_date=timezone.now() + timedelta(hours=age)
        )
    assert clear_expired_sessions() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["kept"]
