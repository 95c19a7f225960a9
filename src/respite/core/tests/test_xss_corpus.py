"""Stored XSS, end to end: a corpus of payloads is written through the ORM into every free-text field
of every respite app, and every page that shows those fields is rendered in headless Chromium.
Nothing may run and nothing may be injected.

The strict CSP would block inline script even if escaping failed, so the test does not rely on it:
it checks the DOM itself (no element or attribute a payload tried to create), the raw HTML the
server sent, and that every registered field really reached the pages it is said to be shown on.
Values are stored with the ORM rather than through forms, so input cleaning (nh3 in the community
notes form, https checks) is bypassed and only output escaping stands between payload and page;
the two apps that sanitize in ``Model.save`` (directory descriptions, peer training material) are
stored through that ``save``, the path every writer uses. The PDFs WeasyPrint makes from the
same kind of templates are checked for printed (not parsed) markup.
"""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.test import Client

from respite.core.tests import xss_fixtures as fx

WITH_PULSE = fx.PULSE_COVERED

# Fragments that exist only if a payload went out unescaped (the server's HTML, before any parser).
# Attribute breakouts without a '<' are harmless in text (sanitized HTML keeps quotes as text):
# the DOM check catches them where they would matter, inside a tag.
RAW_SIGNATURES = [
    "<script data-xss",
    "<img src=x data-xss",
    "<svg data-xss",
    "<iframe data-xss",
    "<a data-xss",
    "<div data-xss",
    "<base data-xss",
    "<meta data-xss",
    "<form data-xss",
    "<b data-xss",
    "<input data-xss",
    'href="javascript:',
    "<u>",
    "</textarea><img",
    "</title><script",
    "</style><script",
]

DOM_CHECK = r"""() => {
  const bad = [];
  const add = (what, el) => bad.push(what + ": " + el.outerHTML.slice(0, 160));
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"];
  document.querySelectorAll("[data-xss]").forEach(el => add("element injected by a payload", el));
  document.querySelectorAll("iframe, frame, frameset, object, embed, base, meta[http-equiv], [srcdoc], svg, math, u")
    .forEach(el => add("element no page of ours contains", el));
  document.querySelectorAll("script").forEach(el => {
    if (!el.src || new URL(el.src).origin !== location.origin || el.textContent.trim()) add("inline or foreign script", el);
  });
  document.querySelectorAll("*").forEach(el => {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) add("event handler attribute " + a.name, el);
      if (/^hx-(get|post|put|delete|patch|trigger|on)/i.test(a.name)) add("htmx attribute " + a.name, el);
      const squeezed = a.value.replace(/[\u0000-\u0020\u007f-\u00a0]/g, "").toLowerCase();
      if (urlAttrs.includes(a.name.toLowerCase()) && /^(javascript|vbscript|data):/.test(squeezed)) add("script URL", el);
    }
  });
  return {bad, xss: window.__xss === undefined ? null : String(window.__xss), title: document.title,
          text: document.body ? document.body.innerText : ""};
}"""


def _template_evaluated(text: str) -> list[str]:
    """Signs that user text went through a template engine: 7*7 evaluated, or {% now %} rendered."""
    return re.findall(r"tpl\$?#?49|tplnow\s*\d{4}", text)


@pytest.fixture
def world(db):
    return fx.build_world(with_pulse=WITH_PULSE)


def test_every_free_text_field_is_in_the_registry():
    """A new CharField/TextField fails here until it is given a fixture and pages, or a reason."""
    found = set(fx.free_text_fields())
    registered = set(fx.registry(with_pulse=WITH_PULSE))
    if not WITH_PULSE:
        found = {k for k in found if not k.startswith("pulse.")}
    assert not found - registered, (
        f"free-text fields with no XSS coverage or reason: {sorted(found - registered)}"
    )
    assert not registered - found, (
        f"registry entries for fields that no longer exist: {sorted(registered - found)}"
    )


