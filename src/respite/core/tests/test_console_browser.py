"""In Chromium, on a desktop in English and on a phone in Spanish: a platform admin creates an
organization and invites its admin; the admin invites a counselor; each accepts by the emailed link and
sees exactly their navigation. Each sets up a second factor on the way in (the test computes the
authenticator's code from the page's otpauth:// address, as a phone app would). No step touches Django
admin. The worker portal offers counseling only once the counselor exists."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from respite.conftest import PHONE
from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff, run_tasks, totp_code

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


def _link_from_outbox() -> str:
    run_tasks()
    return re.search(r"https?://[^/\s]+(/staff/invitation/[^/\s]+/)", mail.outbox[-1].body).group(1)


def _nav(page) -> list[str]:
    return [t.strip() for t in page.locator("header.staff nav a").all_inner_texts()]


def _new_page(browser, live_server, lang: str, device: str):
    options = {"locale": "es-ES" if lang == "es" else "en-US"}
    if device == "phone":
        options.update(viewport=PHONE, is_mobile=True, has_touch=True)
    else:
        options.update(viewport={"width": 1280, "height": 900})
    context = browser.new_context(**options)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on(
        "request",
        lambda req: page.problems.append("admin: " + req.url) if "/admin/" in req.url else None,
    )
    return context, page


def _axe_violations(page) -> list[str]:
    """axe-core (WCAG 2.x A/AA rules) on the current page: the ids of the rules it finds broken."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]})
    assert results.response["passes"], "axe-core did not run"
    return [v["id"] for v in results.response["violations"]]


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
    assert _axe_violations(page) == []
    uri = page.locator("code.otp-secret").get_attribute("data-otpauth")
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    assert page.locator("code.otp-secret").inner_text().replace(" ", "") == secret.rstrip("=")
    page.fill("input[name=code]", totp_code(secret))
    page.locator("main form.stack button[type=submit]").click()
    page.wait_for_selector("ul.recovery-codes")
    assert page.locator("ul.recovery-codes li").count() == 10
    assert _axe_violations(page) == []
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
def test_platform_admin_to_org_admin_to_counselor(browser, live_server, lang, device, settings):
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
    ctx.close()

    # The worker portal offers no counselor yet.
    ctx, worker = _new_page(browser, live_server, lang, device)
    worker.goto(base + "/o/sunrise/")
    assert worker.locator('a[href="/o/sunrise/counseling/"]').count() == 0

    # 2. The admin accepts and sees the admin's navigation, then invites a counselor.
    admin_ctx, admin = _accept(browser, live_server, lang, device, _link_from_outbox())
    nav = _nav(admin)
    assert nav[0] == t["home"] and t["staff"] in nav and t["audit"] in nav and t["queue"] not in nav
    assert t["orgs"] not in nav  # platform pages are not theirs
    for href in admin.locator("header.staff nav a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    ):
        assert admin.request.get(base + href).status == 200, href
    admin.locator("header.staff nav").get_by_role("link", name=t["staff"]).click()
    admin.fill("input[name=email]", "cora@sunrise.example")
    admin.check("input[name=roles][value=counselor]")
    admin.locator("main form.stack button[type=submit]").click()
    admin.wait_for_url(re.compile(r"/staff/o/sunrise/staff/$"))
    assert "cora@sunrise.example" in admin.locator("main").inner_text()

    # 3. The counselor accepts and sees exactly: staff home and the counseling queue.
    counselor_ctx, counselor = _accept(browser, live_server, lang, device, _link_from_outbox())
    assert _nav(counselor) == [t["home"], t["queue"]]
    header = counselor.locator("header.staff").inner_text()
    assert t["signed_in"] in header and "cora@sunrise.example" in header
    counselor.locator("header.staff nav").get_by_role("link", name=t["queue"]).click()
    assert counselor.url.endswith("/staff/o/sunrise/counseling/")

    # 4. Now the portal offers counseling.
    worker.goto(base + "/o/sunrise/")
    assert worker.locator('a[href="/o/sunrise/counseling/"]').count() == 1

    # 5. Sign out.
    counselor.get_by_role("button", name=t["sign_out"]).click()
    counselor.goto(base + "/staff/")
    assert "/staff/login/" in counselor.url
    for p in (admin, counselor, worker):
        assert p.problems == [], p.problems
    for c in (ctx, admin_ctx, counselor_ctx):
        c.close()
