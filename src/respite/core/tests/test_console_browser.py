"""In Chromium, on a desktop in English and on a phone in Spanish: a platform admin creates an
organization and invites its admin; the admin imports the unit tree by CSV (dry run, then apply) and
invites a counselor, a peer supporter and a volunteer therapist; each accepts by the emailed link and
sees exactly their navigation. Each sets up a second factor on the way in (the test computes the
authenticator's code from the page's otpauth:// address, as a phone app would). No request of the walk
goes to Django admin. The worker portal offers counseling only once the counselor exists."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string

from respite.core.navigation import _link
from respite.core.roles import StaffRole
from respite.core.testing import (
    PASSWORD,
    axe_violations,
    browser_page,
    find,
    make_staff,
    run_tasks,
    totp_code,
)
from respite.core.tests.test_workspace_browser import TEXT as UNITS_TEXT
from respite.pulse.models import Unit

PASSPHRASE = "a long enough passphrase 42"

TEXT = {
    "en": {
        "orgs": "Organizations",
        "staff": "Staff and roles",
        "home": "Staff home",
        "queue": "Counseling queue",
        "signed_in": "Signed in as",
        "sign_out": "Sign out",
        "audit": "Audit log",
        "enrol": "Set up two-factor sign-in",
        "continue": "I have saved them — continue",
    },
    "es": {
        "orgs": "Organizaciones",
        "staff": "Personal y roles",
        "home": "Inicio del personal",
        "queue": "Cola de consejería",
        "signed_in": "Sesión iniciada como",
        "sign_out": "Cerrar sesión",
        "audit": "Registro de auditoría",
        "enrol": "Configura el inicio de sesión en dos pasos",
        "continue": "Ya los guardé: continuar",
    },
}


def _link_from_outbox(to: str | None = None) -> str:
    """The invitation link in the latest email (to ``to``, when given)."""
    run_tasks()
    for message in reversed(mail.outbox):
        found = re.search(r"https?://[^/\s]+(/staff/invitation/[^/\s]+/)", str(message.body))
        if found and (to is None or to in message.to):
            return found.group(1)
    raise AssertionError(f"no invitation link to {to} in {[m.to for m in mail.outbox]}")


def _nav(page) -> list[str]:
    return [t.strip() for t in page.locator("header.staff nav a").all_inner_texts()]


def _nav_links(page) -> set[tuple[str, str]]:
    return {
        (href, text.strip())
        for href, text in page.locator("header.staff nav a").evaluate_all(
            "els => els.map(e => [e.getAttribute('href'), e.innerText])"
        )
    }


def _declared_org_links(slug: str, lang: str) -> dict[str, tuple[str, frozenset[str]]]:
    """Every organization page the apps declare (``respite_staff_nav``): href -> (label, roles)."""
    declared: dict[str, tuple[str, frozenset[str]]] = {}
    with translation.override(lang):
        for config in apps.get_app_configs():
            for name, label, roles in getattr(config, "respite_staff_nav", []):
                href = _link(name, slug)  # as the header links it
                old = declared.get(href, (str(label), frozenset()))
                declared[href] = (old[0], old[1] | {str(r) for r in roles})
    return declared


def _expected_nav(email: str, role: str, slug: str, lang: str) -> set[tuple[str, str]]:
    """What the apps declare for one role (plus staff home and the global pages whose predicate holds
    for the person): the navigation must be exactly this, nothing of another role."""
    user = get_user_model().objects.get(username=email)
    with translation.override(lang):
        expected = {(reverse("core:staff_home"), str(TEXT[lang]["home"]))}
        for href, (label, roles) in _declared_org_links(slug, lang).items():
            if role in roles:
                expected.add((href, label))
        for config in apps.get_app_configs():
            for name, label, predicate in getattr(config, "respite_staff_global_nav", []):
                if import_string(predicate)(user):
                    expected.add((reverse(name), str(label)))
    return expected


def _new_page(browser, live_server, lang: str, device: str):
    # page.requests records every URL asked for: the walk must never reach Django admin.
    return browser_page(browser, lang, device)


def _admin_requests(*pages) -> list[str]:
    return [url for p in pages for url in p.requests if "/admin/" in url]


def _enrol(page, t) -> None:
    """On the set-up page: read the key from the QR code's otpauth:// address, type the code an app
    would show, see the recovery codes once, continue."""
    page.wait_for_url(re.compile(r"/staff/two-factor/"))
    assert page.locator("h1").inner_text() == t["enrol"]
    qr = page.locator("figure.qr svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box["width"] >= 120 and box["x"] >= 0  # scannable, and on screen on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []
    uri = page.locator("code.otp-secret").get_attribute("data-otpauth") or ""
    secret = find(r"secret=([A-Z2-7]+)", uri)
    assert page.locator("code.otp-secret").inner_text().replace(" ", "") == secret.rstrip("=")
    page.fill("input[name=code]", totp_code(secret))
    page.locator("main form.stack button[type=submit]").click()
    page.wait_for_selector("ul.recovery-codes")
    assert page.locator("ul.recovery-codes li").count() == 10
    assert axe_violations(page) == []
    page.get_by_role("link", name=t["continue"]).click()
    page.wait_for_url(re.compile(r"/staff/$"))


def _accept(browser, live_server, lang, device, link):
    context, page = _new_page(browser, live_server, lang, device)
    page.goto(live_server.url + link)
    page.fill("input[name=password1]", PASSPHRASE)
    page.fill("input[name=password2]", PASSPHRASE)
    page.locator("main button[type=submit]").click()
    _enrol(page, TEXT[lang])
    return context, page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("lang", "device"), [("en", "desktop"), ("es", "phone")])
def test_platform_admin_to_org_admin_to_staff(
    browser, live_server, tmp_path, lang, device, settings
):
    settings.RESPITE_TWO_FACTOR_REQUIRED = True
    t = TEXT[lang]
    platform = make_staff(None, StaffRole.PLATFORM_ADMIN, "platform")
    base = live_server.url

    # 1. The platform admin signs in and creates the organization from the console.
    ctx, page = _new_page(browser, live_server, lang, device)
    page.goto(base + "/staff/login/")
    page.fill("input[name=username]", platform.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    # The password alone opens nothing: the platform admin sets up a second factor first.
    _enrol(page, t)
    assert t["signed_in"] in page.locator("header.staff").inner_text()
    page.locator("header.staff nav").get_by_role("link", name=t["orgs"]).click()
    page.fill("input[name=slug]", "sunrise")
    page.fill("input[name=name]", "Sunrise Clinic")
    page.fill("input[name=state]", "CA")
    page.select_option("select[name=time_zone]", "America/Los_Angeles")
    page.fill("input[name=admin_email]", "boss@sunrise.example")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/o/sunrise/staff/$"))
    assert page.problems == []
    assert _admin_requests(page) == []
    ctx.close()

    # The worker portal offers no counselor yet.
    ctx, worker = _new_page(browser, live_server, lang, device)
    worker.goto(base + "/o/sunrise/")
    assert worker.locator('a[href="/o/sunrise/counseling/"]').count() == 0

    # 2. The admin accepts and sees the admin's navigation.
    admin_ctx, admin = _accept(browser, live_server, lang, device, _link_from_outbox())
    nav = _nav(admin)
    assert nav[0] == t["home"] and t["staff"] in nav and t["audit"] in nav and t["queue"] not in nav
    assert t["orgs"] not in nav  # platform pages are not theirs
    assert _nav_links(admin) == _expected_nav("boss@sunrise.example", "org_admin", "sunrise", lang)
    for href in admin.locator("header.staff nav a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    ):
        assert admin.request.get(base + href).status == 200, href

    # 3. The admin imports the unit tree by CSV: a dry run first, then apply.
    u = UNITS_TEXT[lang]
    units = tmp_path / "units.csv"
    units.write_text("name,parent\nMain Hospital,\nEmergency,Main Hospital\n", encoding="utf-8")
    admin.locator("header.staff nav").get_by_role("link", name=u["units"]).click()
    admin.wait_for_url(re.compile(r"/staff/o/sunrise/units/$"))
    admin.set_input_files("input[type=file]", str(units))
    admin.get_by_role("button", name=u["check"]).click()
    admin.get_by_role("button", name=u["apply"]).wait_for()
    assert u["plan"] in admin.locator("main").inner_text()
    assert not Unit.objects.filter(
        organization__slug="sunrise"
    ).exists()  # a dry run changes nothing
    admin.get_by_role("button", name=u["apply"]).click()
    admin.wait_for_url(re.compile(r"/staff/o/sunrise/units/$"))
    assert u["done"] in admin.locator("main").inner_text()
    tree = {
        x.name: x.parent and x.parent.name
        for x in Unit.objects.filter(organization__slug="sunrise")
    }
    assert tree == {"Main Hospital": None, "Emergency": "Main Hospital"}

    # 4. The admin invites a counselor, a peer supporter and a volunteer therapist.
    people = [
        ("cora@sunrise.example", "counselor"),
        ("pat@sunrise.example", "peer_supporter"),
        ("vega@sunrise.example", "volunteer_therapist"),
    ]
    for email, role in people:
        admin.locator("header.staff nav").get_by_role("link", name=t["staff"]).click()
        admin.wait_for_url(re.compile(r"/staff/o/sunrise/staff/$"))
        admin.fill("input[name=email]", email)
        admin.check(f"input[name=roles][value={role}]")
        admin.locator("main form.stack button[type=submit]").click()
        admin.wait_for_url(re.compile(r"/staff/o/sunrise/staff/$"))
        assert email in admin.locator("main").inner_text()

    # 5. Each accepts, sets up a second factor and sees exactly their role's navigation: every link
    # opens, and no page declared for another role does.
    declared = _declared_org_links("sunrise", lang)
    pages, contexts = [admin, worker], [ctx, admin_ctx]
    for email, role in people:
        context, page = _accept(browser, live_server, lang, device, _link_from_outbox(email))
        pages.append(page)
        contexts.append(context)
        header = page.locator("header.staff").inner_text()
        assert t["signed_in"] in header and email in header
        links = _nav_links(page)
        assert links == _expected_nav(email, role, "sunrise", lang), (role, links)
        assert len(links) >= 2, links  # staff home and at least one page of the role
        for href, _label in links:
            assert page.request.get(base + href).status == 200, (role, href)
        for href in set(declared) - {href for href, _label in links}:
            status = page.request.get(base + href, max_redirects=0).status
            assert status in (302, 403, 404), (role, href, status)
    counselor = pages[2]
    assert _nav(counselor) == [t["home"], t["queue"]]
    counselor.locator("header.staff nav").get_by_role("link", name=t["queue"]).click()
    assert counselor.url.endswith("/staff/o/sunrise/counseling/")

    # 6. Now the portal offers counseling.
    worker.goto(base + "/o/sunrise/")
    assert worker.locator('a[href="/o/sunrise/counseling/"]').count() == 1

    # 7. Sign out.
    counselor.get_by_role("button", name=t["sign_out"]).click()
    counselor.goto(base + "/staff/")
    assert "/staff/login/" in counselor.url
    for p in pages:
        assert p.problems == [], p.problems
    assert all(p.requests for p in pages)
    assert _admin_requests(*pages) == []
    for c in contexts:
        c.close()