@pytest.mark.django_db
def test_every_shown_field_names_pages_the_world_renders(world):
    pages = set(world.pages)
    for key, entry in fx.registry(with_pulse=WITH_PULSE).items():
        if isinstance(entry, fx.Shown):
            assert entry.pages and set(entry.pages) <= pages, (key, set(entry.pages) - pages)


def _clients(world) -> dict[str, Client]:
    clients = {}
    for actor, user in world.users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        else:
            session = client.session
            session.update(world.session)
            session.update(world.actor_sessions.get(actor, {}))
            session.save()
        clients[actor] = client
    return clients


@pytest.mark.django_db
def test_server_html_escapes_every_payload(world):
    """The HTML as sent: no payload fragment survives unescaped, and each field's value is there."""
    clients = _clients(world)
    problems, html_by_page = [], {}
    for key, (actor, path, lang) in world.pages.items():
        client = clients[actor]
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        response = client.get(path)
        assert response.status_code == 200, (key, path, response.status_code)
        html = response.content.decode()
        html_by_page[key] = html
        problems += [(key, s) for s in RAW_SIGNATURES if s in html]
        problems += [(key, hit) for hit in _template_evaluated(html)]
    assert not problems, problems
    missing = [
        (key, page)
        for key, entry in fx.registry(with_pulse=WITH_PULSE).items()
        if isinstance(entry, fx.Shown) and fx.carries_marker(key)
        for page in entry.pages
        if fx.marker(key) not in html_by_page[page]
    ]
    assert not missing, f"fields not shown where the registry says: {missing}"


def _visible_prefix(text: str, n: int = 120) -> str:
    """The first ``n`` non-space characters, stopping at the first non-ASCII one (PDF text
    extraction reorders bidi overrides and drops glyphs the fonts lack)."""
    squeezed = "".join(text.split())
    end = next((i for i, ch in enumerate(squeezed) if not "\x21" <= ch <= "\x7e"), len(squeezed))
    return squeezed[:end][:n]


@pytest.mark.django_db
def test_pdfs_print_payloads_as_text(world):
    """WeasyPrint renders the same kind of templates: each value is printed as the characters
    typed (its markup visible as text, so it was escaped, not parsed), and every PDF renders."""
    import io

    from pypdf import PdfReader

    clients = _clients(world)
    problems = []
    for key, (actor, path) in world.pdfs.items():
        response = clients[actor].get(path)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", (
            key,
            response,
        )
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        flat = "".join(text.split())
        problems += [(key, hit) for hit in _template_evaluated(text)]
        for field_key in fx.PDF_FIELDS[key]:
            expected = _visible_prefix(fx.value(field_key))
            assert "<" in expected, (field_key, "the prefix should hold markup")
            if expected not in flat:
                problems.append((key, field_key, expected))
    assert not problems, problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_payloads_stay_inert_in_chromium(browser, live_server):
    """Every page, rendered in Chromium as the people who see it: nothing runs, nothing injected,
    no CSP violation or other console error, no request a payload would make."""
    world = fx.build_world(with_pulse=WITH_PULSE)
    base = live_server.url
    sessions = {
        actor: fx.session_cookie(
            user,
            {**world.session, **world.actor_sessions.get(actor, {})} if user is None else None,
        )
        for actor, user in world.users.items()
    }
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    console: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: console.append(str(exc)))
    page.on(
        "request",
        lambda r: (
            requests.append(r.url)
            if (
                r.resource_type in ("xhr", "fetch")
                or "evil.example" in r.url
                or r.url.rstrip("/").endswith("/x")
            )
            else None
        ),
    )

    failures: list[str] = []
    seen_literal_template = False
    started = time.monotonic()
    try:
        for key, (actor, path, lang) in world.pages.items():
            context.clear_cookies()
            context.add_cookies(
                [
                    {"name": settings.SESSION_COOKIE_NAME, "value": sessions[actor], "url": base},
                    {"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": base},
                ]
            )
            console.clear()
            requests.clear()
            response = page.goto(base + path, wait_until="load")
            page.wait_for_timeout(50)  # let any handler that slipped through fire
            if response is None or response.status != 200:
                failures.append(f"{key}: HTTP {response and response.status}")
                continue
            found = page.evaluate(DOM_CHECK)
            failures += [f"{key}: {b}" for b in found["bad"]]
            if found["xss"] is not None or "XSSED" in found["title"]:
                failures.append(
                    f"{key}: a payload ran (window.__xss={found['xss']}, title={found['title']!r})"
                )
            failures += [
                f"{key}: template evaluated user text: {hit}"
                for hit in _template_evaluated(found["text"])
            ]
            seen_literal_template |= "tpl{{ 7*7 }}" in found["text"]
            failures += [f"{key}: console: {m}" for m in console]
            failures += [f"{key}: request made by a payload: {u}" for u in requests]
            html = page.content()
            for field_key, entry in fx.registry(with_pulse=WITH_PULSE).items():
                if (
                    isinstance(entry, fx.Shown)
                    and key in entry.pages
                    and fx.carries_marker(field_key)
                    and fx.marker(field_key) not in html
                ):
                    failures.append(f"{key}: {field_key} is not on the page")
            for c in context.cookies():  # a view may have rotated the session key
                if c["name"] == settings.SESSION_COOKIE_NAME:
                    sessions[actor] = c["value"]
    finally:
        context.close()
    assert not failures, "\n".join(dict.fromkeys(failures))
    assert seen_literal_template, (
        "the template-injection payload should be shown as typed, {{ 7*7 }} and all"
    )
    assert time.monotonic() - started < 120


