"""A worker searches on a phone in English and Spanish; an XSS payload in a description stays inert."""

from __future__ import annotations

import pytest

from respite.core.testing import make_org
from respite.directory.demo import SEED_FILE
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
