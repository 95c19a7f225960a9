"""The installable app: manifest, service worker, and what it may keep offline (crisis page, safety plan)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from respite.core.testing import make_org

PLAN = {
    "warning_signs": "Racing thoughts at 4am",
    "coping": "Cold water on my face",
    "distractions": "",
    "helpers": "Sam",
    "professionals": "",
    "environment": "",
    "reasons": "My garden",
}


@pytest.mark.django_db
def test_manifest_is_installable_and_names_the_portal(client, org):
    response = client.get(f"/o/{org.slug}/manifest.webmanifest")
    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert (
        data["name"] == org.name
        and data["start_url"] == f"/o/{org.slug}/"
        and data["display"] == "standalone"
    )
    assert {"192x192", "512x512"} <= {i["sizes"] for i in data["icons"]}
    assert client.get("/o/nope/manifest.webmanifest").status_code == 404
    assert (
        f'rel="manifest" href="/o/{org.slug}/manifest.webmanifest"'
        in client.get(f"/o/{org.slug}/").content.decode()
    )


@pytest.mark.django_db
def test_service_worker_precaches_only_the_crisis_page_offline_page_and_static_files(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    precache = json.loads(
        re.search(r"const PRECACHE = (\[.*?\]);", response.content.decode()).group(1)
    )
    pages = [p for p in precache if not p.startswith("/static/")]
    assert pages == ["/crisis/", "/offline/"]
    assert client.post("/sw.js").status_code == 405


@pytest.mark.django_db
def test_offline_page_shows_the_crisis_lines(client):
    body = client.get("/offline/").content.decode()
    assert 'href="tel:988"' in body and "741741" in body


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_crisis_page_and_the_safety_plan_open_with_the_network_off(phone):
    org = make_org("pwa", name="Night Shift Health")
    page = phone
    page.goto(f"{page.base}/o/{org.slug}/")
    assert page.locator('link[rel="manifest"]').count() == 1
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller === null"
        " ? navigator.serviceWorker.ready.then(() => true) : true",
        timeout=60000,
    )
    page.evaluate("() => navigator.serviceWorker.ready")
    page.reload()  # now controlled by the worker
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60000)

    # write a plan (the worker gets a code) and open it once online
    page.goto(f"{page.base}/o/{org.slug}/my/safety-plan/edit/")
    for name, text in PLAN.items():
        if text:
            page.locator(f'textarea[name="{name}"]').fill(text)
    page.locator("form.safety-plan-form button[type=submit]").click()
    expect(page.get_by_test_id("access-code")).to_be_visible()
    page.get_by_role("link", name="Open my safety plan").click()
    expect(page.get_by_test_id("safety-plan")).to_contain_text("Cold water on my face")
    page.wait_for_function(
        "() => caches.open('respite-plan').then(c => c.keys()).then(k => k.length === 1)",
        timeout=60000,
    )

    page.context.set_offline(True)
    page.goto(f"{page.base}/crisis/")
    expect(page.locator("section.crisis")).to_contain_text("988")
    page.goto(f"{page.base}/o/{org.slug}/my/safety-plan/")
    expect(page.get_by_test_id("safety-plan")).to_contain_text("Cold water on my face")
    page.goto(
        f"{page.base}/o/{org.slug}/my/history/"
    )  # not kept: the offline page, with crisis lines
    expect(page.locator("h1")).to_have_text("You are offline")
    page.context.set_offline(False)

    # nothing personal other than the plan is cached
    cached = page.evaluate("""async () => { const out = [];
        for (const name of await caches.keys()) { const c = await caches.open(name);
          for (const r of await c.keys()) out.push(new URL(r.url).pathname); } return out; }""")
    assert {p for p in cached if not p.startswith("/static/")} == {
        "/crisis/",
        "/offline/",
        f"/o/{org.slug}/my/safety-plan/",
    }

    # closing the space on this device removes the offline copy
    page.goto(f"{page.base}/o/{org.slug}/my/history/")
    page.get_by_role("button", name="Close my results on this device").click()
    page.wait_for_load_state()
    remaining = page.evaluate("""async () => { const out = [];
        for (const name of await caches.keys()) { const c = await caches.open(name);
          for (const r of await c.keys()) out.push(new URL(r.url).pathname); } return out; }""")
    assert not any("safety-plan" in p for p in remaining)
    assert not page.problems, page.problems


@pytest.mark.django_db
def test_service_worker_carries_the_web_push_handlers(client):
    body = client.get("/sw.js").content.decode()
    assert 'importScripts("/static/respite/sw-push.js")' in body
    assert client.get("/static/respite/sw-push.js").status_code == 200