# Payloads that are only text in every context (they matter if a renderer such as markdown or a
# template engine ever processed user text, which the checks above look for).
TEXT_ONLY = {"template_injection", "markdown_link", "unicode", "entities"}
CONTEXTS = [
    "<p>{}</p>",
    '<input value="{}">',
    "<input value='{}'>",
    "<textarea>{}</textarea>",
    "<title>{}</title>",
    "<style>:root{{--a:{}}}</style>",
]


@pytest.mark.browser
def test_the_dom_check_catches_every_markup_payload_left_unescaped(browser):
    """The check is not vacuous: each markup payload, pasted unescaped into the contexts our
    templates use, is reported by DOM_CHECK (or runs, which it also reports)."""
    context = browser.new_context()
    page = context.new_page()
    try:
        for name, payload in fx.PAYLOADS.items():
            if name in TEXT_ONLY:
                continue
            payload = payload[:400] if name == "long" else payload
            html = (
                "<!doctype html><html><head><title>t</title></head><body>"
                + "".join(c.format(f"{payload}") for c in CONTEXTS)
                + "</body></html>"
            )
            page.set_content(html)
            found = page.evaluate(DOM_CHECK)
            assert found["bad"] or found["xss"], f"{name} unescaped was not detected"
    finally:
        context.close()


BAD_URLS = [
    "javascript:window.__xss=1",
    "JaVaScRiPt:window.__xss=1",
    " javascript:window.__xss=1",
    "java\tscript:window.__xss=1",
    "data:text/html,<script>window.__xss=1</script>",
    "vbscript:msgbox(1)",
]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_URLS)
def test_every_input_path_of_a_url_field_refuses_script_urls(bad, org):
    """URL fields render into href, where escaping cannot neutralize a javascript: scheme; the
    browser test stores https URLs with breakouts, and here every way in refuses script schemes."""
    from respite.community.forms import EventForm
    from respite.directory.forms import LocalServiceForm
    from respite.directory.hsds import RecordError, _https
    from respite.peers.forms import MaterialForm

    assert "url" in LocalServiceForm(data={"url": bad}).errors
    assert "link" in MaterialForm(data={"title": "t", "body": "b", "link": bad}).errors
    event_errors = EventForm(data={"link": bad, "donation_url": bad, "format": "virtual"}).errors
    assert {"link", "donation_url"} <= set(event_errors)
    for what in ("url", "website"):
        with pytest.raises(RecordError):
            _https(bad, what)
