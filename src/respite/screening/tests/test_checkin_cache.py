"""The check-in's questions are rendered once per language and organization settings, then reused;
what is per visitor (CSRF token, CSP nonce) and per answer (errors, kept choices) never is."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from respite.core.testing import make_org

pytestmark = pytest.mark.django_db


def _questions(html: str) -> str:
    start = html.index('<section class="instrument"')
    return html[start : html.index('<button class="button primary big"')]


def _page(client: Client, url: str, lang: str = "en") -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response.content.decode()


def test_cached_questions_with_per_visitor_token_and_nonce(org):
    url = f"/o/{org.slug}/check-in/"
    first, second = _page(Client(), url), _page(Client(), url)
    assert _questions(first) == _questions(second)
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    nonce = re.compile(r'nonce="([^"]+)"')
    assert token.search(first).group(1) != token.search(second).group(1)
    assert nonce.search(first) and nonce.search(first).group(1) != nonce.search(second).group(1)


def test_cached_questions_follow_language_and_the_organizations_roles():
    nurses = make_org("nurses-only", role_groups=["nurse"])
    everyone = make_org("everyone", role_groups=["nurse", "physician", "environmental_services"])
    english = _questions(_page(Client(), f"/o/{nurses.slug}/check-in/"))
    spanish = _questions(_page(Client(), f"/o/{nurses.slug}/check-in/", "es"))
    assert (
        english != spanish and "Prefer not to say" in english and "Prefer not to say" not in spanish
    )
    assert 'value="physician"' not in english
    assert 'value="physician"' in _questions(_page(Client(), f"/o/{everyone.slug}/check-in/"))


def test_answers_with_an_error_are_rendered_afresh_with_the_choices_kept(org):
    client = Client()
    url = f"/o/{org.slug}/check-in/"
    _page(client, url)  # fills the cache
    response = client.post(url, {"phq2__1": 2})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'name="phq2__1" value="2"[^>]*checked', html)
    assert "Please choose an answer." in html


def test_posted_answers_leave_nothing_behind_for_the_next_visitor(org, monkeypatch):
    """A posted form shares the process's question fields instead of copying them: whatever one
    visitor's answers, errors and kept choices did to a form must not reach another's."""
    from respite.core.templatetags import frames
    from respite.screening import forms

    built: list[dict] = []
    built_from: list = []
    build = forms._build_fields

    def recorded(*args):
        built_from[:] = args
        built.append(build(*args))
        return built[-1]

    monkeypatch.setattr(forms, "_build_fields", recorded)
    forms._fields_cache.clear()  # fields built afresh by this test, not left by an earlier one
    frames.clear()
    url = f"/o/{org.slug}/check-in/"
    before = _questions(_page(Client(), url))

    def post(answers: dict[str, int]) -> str:
        response = Client().post(url, answers)
        assert response.status_code == 400  # unanswered questions: shown again, marked
        return _questions(response.content.decode())

    alone = post({"gad2__1": 1})
    post({"phq2__1": 2, "gad2__2": 3})
    after_another = post({"gad2__1": 1})
    assert after_another == alone  # nothing kept or added by the visitor in between
    assert re.search(r'name="gad2__1" value="1"[^>]*checked', alone)
    assert not re.search(r'name="(phq2__1|gad2__2)" value="\d"[^>]*checked', after_another)
    # The fields every form shared are still as built: no answer, error or attribute left on them.
    (shared,) = built  # built once, for the first page, then shared by the posted forms
    fresh = build(*built_from)
    assert list(shared) == list(fresh)
    for name, field in shared.items():
        assert (field.initial, field.required, field.widget.attrs) == (
            fresh[name].initial,
            fresh[name].required,
            fresh[name].widget.attrs,
        ), name
        assert {k: str(v) for k, v in field.error_messages.items()} == {
            k: str(v) for k, v in fresh[name].error_messages.items()
        }, name
    frames.clear()  # and the questions rendered again from those fields, not the cached block
    assert _questions(_page(Client(), url)) == before
