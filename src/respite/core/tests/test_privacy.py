"""Privacy primitives: access codes, encryption at rest, nothing identifying in the database or logs."""

from __future__ import annotations

import io
import logging
import math

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from respite.core import crypto, privacy
from respite.core.logging import PrivacyFilter
from respite.core.models import AccessCode
from respite.screening.models import Screening
from respite.screening.tests.checkins import LOW

CANARY_IP = "203.0.113.77"
CANARY_UA = "Mozilla/5.0 (CanaryPhone; rv:99) CanaryBrowser/7.7"
CANARY_TEXT = "CANARY-FREE-TEXT-8c1f"


def test_access_codes_have_at_least_80_bits_and_are_words(db):
    assert privacy.CODE_BITS >= 80
    assert math.log2(len(privacy._WORDLIST)) * privacy.CODE_WORDS >= 80
    words, row = privacy.new_access_code()
    assert len(words.split("-")) == privacy.CODE_WORDS and all(
        w.isalpha() for w in words.split("-")
    )
    assert row.digest == privacy.keyed_hash(words, "access-code") and words not in row.digest
    other, _ = privacy.new_access_code()
    assert other != words


def test_codes_are_typed_forgivingly():
    words = "-".join(privacy._WORDLIST[:8])
    assert privacy.normalize_code("  " + words.upper().replace("-", "  ") + " ") == words
    assert privacy.normalize_code("abandon ability") is None
    assert privacy.normalize_code("notaword " * 8) is None


def test_keyed_hash_depends_on_the_secret(settings):
    first = privacy.keyed_hash("x", "access-code")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert privacy.keyed_hash("x", "access-code") != first


def test_encryption_round_trip_and_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.RESPITE_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt(CANARY_TEXT)
    assert CANARY_TEXT not in token and crypto.decrypt(token) == CANARY_TEXT
    settings.RESPITE_ENCRYPTION_KEYS = [new, old]  # new key first, old still decrypts
    assert crypto.decrypt(token) == CANARY_TEXT
    rotated = crypto.rotate(token)
    settings.RESPITE_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == CANARY_TEXT
    with pytest.raises(ValueError, match="key"):
        crypto.decrypt(token)


def _all_text_in_database() -> str:
    chunks: list[str] = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cur.fetchall())
    return "\n".join(chunks)


@pytest.mark.django_db
def test_database_holds_no_ip_user_agent_or_name_for_a_screening(org):
    client = Client(REMOTE_ADDR=CANARY_IP, HTTP_USER_AGENT=CANARY_UA)
    response = client.post(
        f"/o/{org.slug}/check-in/",
        {
            "phq2__1": 3,
            "phq2__2": 3,
            "gad2__1": 0,
            "gad2__2": 0,
            "burnout__1": 4,
            "selfharm__9": 0,
            "name": CANARY_TEXT,
        },
    )
    assert response.status_code == 200
    carry = response.content.decode().split('name="carry" value="')[1].split('"')[0]
    response = client.post(
        f"/o/{org.slug}/check-in/",
        {"step": "2", "carry": carry, **{f"phq9__{i}": 1 for i in range(3, 10)}},
    )
    pk = response["Location"].rstrip("/").split("/")[-1]
    client.post(f"/o/{org.slug}/results/{pk}/save/")
    dump = _all_text_in_database()
    assert Screening.objects.get().pk.hex in dump.replace("-", "")  # the screening is there...
    for canary in (CANARY_IP, CANARY_UA, "CanaryPhone", CANARY_TEXT):
        assert canary not in dump  # ...but nothing that identifies who took it


