"""The page frame (head, header, menu, footer) is rendered once per process and key (issue 19). What a
visitor must never see is another visitor's CSRF token, CSP nonce or address in it, or a frame that
is out of date: an attacker's tests, written as one would try it, and a change's tests."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from respite.core.templatetags import frames
from respite.core.testing import find

pytestmark = pytest.mark.django_db

CHECKIN = "/o/{slug}/check-in/"


def _visit(client: Client, path: str):
    response = client.get(path)
    assert response.status_code == 200
    return response, response.content.decode()


def _tokens(body: str) -> list[str]:
    """Every CSRF token the page carries: the htmx header and each form's hidden field."""
    return [
        *re.findall(r'"X-CSRFToken": "([^"]+)"', body),
        *re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body),
    ]


def _switch_language(client: Client, token: str) -> int:
    return client.post(
        "/i18n/setlang/", {"language": "es", "csrfmiddlewaretoken": token}
    ).status_code


def test_each_visitor_gets_their_own_token_and_nonce_in_a_shared_frame(org):
    path = CHECKIN.format(slug=org.slug)
    visitors = []
    for _ in range(3):  # the second and third visitors are served the cached frame
        client = Client(enforce_csrf_checks=True)
        response, body = _visit(client, path)
        tokens = _tokens(body)
        assert len(tokens) >= 3  # htmx header, language form, the check-in form
        nonce = find(r'<style nonce="([^"]+)"', body)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        visitors.append((client, tokens, nonce))
    assert len({nonce for _c, _t, nonce in visitors}) == 3
    for i, (client, tokens, _nonce) in enumerate(visitors):
        # Every token on a visitor's page works for that visitor...
        assert {_switch_language(client, t) for t in tokens} == {302}
        # ...and none works for anybody else: the page held nobody else's.
        for j, (other, _t, _n) in enumerate(visitors):
            if j != i:
                assert _switch_language(other, tokens[0]) == 403


def test_the_language_form_returns_to_this_page_escaped(org):
    path = CHECKIN.format(slug=org.slug)
    _visit(Client(), path)  # the frame is now cached with another address
    # Quotes and ampersands reach the address unencoded (<, > and " arrive percent-encoded).
    _response, body = _visit(Client(), path + "?from='onmouseover='alert(1)&x=1")
    next_value = find(r'<input name="next" type="hidden" value="([^"]*)"', body)
    assert next_value == f"{path}?from=&#x27;onmouseover=&#x27;alert(1)&amp;x=1"


def test_a_planted_placeholder_is_not_filled_with_a_secret(org):
    """The address is the visitor's own text: a placeholder in it stays text, never a token."""
    path = CHECKIN.format(slug=org.slug)
    client = Client()
    _visit(client, path)
    _response, body = _visit(client, f"{path}?a={frames.CSRF}&b={frames.NONCE}")
    next_value = find(r'<input name="next" type="hidden" value="([^"]*)"', body)
    assert next_value == f"{path}?a={frames.CSRF}&amp;b={frames.NONCE}"


def test_a_renamed_organization_shows_on_the_next_page(org):
    path = CHECKIN.format(slug=org.slug)
    _visit(Client(), path)
    org.name = "Lakeside Clinic"
    org.accent_color = "#123456"
    org.save(update_fields=["name", "accent_color"])
    _response, body = _visit(Client(), path)
    assert find(r'<a class="brand" href="[^"]+">\s*([^<]+?)\s*</a>', body) == "Lakeside Clinic"
    assert "--accent: #123456;" in body


def test_each_language_has_its_own_frame(org):
    path = CHECKIN.format(slug=org.slug)
    _response, english = _visit(Client(), path)
    spanish_client = Client(headers={"accept-language": "es"})
    _response, spanish = _visit(spanish_client, path)
    assert "Skip to content" in english and 'value="es"' in english
    assert "Saltar al contenido" in spanish and 'value="en"' in spanish
    assert "Skip to content" not in spanish


def test_a_signed_in_person_sees_the_staff_link_a_worker_does_not(org, client):
    from respite.core.roles import StaffRole
    from respite.core.testing import PASSWORD, make_staff

    path = CHECKIN.format(slug=org.slug)
    _response, worker = _visit(Client(), path)
    staff = make_staff(org, StaffRole.ORG_ADMIN)
    client.login(username=staff.username, password=PASSWORD)
    _response, signed_in = _visit(client, path)
    assert "Staff sign-in" in worker and "Staff home" not in worker
    assert "Staff home" in signed_in and "Staff sign-in" not in signed_in


