"""A worker searches on a phone in English and Spanish; an XSS payload in a description stays inert."""

from __future__ import annotations

import pytest

from respite.core.testing import axe_violations, make_org
from respite.directory.demo import DEMO_LOCAL_FILE, SEED_FILE
from respite.directory.hsds import import_json
from respite.directory.models import Service


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_phone_search_english_spanish_and_inert_xss(phone):
    org = make_org("riverside", name="Riverside Community Health", state="CA")
    assert not import_json(SEED_FILE).errors
    s = Service.objects.get(pk="battle-within")
    s.description = (
        "Free therapy <img src=x onerror=\"document.title='pwned'\">"
        '<script>document.title="pwned"</script><a href="javascript:alert(1)">more</a>'
    )
    s.save()
    page = phone
    page.goto(f"{page.base}/o/{org.slug}/directory/")
    page.fill(
        "input[name=q]", "I can't sleep after a patient died and I'm afraid for my nursing license"
    )
    page.click("button[type=submit]:has-text('Search')")
    cards = page.locator(".dir-card h3")
    first = cards.first.inner_text()
    assert "Physician Health Programs" in first
    assert "Physician Support Line" not in page.content()
    page.fill("input[name=q]", "free therapy grief")
    page.click("button[type=submit]:has-text('Search')")
    assert page.locator(".dir-card", has_text="The Battle Within").count() == 1
    assert page.title() != "pwned"
    assert page.locator(".dir-card script").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    # The page fits a phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # Spanish: switch the interface language, search in Spanish.
    page.click("form.lang button[value=es]")
    page.fill("input[name=q]", "terapia gratis sin seguro")
    page.click("button[type=submit]:has-text('Buscar')")
    text = page.locator(".dir-results").inner_text()
    assert "The Emotional PPE Project (proyecto EPP emocional)" in text
    assert page.problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("lang", "query", "button"),
    [
        ("en", "can't afford groceries this week", "Search"),
        ("es", "ayuda con el alquiler", "Buscar"),
    ],
)
def test_phone_results_come_first_with_big_targets_and_human_hours(phone, lang, query, button):
    org = make_org("riverside", name="Riverside Community Health", state="CA")
    assert not import_json(SEED_FILE).errors
    make_org("lakeview", name="Lakeview Safety-Net Clinic", state="TX")
    assert not import_json(DEMO_LOCAL_FILE).errors
    page = phone
    assert page.viewport_size == {"width": 390, "height": 844}
    page.goto(f"{page.base}/o/{org.slug}/directory/")
    if lang == "es":
        page.click("form.lang button[value=es]")
    page.fill("input[name=q]", query)
    submit = page.locator(f"form.dir-search button[type=submit]:has-text('{button}')").first
    box = submit.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    submit.click()
    page.wait_for_selector(".dir-card")
    # Results first: the first card starts on the first screen, filters stay folded.
    first = page.locator(".dir-card").first.bounding_box()
    assert first["y"] < 844, first
    assert page.locator("details.dir-filters").get_attribute("open") is None
    assert page.locator("details.dir-filters summary").bounding_box()["height"] >= 44
    for link in page.locator(".dir-card .dir-actions a").all()[:6]:
        assert link.bounding_box()["height"] >= 44
    text = page.locator(".dir-results").inner_text()
    assert "UTC" not in text and "MO,TU" not in text
    assert ("Verified" in text or "verified" in text) if lang == "en" else "verificado" in text
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert axe_violations(page) == []
    assert page.problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_phone_service_page_with_imported_hsds_facts_is_accessible(phone, lang):
    """The official HSDS example's costs (in pounds), ages, address, access notes and contact read
    well on a phone and pass axe-core."""
    import json

    from respite.directory.hsds import EXAMPLES_DIR, import_data

    org = make_org("riverside", name="Riverside Community Health", state="CA")
    service = json.loads((EXAMPLES_DIR / "service_full.json").read_text(encoding="utf-8"))
    organization = json.loads((EXAMPLES_DIR / "organization_full.json").read_text(encoding="utf-8"))
    assert import_data({"organizations": [organization], "services": [service]}).errors == []
    page = phone
    page.goto(f"{page.base}/o/{org.slug}/directory/")
    if lang == "es":
        page.click("form.lang button[value=es]")
    page.goto(f"{page.base}/o/{org.slug}/directory/s/{service['id']}/")
    text = page.locator("main").inner_text()
    assert "35 GBP" in text
    assert ("Ages 12 to 100" if lang == "en" else "Edades 12 a 100") in text
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert axe_violations(page) == []
    assert page.problems == []
