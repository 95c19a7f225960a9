"""Worker alerts with no identity: Web Push to a local push service that decrypts the payload with the
test's own keys, an optional reply-notice email, and nothing left behind when the code goes."""

from __future__ import annotations

import base64
import json
import socket
import threading
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.test import Client
from django.urls import reverse

from respite.core import privacy
from respite.core.models import WorkerAlert
from respite.core.privacy import SESSION_CODE
from respite.core.testing import run_tasks
from respite.counseling.tests.conftest import login, make_screening

pytestmark = pytest.mark.django_db


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class PushService:
    """A push service on localhost: accepts what the server posts and keeps it (RFC 8030)."""

    def __init__(self, status: int = 201) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's hook name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.append((dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        with closing(socket.socket()) as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


class Browser:
    """What a browser holds for one subscription: its ECDH key pair and auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"0123456789abcdef"
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.subscription = {
            "endpoint": endpoint,
            "keys": {"p256dh": _b64(public), "auth": _b64(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict:
        return json.loads(
            http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        )


@pytest.fixture
def push(settings, tmp_path):
    service = PushService()
    settings.RESPITE_PUSH_HOSTS = ["127.0.0.1"]
    settings.RESPITE_PUSH_INSECURE_HOSTS = ["127.0.0.1"]
    settings.RESPITE_VAPID_DEV_KEY_PATH = tmp_path / "vapid.pem"
    yield service
    service.stop()


def _worker(code) -> Client:
    client = Client()
    session = client.session
    session[SESSION_CODE] = str(code.pk)
    session.save()
    return client


def _subscribe(client, org, subscription):
    return client.post(
        reverse("worker_alerts_push", kwargs={"org": org.slug}),
        json.dumps({"subscription": subscription}),
        content_type="application/json",
    )


def test_counselor_reply_reaches_the_worker_by_push_with_neutral_encrypted_text(
    org, counselor, push
):
    _words, code = privacy.new_access_code(org)
    worker = _worker(code)
    page = worker.get(reverse("worker_alerts", kwargs={"org": org.slug})).content.decode()
    assert "data-push-key=" in page  # the page offers it with the server's public key
    browser = Browser(f"http://127.0.0.1:{push.port}/push/abc")
    assert _subscribe(worker, org, browser.subscription).status_code == 201

    # At rest the subscription is encrypted: the endpoint is nowhere in the raw row.
    with connection.cursor() as cur:
        cur.execute("SELECT target FROM core_workeralert")
        raw = cur.fetchone()[0]
    assert "127.0.0.1" not in raw and browser.subscription["keys"]["p256dh"] not in raw

    screening = make_screening(org, code=code)
    worker.post(
        reverse("counseling:share", kwargs={"org": org.slug, "pk": screening.pk}),
        {"message": "secret words"},
    )
    case = screening.counseling_case
    login(counselor).post(
        reverse("counseling_staff:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
        {"body": "Private reply"},
    )
    run_tasks()
    assert len(push.received) == 1
    headers, body = push.received[0]
    assert headers["Content-Encoding"] == "aes128gcm" and b"Private" not in body
    payload = browser.decrypt(body)
    assert payload["body"] == "You have a new message in Respite."
    assert "Private" not in json.dumps(payload) and "secret" not in json.dumps(payload)
    # VAPID (RFC 8292): a JWT for this push service, signed by the key the page handed out.
    from py_vapid import Vapid02

    scheme, params = headers["Authorization"].split(" ", 1)
    token = dict(p.split("=", 1) for p in params.split(","))
    assert scheme == "vapid"
    claims = json.loads(base64.urlsafe_b64decode(token["t"].split(".")[1] + "=="))
    assert claims["aud"] == f"http://127.0.0.1:{push.port}"
    assert Vapid02.from_raw_public(token["k"].encode()).verify_token(
        validation_token=token["t"].rsplit(".", 1)[0].encode(),
        verification_token=token["t"].rsplit(".", 1)[1],
    )

    # Deleting everything under the code deletes the subscription too.
    worker.post(reverse("screening:delete_all", kwargs={"org": org.slug}), {"confirm": "on"})
    assert not WorkerAlert.objects.exists()


def test_push_service_hosts_are_an_allow_list(org, push):
    """An anonymous visitor cannot make the server post to an address of their choosing."""
    _words, code = privacy.new_access_code(org)
    worker = _worker(code)
    for endpoint in (
        "http://10.0.0.8/x",
        "https://metadata.internal/x",
        "file:///etc/passwd",
        "https://127.0.0.1.attacker.example/x",
    ):
        response = _subscribe(worker, org, Browser(endpoint).subscription)
        assert response.status_code == 400, endpoint
    assert _subscribe(worker, org, {"endpoint": "x"}).status_code == 400
    assert (
        Client()
        .post(
            reverse("worker_alerts_push", kwargs={"org": org.slug}),
            "{}",
            content_type="application/json",
        )
        .status_code
        == 403
    )
    assert not WorkerAlert.objects.exists()


def test_gone_subscription_is_forgotten(org, settings, tmp_path):
    service = PushService(status=410)
    settings.RESPITE_PUSH_HOSTS = settings.RESPITE_PUSH_INSECURE_HOSTS = ["127.0.0.1"]
    settings.RESPITE_VAPID_DEV_KEY_PATH = tmp_path / "vapid.pem"
    try:
        _words, code = privacy.new_access_code(org)
        assert (
            _subscribe(
                _worker(code), org, Browser(f"http://127.0.0.1:{service.port}/p").subscription
            ).status_code
            == 201
        )
        from respite.core.alerts import alert_worker

        alert_worker(code.pk)
        run_tasks()
    finally:
        service.stop()
    assert len(service.received) == 1 and not WorkerAlert.objects.exists()


def test_checkin_reminder_at_the_chosen_cadence(org, push):
    from datetime import timedelta

    from django.utils import timezone

    from respite.core.alerts import send_checkin_reminders

    _words, code = privacy.new_access_code(org)
    worker = _worker(code)
    browser = Browser(f"http://127.0.0.1:{push.port}/p")
    _subscribe(worker, org, browser.subscription)
    worker.post(
        reverse("worker_alerts", kwargs={"org": org.slug}), {"action": "checkin", "days": "7"}
    )
    assert send_checkin_reminders() == 0  # not due yet
    WorkerAlert.objects.update(next_checkin_on=timezone.localdate() - timedelta(days=1))
    assert send_checkin_reminders() == 1
    run_tasks()
    assert browser.decrypt(push.received[0][1])["body"] == "Time for your Respite check-in."
    assert WorkerAlert.objects.get().next_checkin_on == timezone.localdate() + timedelta(days=7)


def test_reply_email_is_optional_encrypted_neutral_and_gone_when_the_case_closes(
    org, counselor, mailoutbox
):
    _words, code = privacy.new_access_code(org)
    worker = _worker(code)
    url = reverse("worker_alerts", kwargs={"org": org.slug})
    bad = worker.post(url, {"action": "email", "email": "not-an-address"})
    assert bad.status_code == 400
    worker.post(url, {"action": "email", "email": "me@personal.example"})
    with connection.cursor() as cur:
        cur.execute("SELECT target FROM core_workeralert")
        assert "personal.example" not in cur.fetchone()[0]
    screening = make_screening(org, code=code)
    worker.post(reverse("counseling:share", kwargs={"org": org.slug, "pk": screening.pk}))
    case = screening.counseling_case
    staff = login(counselor)
    staff.post(
        reverse("counseling_staff:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
        {"body": "Hi there"},
    )
    run_tasks()
    notices = [m for m in mailoutbox if m.to == ["me@personal.example"]]
    assert (
        len(notices) == 1 and "Hi there" not in notices[0].body and "new message" in notices[0].body
    )
    staff.post(reverse("counseling_staff:case_close", kwargs={"org": org.slug, "pk": case.pk}))
    assert not WorkerAlert.objects.exists()


def test_alerts_page_without_a_code_offers_the_way_in_and_spanish(org):
    page = Client().get(
        reverse("worker_alerts", kwargs={"org": org.slug}), HTTP_ACCEPT_LANGUAGE="es"
    )
    text = page.content.decode()
    assert page.status_code == 200 and "código" in text
    assert (
        Client()
        .post(reverse("worker_alerts", kwargs={"org": org.slug}), {"action": "off"})
        .status_code
        == 200
    )


def test_a_subscription_with_malformed_keys_or_an_overlong_endpoint_is_refused(org, push):
    """The server encrypts to these keys and posts to this address: anything but a real browser
    subscription is refused before it is stored."""
    from respite.core.alerts import MAX_PUSH_ENDPOINT_CHARS

    _words, code = privacy.new_access_code(org)
    worker = _worker(code)
    endpoint = f"http://127.0.0.1:{push.port}/push/1"
    good = Browser(endpoint).subscription
    for bad in (
        {**good, "keys": {**good["keys"], "auth": _b64(b"short")}},
        {**good, "keys": {**good["keys"], "p256dh": _b64(b"\x04" + b"k" * 31)}},
        {**good, "keys": {"p256dh": good["keys"]["p256dh"]}},
        {**good, "endpoint": endpoint + "x" * MAX_PUSH_ENDPOINT_CHARS},
    ):
        assert _subscribe(worker, org, bad).status_code == 400
    assert not WorkerAlert.objects.exists()
    assert _subscribe(worker, org, good).status_code < 400
    assert WorkerAlert.objects.count() == 1


def test_the_same_device_subscribing_again_is_kept_once(org, push):
    _words, code = privacy.new_access_code(org)
    worker = _worker(code)
    phone = Browser(f"http://127.0.0.1:{push.port}/push/phone")
    for _ in range(2):
        assert _subscribe(worker, org, phone.subscription).status_code < 400
    assert WorkerAlert.objects.filter(access_code=code).count() == 1
    tablet = Browser(f"http://127.0.0.1:{push.port}/push/tablet")
    assert _subscribe(worker, org, tablet.subscription).status_code < 400
    assert WorkerAlert.objects.filter(access_code=code).count() == 2


def test_production_offers_push_only_with_its_configured_key(settings, tmp_path):
    """No key of its own made on a production server's disk: push is simply not offered until
    RESPITE_VAPID_PRIVATE_KEY is set, and then that key is the one browsers are given."""
    from py_vapid import Vapid02

    from respite.core.alerts import vapid_public_key

    settings.PRODUCTION = True
    settings.RESPITE_VAPID_PRIVATE_KEY = ""
    settings.RESPITE_VAPID_DEV_KEY_PATH = tmp_path / "vapid.pem"
    assert vapid_public_key() == ""
    assert not (tmp_path / "vapid.pem").exists()
    key = Vapid02()
    key.generate_keys()
    settings.RESPITE_VAPID_PRIVATE_KEY = key.private_pem().decode()
    expected = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert vapid_public_key() == _b64(expected)
