"""Worker URLs carry no secret id.

A worker's screening, case, session, booking or peer request is named in its URL only *sealed*:
encrypted (AES-GCM under a key derived from ``SECRET_KEY``) together with the hour the link was made.
A proxy or browser log therefore holds a string that names nothing, changes every hour (log lines of
different hours cannot be matched to each other or to a database row without the key), and stops
opening anything after ``RESPITE_SEALED_URL_HOURS`` (the
worker's session lasts 8 hours; every page reached through a sealed link also checks that the session or
code is a party). Views receive the plain id, so callers write ``reverse(..., pk=case.pk)`` as before.

Use the ``sealed_uuid`` / ``sealed_int`` converters in every worker route that names an object; a test
walks the URL map (``core/tests/test_worker_urls_hold_no_secrets.py``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import struct
import time
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.urls import register_converter

_NONCE = 12


def _aead() -> AESGCM:
    return _keys(settings.SECRET_KEY)[0]


def _nonce_key() -> bytes:
    return _keys(settings.SECRET_KEY)[1]


@functools.lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[AESGCM, bytes]:  # noqa: ARG001 - the cache key (tests change it)
    """The cipher and the nonce key, derived once per secret: every worker link seals and unseals."""
    from respite.core.privacy import _key  # late: privacy imports models

    return AESGCM(_key("url-seal")), _key("url-seal-nonce")


def _hour() -> int:
    return int(time.time() // 3600)


def _hours() -> int:
    return int(getattr(settings, "RESPITE_SEALED_URL_HOURS", 9))


def seal(value: object) -> str:
    """An opaque, URL-safe string for ``value``, the same within an hour, unrelated across hours."""
    plain = struct.pack(">I", _hour()) + str(value).encode("utf-8")
    # Synthetic nonce (as in AES-GCM-SIV): the same id in the same hour seals to the same string, so a
    # page and its redirect agree; a different id or hour gives an unrelated one. A nonce is never
    # used for two different plaintexts, so GCM's nonce rule holds.
    nonce = hmac.new(_nonce_key(), plain, hashlib.sha256).digest()[:_NONCE]
    box = _aead().encrypt(nonce, plain, b"respite-url")
    return base64.urlsafe_b64encode(nonce + box).decode("ascii").rstrip("=")


def unseal(token: str) -> str | None:
    """The sealed value, or None when the token is forged, damaged or older than the limit."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = _aead().decrypt(raw[:_NONCE], raw[_NONCE:], b"respite-url")
    except (binascii.Error, InvalidTag, ValueError):
        return None
    (hour,) = struct.unpack(">I", plain[:4])
    if not 0 <= _hour() - hour <= _hours():
        return None
    try:
        return plain[4:].decode("utf-8")
    except UnicodeDecodeError:
        return None


class SealedUUIDConverter:
    regex = r"[A-Za-z0-9_-]{40,120}"

    def to_python(self, value: str) -> uuid.UUID:
        plain = unseal(value)
        if plain is None:
            raise ValueError("not a sealed id")  # the route does not match: 404
        return uuid.UUID(plain)

    def to_url(self, value: object) -> str:
        return seal(str(value))


class SealedIntConverter(SealedUUIDConverter):
    def to_python(self, value: str) -> int:  # type: ignore[override]
        plain = unseal(value)
        if plain is None or not plain.isdigit():
            raise ValueError("not a sealed id")
        return int(plain)

    def to_url(self, value: object) -> str:
        return seal(str(int(value)))  # type: ignore[call-overload]


register_converter(SealedUUIDConverter, "sealed_uuid")
register_converter(SealedIntConverter, "sealed_int")
