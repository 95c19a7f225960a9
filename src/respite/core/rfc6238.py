"""RFC 6238 time-based one-time codes, with no Django import: the tests (through
``respite.core.testing``) and ``bench_http`` answer the staff second factor as an authenticator app
would, from the base32 key, without django-otp checking itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


def totp_code(secret: str, *, steps_ahead: int = 0) -> str:
    """The RFC 6238 code an authenticator app shows for a base32 key (as on the enrolment page or in
    its otpauth:// address). Written here from the RFC, not with django-otp, so tests check the real
    thing. A device accepts each 30-second step once: a second sign-in uses ``steps_ahead=1``."""
    raw = secret.replace(" ", "").upper()
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    counter = int(time.time()) // 30 + steps_ahead
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 15
    return f"{(int.from_bytes(mac[offset : offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"
