"""The CSRF token a page prints, drawn with one read of the system's random source (issue 19).

Django draws each random letter of a token with its own call to the operating system
(``secrets.choice``): 32 calls to mask a visitor's secret into the token a page prints, and 32 more
to make a new visitor's secret. That was 9 % of the check-in form's instructions and 4 % of a result
page's. ``get_token`` keeps Django's contract exactly: the same secret in ``request.META`` (so
``CsrfViewMiddleware`` sets and renews the cookie as before), the same masking, the same letters,
uniformly drawn, so Django's middleware checks a token of ours unchanged. Only the drawing differs:
one ``secrets.token_bytes`` call, each byte turned into a letter, bytes that would bias the
letters thrown away.

The masking below is Django's (``_mask_cipher_secret``); the tests check our tokens with Django's own
unmasking and middleware, so a change of scheme in a Django upgrade fails them.

The ``csrf`` context processor puts this token in every template's context (after Django's
built-in one, which it replaces), lazily as Django's does: a page that never prints a form sets no
cookie.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.functional import SimpleLazyObject

_LETTERS = CSRF_ALLOWED_CHARS
_N = len(_LETTERS)
# A byte below this, modulo the 62 letters, gives each letter the same four byte values; a byte
# from 248 to 255 would make the first eight letters likelier, so it is thrown away.
_UNBIASED = 256 - 256 % _N


def letters_from(data: bytes) -> str:
    """The letters that ``data``'s unbiased bytes stand for, in order (the others are skipped)."""
    return "".join([_LETTERS[b % _N] for b in data if b < _UNBIASED])


def random_letters(length: int) -> str:
    """``length`` letters of Django's CSRF alphabet, each uniformly and independently random."""
    drawn = ""
    while len(drawn) < length:
        # A few bytes more than needed: about 3 % are thrown away.
        drawn += letters_from(secrets.token_bytes(length - len(drawn) + 8))
    return drawn[:length]


def _mask(secret: str) -> str:
    """Django's masking (``_mask_cipher_secret``): a new random mask, then the secret shifted by it
    letter by letter; every page gets a different token for the same secret (BREACH)."""
    mask = random_letters(CSRF_SECRET_LENGTH)
    at = _LETTERS.index
    return mask + "".join(
        [_LETTERS[(at(s) + at(m)) % _N] for s, m in zip(secret, mask, strict=True)]
    )


def get_token(request: HttpRequest) -> str:
    """The token for this request's forms, as ``django.middleware.csrf.get_token`` returns it.

    Like Django's, reading it makes the middleware send (or renew) the CSRF cookie, and a visitor
    with no secret yet gets a new one.
    """
    meta = request.META
    if "CSRF_COOKIE" in meta:
        secret = meta["CSRF_COOKIE"]
    else:
        secret = meta["CSRF_COOKIE"] = random_letters(CSRF_SECRET_LENGTH)
    meta["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return _mask(secret)


def csrf(request: HttpRequest) -> dict[str, object]:
    """Context processor: ``csrf_token``, computed only if a template prints it."""
    return {"csrf_token": SimpleLazyObject(lambda: get_token(request))}
