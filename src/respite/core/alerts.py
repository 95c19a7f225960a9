"""Alerts for anonymous workers: Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292)
and an optional email address for "you have a reply". Both are opt-in, chosen under the worker's access
code, encrypted at rest, deleted with the code. The texts name nothing: "You have a new message in
Respite", "Time for your Respite check-in".

Delivery is a task. Push endpoints come from the worker's browser, so the server only posts to the
push services in ``RESPITE_PUSH_HOSTS`` (the browsers' own), over https.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from respite.core.models import AccessCode, WorkerAlert
from respite.core.tasks import queue_email

log = logging.getLogger(__name__)


CHECKIN_CHOICES = (0, 7, 14, 30)
# A Web Push subscription (RFC 8291): the browser's endpoint URL, its P-256 public key (uncompressed
# point) and its authentication secret. Anything else is not a subscription we can use.
MAX_PUSH_ENDPOINT_CHARS = 1000
P256DH_KEY_BYTES = 65
PUSH_AUTH_SECRET_BYTES = 16
MAX_PUSH_SUBSCRIPTION_BYTES = 4096  # the JSON a browser posts: a few hundred bytes


class AlertError(ValueError):
    """A subscription or address we will not keep; the message is safe to show."""


# --- VAPID keys ----------------------------------------------------------------------------------


def vapid() -> Any | None:
    """The server's VAPID key, or None when push is not configured (then it is not offered).
    Development makes one in var/ on first use; production must set RESPITE_VAPID_PRIVATE_KEY(_FILE)."""
    from py_vapid import Vapid02

    pem = settings.RESPITE_VAPID_PRIVATE_KEY
    if pem:
        return Vapid02.from_pem(pem.encode())
    if settings.PRODUCTION:
        return None
    path = Path(settings.RESPITE_VAPID_DEV_KEY_PATH)
    if not path.exists():
        key = Vapid02()
        key.generate_keys()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(key.private_pem())
        path.chmod(0o600)
    return Vapid02.from_file(str(path))


def vapid_public_key() -> str:
    """The application server key a browser needs to subscribe (base64url, uncompressed point)."""
    from cryptography.hazmat.primitives import serialization

    key = vapid()
    if key is None:
        return ""
    raw = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- Choosing alerts -------------------------------------------------------------------------------


def _b64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _allowed_endpoint(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" and host not in settings.RESPITE_PUSH_INSECURE_HOSTS:
        return False
    return any(host == h or host.endswith("." + h) for h in settings.RESPITE_PUSH_HOSTS)


def clean_subscription(data: Any) -> dict[str, Any]:
    """The parts of a browser PushSubscription we keep: endpoint and the two keys."""
    try:
        endpoint = str(data["endpoint"])
        p256dh, auth = str(data["keys"]["p256dh"]), str(data["keys"]["auth"])
        if (
            len(endpoint) > MAX_PUSH_ENDPOINT_CHARS
            or len(_b64(p256dh)) != P256DH_KEY_BYTES
            or len(_b64(auth)) != PUSH_AUTH_SECRET_BYTES
        ):
            raise ValueError
    except (KeyError, TypeError, ValueError) as exc:
        raise AlertError(_("This browser sent a subscription we cannot use.")) from exc
    if not _allowed_endpoint(endpoint):
        raise AlertError(_("This browser's notification service is not one we can send to."))
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def subscribe_push(
    code: AccessCode, data: Any, language: str, checkin_days: int = 0
) -> WorkerAlert:
    subscription = clean_subscription(data)
    target = json.dumps(subscription, sort_keys=True)
    with transaction.atomic():
        for existing in WorkerAlert.objects.filter(
            access_code=code, channel=WorkerAlert.Channel.PUSH
        ):
            if json.loads(existing.target)["endpoint"] == subscription["endpoint"]:
                existing.delete()  # the same device subscribing again
        alert = WorkerAlert.objects.create(
            access_code=code, channel=WorkerAlert.Channel.PUSH, target=target, language=language[:2]
        )
        set_checkin(code, checkin_days)
    return WorkerAlert.objects.get(pk=alert.pk)


def set_checkin(code: AccessCode, days: int) -> None:
    days = days if days in CHECKIN_CHOICES else 0
    next_on = timezone.localdate() + timedelta(days=days) if days else None
    WorkerAlert.objects.filter(access_code=code, channel=WorkerAlert.Channel.PUSH).update(
        checkin_days=days or None, next_checkin_on=next_on
    )


def set_reply_email(code: AccessCode, address: str, language: str) -> None:
    with transaction.atomic():
        WorkerAlert.objects.filter(access_code=code, channel=WorkerAlert.Channel.EMAIL).delete()
        if address:
            WorkerAlert.objects.create(
                access_code=code,
                channel=WorkerAlert.Channel.EMAIL,
                target=address,
                language=language[:2],
            )


def forget(code: AccessCode, channel: str | None = None) -> int:
    alerts = WorkerAlert.objects.filter(access_code=code)
    if channel:
        alerts = alerts.filter(channel=channel)
    return alerts.delete()[0]


# --- Sending -------------------------------------------------------------------------------------------


def _texts(kind: str) -> tuple[str, str]:
    if kind == "checkin":
        return _("Respite"), _("Time for your Respite check-in.")
    return _("Respite"), _("You have a new message in Respite.")


def alert_worker(code_id: Any, kind: str = "message", url: str = "") -> int:
    """Tell a worker, through every channel they chose, that something waits (call inside the
    transaction that made it: the tasks commit with it). Returns how many alerts were queued."""
    count = 0
    for alert in WorkerAlert.objects.filter(access_code_id=code_id):
        if alert.channel == WorkerAlert.Channel.PUSH:
            send_push.enqueue(alert.pk, kind, url)
        elif kind == "message":
            with translation.override(alert.language):
                title, text = _texts(kind)
                body = (
                    text
                    + ("\n\n" + url if url else "")
                    + "\n\n"
                    + _(
                        "You asked to be told when you have a reply. Open Respite and enter your access code to read it."
                    )
                )
            queue_email(alert.target, title, body, kind="worker.reply_notice")
        count += 1
    return count


def forget_reply_emails(code_id: Any) -> int:
    """When a conversation closes, the address given for it goes too."""
    return WorkerAlert.objects.filter(
        access_code_id=code_id, channel=WorkerAlert.Channel.EMAIL
    ).delete()[0]


def _post_push(subscription: dict[str, Any], payload: bytes) -> int:
    import http_ece
    from cryptography.hazmat.primitives.asymmetric import ec

    endpoint = subscription["endpoint"]
    if not _allowed_endpoint(endpoint):
        raise AlertError("push endpoint no longer allowed")
    body = http_ece.encrypt(
        payload,
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=_b64(subscription["keys"]["p256dh"]),
        auth_secret=_b64(subscription["keys"]["auth"]),
        version="aes128gcm",
    )
    parts = urlsplit(endpoint)
    key = vapid()
    if key is None:
        raise AlertError("push is not configured")
    headers = key.sign(
        {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(time.time()) + 12 * 3600,
            "sub": settings.RESPITE_VAPID_SUBJECT,
        }
    )
    headers.update(
        {
            "TTL": "86400",
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Urgency": "normal",
        }
    )
    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@task()
def send_push(alert_id: int, kind: str, url: str = "") -> str:
    alert = WorkerAlert.objects.filter(pk=alert_id, channel=WorkerAlert.Channel.PUSH).first()
    if alert is None:
        return "gone"
    with translation.override(alert.language):
        title, text = _texts(kind)
    payload = json.dumps({"title": title, "body": text, "url": url}).encode()
    status = _post_push(json.loads(alert.target), payload)
    if status in (404, 410):  # the browser unsubscribed: forget it
        alert.delete()
        return "expired"
    if status >= HTTPStatus.BAD_REQUEST:
        raise RuntimeError(f"push service answered {status}")
    return "sent"


def send_checkin_reminders() -> int:
    """Daily job: a check-in reminder to every subscription whose day has come."""
    today = timezone.localdate()
    due = WorkerAlert.objects.filter(
        channel=WorkerAlert.Channel.PUSH, next_checkin_on__lte=today, checkin_days__isnull=False
    )
    count = 0
    for alert in due:
        with transaction.atomic():
            send_push.enqueue(alert.pk, "checkin", "")
            alert.next_checkin_on = today + timedelta(days=alert.checkin_days or 7)
            alert.save(update_fields=["next_checkin_on"])
        count += 1
    return count
