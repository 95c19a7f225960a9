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
from django.urls import get_script_prefix, get_urlconf, register_converter, reverse

_NONCE = 12


def _aead() -> AESGCM:
    return _keys(settings.SECRET_KEY)[0]


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
    return _seal_at(str(value), _hour())


def _seal_at(text: str, hour: int) -> str:
    plain = struct.pack(">I", hour) + text.encode("utf-8")
    aead, nonce_key = _keys(settings.SECRET_KEY)
    # Synthetic nonce (as in AES-GCM-SIV): the same id in the same hour seals to the same string, so a
    # page and its redirect agree; a different id or hour gives an unrelated one. A nonce is never
    # used for two different plaintexts, so GCM's nonce rule holds.
    nonce = hmac.digest(nonce_key, plain, hashlib.sha256)[:_NONCE]
    box = aead.encrypt(nonce, plain, b"respite-url")
    return base64.urlsafe_b64encode(nonce + box).decode("ascii").rstrip("=")


# (view name, the other arguments, URL map, script prefix, hour, kind of id) -> the route's URL
# with a stand-in id sealed in it, and that sealed stand-in. No language: routes carry none
# (no i18n_patterns), as navigation's cached links assume too.
_routes: dict[tuple, tuple[str, str]] = {}
_ROUTES_MAX = 1024
_STAND_IN_UUID = uuid.UUID(int=0)


def reverse_sealed(viewname: str, pk: object, **kwargs: str) -> str:
    """``reverse(viewname, kwargs={**kwargs, "pk": pk})`` for a route naming its object with a
    ``sealed_uuid`` or ``sealed_int`` ``pk``, without resolving the route again for each id: the
    URL is resolved once per route, other arguments and hour with a stand-in id, whose sealed form
    is then replaced by ``pk``'s (issue 19: Django's ``reverse`` was a tenth of the check-in's
    answers POST, for its redirect to the result)."""
    if isinstance(pk, uuid.UUID):
        stand_in: object = _STAND_IN_UUID
    elif isinstance(pk, int) and not isinstance(pk, bool):
        stand_in = 0
    else:  # an id given as text: Django's own way
        return reverse(viewname, kwargs={**kwargs, "pk": pk})
    hour = _hour()
    key = (
        viewname,
        tuple(sorted(kwargs.items())),
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
        hour,
        type(stand_in),
    )
    route = _routes.get(key)
    if route is None:
        url = reverse(viewname, kwargs={**kwargs, "pk": stand_in})
        token = _seal_at(str(stand_in), hour)
        if url.count(token) != 1:  # the hour turned meanwhile, or the route seals nothing
            return reverse(viewname, kwargs={**kwargs, "pk": pk})
        if len(_routes) >= _ROUTES_MAX:
            _routes.clear()
        route = _routes[key] = (url, token)
    url, token = route
    return url.replace(token, _seal_at(str(pk), hour))


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
