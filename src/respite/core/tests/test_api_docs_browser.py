"""/api/v1/docs in a real browser: Swagger UI from the app's own static files, under the strict CSP.

Every operation in the OpenAPI schema must be listed, no console error or CSP violation may occur,
and no request may leave the host (all are recorded; anything off-host is aborted and fails the test).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_every_operation_without_leaving_the_host(browser, live_server, client):
    schema = client.get("/api/v1/openapi.json").json()
    expected = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }
    assert len(expected) > 20

    host = urlsplit(live_server.url).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    off_host: list[str] = []

    def watch(route):
        url = route.request.url
        requested.append(url)
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != host:
            off_host.append(url)
            return route.abort()
        return route.continue_()

    context.route("**/*", watch)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        response = page.goto(f"{live_server.url}/api/v1/docs")
        assert response is not None and response.ok
        csp = response.headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )

        blocks = page.locator(".opblock")
        expect(blocks).to_have_count(len(expected), timeout=60_000)
        listed = set()
        for i in range(blocks.count()):
            block = blocks.nth(i)
            method = block.locator(".opblock-summary-method").inner_text().strip().upper()
            path = block.locator(".opblock-summary-path").get_attribute("data-path")
            listed.add((method, path))
        assert listed == expected
        expect(page.get_by_role("heading", name="Respite API")).to_be_visible()
    finally:
        context.close()

    assert off_host == []
    assert any(u.endswith("/static/ninja/swagger-ui-bundle.js") for u in requested)
    assert any(u.endswith("/api/v1/openapi.json") for u in requested)
    assert errors == []