@pytest.fixture
def log_output():
    """Capture what the configured handlers would write, through the same privacy filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PrivacyFilter())
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(n) for n in ("", "django.request", "django.server")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield stream
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


@pytest.mark.django_db
def test_canaries_never_reach_the_logs(org, log_output):
    client = Client(REMOTE_ADDR=CANARY_IP, HTTP_USER_AGENT=CANARY_UA)
    client.post(
        f"/o/{org.slug}/check-in/", {"phq2__1": CANARY_TEXT, "burnout__1": 9}
    )  # invalid form
    client.post(f"/o/{org.slug}/my/", {"code": CANARY_TEXT})  # wrong code
    client.post(
        "/api/v1/score",
        f'{{"instrument": "phq2", "answers": {{"1": "{CANARY_TEXT}"}}}}',
        content_type="application/json",
    )  # 422
    client.get(f"/o/{org.slug}/nowhere-{CANARY_TEXT}/")  # 404 warning
    client.post(f"/o/{org.slug}/my/", {"code": CANARY_TEXT}, HTTP_X_FORWARDED_FOR=CANARY_IP)
    logging.getLogger("respite").warning("client %s with %s said %s", CANARY_IP, CANARY_UA, "ok")
    output = log_output.getvalue()
    assert "Not Found" in output and "client [ip] with [user-agent]" in output
    for canary in (CANARY_IP, CANARY_UA, "CanaryPhone"):
        assert canary not in output


def test_privacy_filter_scrubs_addresses_and_agents():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "from %s (%s) via 2001:db8::1", (CANARY_IP, CANARY_UA), None
    )
    record.request = object()
    assert PrivacyFilter().filter(record)
    assert CANARY_IP not in record.getMessage() and "CanaryBrowser" not in record.getMessage()
    assert record.request is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/o/{org}/check-in/",
        "/o/{org}/screenings/phq2/",
        "/o/{org}/my/",
        "/o/{org}/my/delete/",
        "/o/{org}/my/sign-out/",
        "/i18n/setlang/",
        "/staff/login/",
    ],
)
def test_csrf_is_enforced_on_every_form(org, path):
    client = Client(enforce_csrf_checks=True)
    assert client.post(path.format(org=org.slug), {"code": "x"}).status_code == 403


@pytest.mark.django_db
def test_csrf_enforced_on_saving_results(org):
    client = Client(enforce_csrf_checks=True)
    client.get(f"/o/{org.slug}/check-in/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/o/{org.slug}/check-in/",
        {"csrfmiddlewaretoken": token, **LOW},
    )
    pk = response["Location"].rstrip("/").split("/")[-1]
    assert client.post(f"/o/{org.slug}/results/{pk}/save/").status_code == 403
    assert (
        client.post(f"/o/{org.slug}/results/{pk}/save/", {"csrfmiddlewaretoken": token}).status_code
        == 200
    )
    assert AccessCode.objects.count() == 1


@given(
    st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 40), min_size=1, max_size=8),
    st.integers(5, 12),
)
def test_suppress_counts_never_reveals_a_small_count(counts, k):
    cells = privacy.suppress_counts(counts, k, total=sum(counts.values()))
    hidden = [key for key, c in cells.items() if c.suppressed]
    for key, c in cells.items():
        if not c.suppressed:
            assert c.value == counts[key] and (counts[key] == 0 or counts[key] >= k)
    # When the total is released (it is, through cell(), only when >= k), total minus the visible
    # cells gives the sum of the hidden ones: that sum must not be a small count either.
    hidden_sum = sum(counts[key] for key in hidden)
    if sum(counts.values()) >= k:
        assert hidden_sum == 0 or hidden_sum >= k


def test_min_group_size_is_never_below_five(settings):
    settings.RESPITE_MIN_GROUP_SIZE = 2
    assert privacy.min_group_size() == 5
    assert privacy.min_group_size(free_text=True) >= 10


class _CheckpointingElsewhere:
    """SQLite's answer to ``wal_checkpoint(TRUNCATE)`` while another connection checkpoints: busy,
    at once, ``busy_for`` times; then done."""

    vendor = "sqlite"

    def __init__(self, busy_for: int) -> None:
        self.busy_for, self.tries = busy_for, 0

    def cursor(self):
        outer = self

        class Cursor:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def execute(self, sql):
                assert sql == "PRAGMA wal_checkpoint(TRUNCATE)"
                outer.tries += 1

            def fetchone(self):
                return (1, -1, -1) if outer.tries <= outer.busy_for else (0, 0, 0)

        return Cursor()


def test_after_a_deletion_the_log_is_emptied_even_while_another_checkpoint_runs(
    monkeypatch, caplog
):
    from respite.core import privacy

    monkeypatch.setattr(privacy.transaction, "on_commit", lambda fn: fn())
    busy = _CheckpointingElsewhere(busy_for=3)
    monkeypatch.setattr(privacy, "connection", busy)
    privacy.forget_deleted()
    assert busy.tries == 4  # tried again until the log was emptied
    assert not caplog.records

    stuck = _CheckpointingElsewhere(busy_for=10**9)
    monkeypatch.setattr(privacy, "connection", stuck)
    monkeypatch.setattr(privacy, "FORGET_CHECKPOINT_S", 0.2)
    privacy.forget_deleted()
    assert stuck.tries >= 2
    assert "could not be emptied" in caplog.text  # said, not silently skipped