def _drawer(source: str):
    """Draws one parsed template (one frame, one cache entry per key) for a visitor at ``path``."""
    from django.template import Context, Template
    from django.test import RequestFactory

    template = Template("{% load frames %}" + source)

    def draw(path: str, **context) -> str:
        request = RequestFactory().get(path)
        request.csp_nonce = f"nonce-of-{path}"  # type: ignore[attr-defined]  # django-csp sets it
        return template.render(
            Context({"request": request, "csrf_token": f"token-of-{path}", **context})
        )

    return draw


def test_a_fill_is_each_visitors_own_and_escaped():
    draw = _drawer(
        "{% frame kind fill mine=mine %}<p>{{ mine }}</p><i>{{ csrf_token }}</i>{% endframe %}"
    )
    first = draw("/a/", kind="same", mine="first's <b>")
    second = draw("/b/", kind="same", mine='second\'s "x"')  # the cached frame
    assert first == "<p>first&#x27;s &lt;b&gt;</p><i>token-of-/a/</i>"
    assert second == "<p>second&#x27;s &quot;x&quot;</p><i>token-of-/b/</i>"


def test_a_fill_value_holding_a_placeholder_stays_text():
    """A value put in is never searched again: the visitor's own text cannot pull in a token."""
    draw = _drawer("{% frame fill mine=mine %}{{ mine }}|{{ csrf_token }}{% endframe %}")
    assert draw("/a/", mine="plain") == "plain|token-of-/a/"
    out = draw("/b/", mine=f"{frames.CSRF}{frames.NONCE}")
    assert out == f"{frames.CSRF}{frames.NONCE}|token-of-/b/"


def test_a_frame_inside_a_frame_leaves_each_visitors_values_to_the_outer_one():
    draw = _drawer(
        "{% frame fill mine=mine %}[{{ mine }}]"
        "{% frame %}{{ csrf_token }} {{ CSP_NONCE }} {{ current_path }}{% endframe %}{% endframe %}"
    )
    first = draw("/a/", mine="1")
    second = draw("/b/?x=<y>", mine="2")
    assert first == "[1]token-of-/a/ nonce-of-/a/ /a/"
    assert second == "[2]token-of-/b/?x=&lt;y&gt; nonce-of-/b/?x=&lt;y&gt; /b/?x=%3Cy%3E"


def test_a_frame_with_fills_inside_another_frame_is_refused():
    """Drawn into the outer frame's text once, its values would be the first visitor's for all."""
    from django.template import TemplateSyntaxError

    draw = _drawer("{% frame %}{% frame fill mine=mine %}{{ mine }}{% endframe %}{% endframe %}")
    with pytest.raises(TemplateSyntaxError):
        draw("/a/", mine="first visitor's")


@pytest.mark.parametrize(
    "tag",
    [
        "{% frame a fill %}",
        "{% frame a fill b %}",
        "{% frame fill b=c d %}",
        "{% frame fill csrf_token=c %}",
        "{% frame fill current_path=c %}",
    ],
)
def test_a_fill_that_is_not_name_value_is_refused_when_the_template_loads(tag):
    from django.template import Template, TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError):
        Template("{% load frames %}" + tag + "{% endframe %}")


@pytest.mark.parametrize(
    "body",
    [
        "{% frame a %}{% block title %}{% endblock %}{% endframe %}",
        "{% frame a %}{% if a %}<p>{% block title %}x{% endblock %}</p>{% endif %}{% endframe %}",
    ],
)
def test_a_block_inside_a_frame_is_refused_when_the_template_loads(body):
    """A child page's block would change the frame's text behind its key: the first child's content
    would be every page's."""
    from django.template import Template, TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError):
        Template("{% load frames %}" + body)


def test_an_extends_inside_a_frame_is_refused_when_the_template_loads():
    from django.template import Template, TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError):
        Template('{% load frames %}{% frame a %}{% extends "base.html" %}{% endframe %}')


def test_every_template_of_the_project_loads():
    """A template is parsed when first drawn, not at start-up: one that the rules above refuse (or
    any other syntax error) must fail here, not as a 500 on the page that draws it."""
    from pathlib import Path

    from django.template import engines
    from django.template.loader import get_template

    import respite

    django_engine = engines["django"]
    root = Path(respite.__file__).parent
    names = [
        str(path.relative_to(folder))
        for folder in root.rglob("templates")
        if "jinja2" not in folder.parts and "tests" not in folder.parts
        for path in folder.rglob("*")
        if path.is_file() and path.suffix in {".html", ".txt", ".xml", ".ics", ".svg", ".json"}
    ]
    assert len(names) > 100
    for name in names:
        assert get_template(name, using=django_engine.name) is not None, name
