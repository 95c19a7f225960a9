"""In Chromium, on a desktop in English and on a phone in Spanish: an organization admin imports the
unit tree by CSV in the console (dry run, errors by line, apply); a new organization offers workers no
counselor, peer supporter or volunteer therapist until one exists, and each turns its help on."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, browser_page, make_org, make_staff, make_user
from respite.pulse.models import Unit

TEXT = {
    "en": {
        "units": "Units and departments",
        "check": "Check the file",
        "apply": "Apply these changes",
        "line": "Line 3: The parent “Nowhere” is neither in the tree nor in this file.",
        "plan": "2 to add, 0 to change",
        "done": "Units imported: 2 added, 0 changed.",
        "talk": "Talk to someone",
        "peers": "Peer support",
    },
    "es": {
        "units": "Unidades y departamentos",
        "check": "Revisar el archivo",
        "apply": "Aplicar estos cambios",
        "line": "Línea 3: La unidad superior “Nowhere” no está en el árbol ni en este archivo.",
        "plan": "2 por agregar, 0 por cambiar",
        "done": "Unidades importadas: 2 agregadas, 0 cambiadas.",
    },
}


def _page(browser, lang: str, device: str):
    return browser_page(browser, lang, device)


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/staff/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/$"))


CASES = [("en", "desktop"), ("es", "phone")]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("lang", "device"), CASES)
def test_admin_imports_units_by_csv(browser, live_server, tmp_path, lang, device):
    t = TEXT[lang]
    org = make_org("sunrise", name="Sunrise Clinic")
    make_staff(org, StaffRole.ORG_ADMIN, "boss")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,parent\nMain Hospital,\nNight shift,Nowhere\n", encoding="utf-8")
    good = tmp_path / "units.csv"
    good.write_text("name,parent\nMain Hospital,\nEmergency,Main Hospital\n", encoding="utf-8")
    context, page = _page(browser, lang, device)
    _sign_in(page, live_server.url, "boss")

    page.locator("header.staff nav").get_by_role("link", name=t["units"]).click()
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name=t["check"]).click()
    assert t["line"] in page.locator("main").inner_text()
    assert not Unit.objects.filter(organization=org).exists()
    # The refused file's page answers 400 on purpose; the console logs that as a failed load.
    assert page.problems == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.problems.clear()

    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name=t["check"]).click()
    assert t["plan"] in page.locator("main").inner_text()
    assert not Unit.objects.filter(organization=org).exists()
    page.get_by_role("button", name=t["apply"]).click()
    page.wait_for_url(re.compile(r"/staff/o/sunrise/units/$"))
    assert t["done"] in page.locator("main").inner_text()
    tree = {u.name: u.parent and u.parent.name for u in Unit.objects.filter(organization=org)}
    assert tree == {"Main Hospital": None, "Emergency": "Main Hospital"}
    assert page.problems == []
    context.close()


def _offers(page, base: str) -> tuple[bool, bool]:
    page.goto(base + "/o/sunrise/")
    menu = page.locator("header.site nav")
    return (
        menu.locator('a[href="/o/sunrise/counseling/"]').count() == 1,
        menu.locator('a[href="/o/sunrise/peer-support/"]').count() == 1,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("lang", "device"), CASES)
def test_a_new_organization_offers_only_help_that_exists(browser, live_server, lang, device):
    from respite.counseling.models import Clinician
    from respite.peers.models import Supporter

    org = make_org("sunrise", name="Sunrise Clinic")
    base = live_server.url
    context, worker = _page(browser, lang, device)

    # Nobody yet: no counseling, no peer support.
    assert _offers(worker, base) == (False, False)

    # A verified volunteer therapist taking new workers: "Talk to someone" appears.
    therapist = Clinician.objects.create(
        user=make_user("therapist"),
        display_name="Dr Vega",
        licence_type="lcsw",
        states=["CA"],
        licence_number="L-1",
        languages=["en", "es"],
        modalities=["video"],
        verified_at=timezone.now(),
    )
    assert _offers(worker, base) == (True, False)
    therapist.accepting = False
    therapist.save()
    assert _offers(worker, base) == (False, False)

    # A counselor in this organization turns counseling on.
    counselor = make_staff(org, StaffRole.COUNSELOR, "cora")
    assert _offers(worker, base) == (True, False)
    counselor.is_active = False
    counselor.save()
    assert _offers(worker, base) == (False, False)

    # A peer supporter on the roster turns peer support on.
    supporter = make_staff(org, StaffRole.PEER_SUPPORTER, "pat")
    Supporter.objects.create(organization=org, user=supporter, display_name="Pat")
    assert _offers(worker, base) == (False, True)
    assert worker.problems == []
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("lang", "device"), CASES)
def test_california_staff_see_pacific_times(browser, live_server, lang, device):
    from datetime import UTC, datetime

    from respite.counseling.tests.conftest import make_case

    org = make_org("sunrise", name="Sunrise Clinic", time_zone="America/Los_Angeles")
    make_staff(org, StaffRole.COUNSELOR, "cora")
    admin = make_staff(org, StaffRole.ORG_ADMIN, "boss")
    at = datetime(2026, 7, 1, 18, 0, tzinfo=UTC)  # 11:00 in California (case times are hourly)
    make_case(org, opened=at)
    from respite.core.models import AuditLog

    AuditLog.objects.create(actor=admin, actor_label="boss", organization=org, action="x.y", at=at)
    pacific, utc = ("11 a.m.", "6 p.m.") if lang == "en" else ("11:00", "18:00")

    for username, path, expected, wrong in (
        ("cora", "/staff/o/sunrise/counseling/", pacific, utc),
        ("boss", "/staff/o/sunrise/audit/", "2026-07-01 11:00", "18:00"),
    ):
        context, page = _page(browser, lang, device)
        _sign_in(page, live_server.url, username)
        page.goto(live_server.url + path)
        main = page.locator("main").inner_text()
        assert expected in main and wrong not in main, (path, main)
        assert page.problems == []
        context.close()
