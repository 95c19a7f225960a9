"""Respite draws the CSRF token a page prints itself (``core.csrf``, issue 19): with one read of the
random source instead of Django's 32 to 64. It must stay what Django's is: unbiased letters, a
different token on every page, accepted by Django's own middleware for its visitor only, and no
cookie for a page that never prints it. Written as an attacker would try to use a weaker token."""

from __future__ import annotations

import re
from collections import Counter

import pytest

# _unmask_cipher_token: Django's own reading of a token (private, so not in the type stubs).
from django.middleware.csrf import (  # type: ignore[attr-defined]
    CSRF_ALLOWED_CHARS,
    _unmask_cipher_token,
)
from django.test import Client, RequestFactory

from respite.core import csrf

pytestmark = pytest.mark.django_db

CHECKIN = "/o/{slug}/check-in/"


def test_every_letter_is_equally_likely():
    """Each of the 62 letters stands for exactly four of the bytes kept; a byte that would make some
    letters likelier than others (248 to 255) gives no letter at all."""
    every_byte = bytes(range(256))
    letters = csrf.letters_from(every_byte)
    assert set(letters) == set(CSRF_ALLOWED_CHARS)
    assert set(Counter(letters).values()) == {4}
    assert csrf.letters_from(bytes(range(248, 256))) == ""


def test_biased_bytes_are_thrown_away_and_made_up_for(monkeypatch):
    """Bytes that would bias the letters are skipped, and more are drawn until the length is met."""
    reads = iter([bytes([255, 250, 248]) * 20, bytes(range(62)) * 2])
    monkeypatch.setattr(csrf.secrets, "token_bytes", lambda n: next(reads))
    assert csrf.random_letters(32) == CSRF_ALLOWED_CHARS[:32]


def test_random_letters_are_the_length_asked_and_never_repeat():
    drawn = [csrf.random_letters(32) for _ in range(200)]
    assert all(len(d) == 32 and set(d) <= set(CSRF_ALLOWED_CHARS) for d in drawn)
    assert len(set(drawn)) == 200
    # Over 6,400 letters every one of the 62 turns up (a fixed or short alphabet would not).
    assert set("".join(drawn)) == set(CSRF_ALLOWED_CHARS)


def _checkin_token(client: Client, slug: str) -> str:
    response = client.get(CHECKIN.format(slug=slug))
    assert response.status_code == 200
    found = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert found
    return found[-1]


def _switch_language(client: Client, token: str) -> int:
    return client.post(
        "/i18n/setlang/", {"language": "es", "csrfmiddlewaretoken": token}
    ).status_code


def test_django_accepts_the_token_from_its_own_visitor_only(org):
    visitor = Client(enforce_csrf_checks=True)
    token = _checkin_token(visitor, org.slug)
    secret = visitor.cookies["csrftoken"].value
    assert len(token) == 64 and token[32:] != secret  # masked: the cookie is not printed as it is

    # One letter changed, a token of the right shape but another secret: refused.
    at = CSRF_ALLOWED_CHARS.index(token[40])
    tampered = token[:40] + CSRF_ALLOWED_CHARS[(at + 1) % 62] + token[41:]
    assert _switch_language(visitor, tampered) == 403
    # Another visitor's token: refused for this visitor.
    other = Client(enforce_csrf_checks=True)
    assert _switch_language(visitor, _checkin_token(other, org.slug)) == 403
    # Its own: accepted.
    assert _switch_language(visitor, token) == 302


def test_each_page_prints_a_new_token_for_the_same_cookie(org):
    visitor = Client(enforce_csrf_checks=True)
    first = _checkin_token(visitor, org.slug)
    secret = visitor.cookies["csrftoken"].value
    response = visitor.get(CHECKIN.format(slug=org.slug))
    second = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[
        -1
    ]
    assert (
        response.cookies["csrftoken"].value == secret
    )  # the secret is kept, its cookie renewed...
    assert first != second and first[:32] != second[:32]  # ...under a new mask each time
    assert {_switch_language(visitor, t) for t in (first, second)} == {302}


def test_the_token_is_drawn_only_when_a_template_prints_it():
    """Lazy, as Django's: until printed, no secret and no cookie to send."""
    request = RequestFactory().get("/")
    context = csrf.csrf(request)
    assert "CSRF_COOKIE" not in request.META
    assert "CSRF_COOKIE_NEEDS_UPDATE" not in request.META
    token = str(context["csrf_token"])
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]


def test_a_returning_visitor_keeps_their_secret_and_their_cookie_is_renewed():
    """As Django's get_token: the secret already held is masked, and the cookie is sent again (its
    expiry renewed) whenever a page prints a token."""
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret = csrf.random_letters(32)
    token = csrf.get_token(request)
    assert request.META["CSRF_COOKIE"] == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert _unmask_cipher_token(token) == secret


def test_pages_draw_their_token_here(org, monkeypatch):
    """The settings put this module's token in templates (not Django's 64 system calls)."""
    drawn: list[int] = []
    draw = csrf.random_letters
    monkeypatch.setattr(csrf, "random_letters", lambda n: drawn.append(n) or draw(n))
    _checkin_token(Client(enforce_csrf_checks=True), org.slug)
    assert drawn == [32, 32]  # a new visitor's secret, then the mask of the token printed
