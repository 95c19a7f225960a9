"""The recommend() contract other apps call (screening routing, community actions)."""

from __future__ import annotations

import pytest

from respite.core.roles import RoleGroup
from respite.directory.models import Curation, Service
from respite.directory.search import recommend

KEYS = {
    "id",
    "name",
    "description",
    "url",
    "phone",
    "channels",
    "confidentiality",
    "available_24_7",
}


def test_crisis_tier_gives_24_7_crisis_lines_988_first(directory):
    cards = recommend(tier="crisis", role_group="nurse")
    assert cards and cards[0]["name"].startswith("988")
    assert all(c["available_24_7"] for c in cards)
    assert set(cards[0]) >= KEYS
    assert cards[0]["phone"] == "988"


@pytest.mark.parametrize("tier", ["self_care", "counseling", "urgent", "crisis", None])
def test_never_an_ineligible_or_hidden_service(demo_directory, riverside, tier):
    Curation.objects.create(organization=riverside, service_id="emotional-ppe", hidden=True)
    for role in ["", *RoleGroup.values]:
        cards = recommend(organization=riverside, tier=tier, role_group=role, limit=50)
        services = Service.objects.in_bulk([c["id"] for c in cards])
        assert cards and "emotional-ppe" not in services
        for s in services.values():
            assert not role or not s.roles or role in s.roles
            assert s.portal_id in (None, riverside.pk)
            if tier:
                assert tier in s.tiers


def test_counseling_for_a_nurse_is_confidential_therapy_and_own_eap(demo_directory, riverside):
    ids = [
        c["id"] for c in recommend(organization=riverside, tier="counseling", role_group="nurse")
    ]
    assert "physician-support-line" not in ids
    assert ids[0] == "riverside-eap"
    assert "php-directory" in ids


def test_featured_services_come_first_and_spanish_names(demo_directory, riverside):
    Curation.objects.create(organization=riverside, service_id="battle-within", featured=True)
    cards = recommend(organization=riverside, tier="counseling", language="es")
    assert cards[0]["id"] == "battle-within"
    assert recommend(tier="crisis", language="es")[0]["name"].startswith("988 Línea")


def test_cached_recommendations_follow_every_change_of_directory_or_curation(
    demo_directory, riverside, django_assert_max_num_queries
):
    """Repeated result pages are served from the per-process cache (a few small queries), yet hiding,
    featuring or editing a service shows at once."""
    first = recommend(organization=riverside, tier="counseling", role_group="nurse")
    with django_assert_max_num_queries(2):  # the directory's fingerprint and the curation rows
        assert recommend(organization=riverside, tier="counseling", role_group="nurse") == first
    shown = first[0]["id"]
    Curation.objects.create(organization=riverside, service_id=shown, hidden=True)
    assert shown not in [
        c["id"] for c in recommend(organization=riverside, tier="counseling", role_group="nurse")
    ]
    Curation.objects.filter(organization=riverside, service_id=shown).update(
        hidden=False, featured=True
    )
    Curation.objects.create(organization=riverside, service_id="battle-within", featured=True)
    assert recommend(organization=riverside, tier="counseling", role_group="nurse")[0]["id"] in {
        shown,
        "battle-within",
    }
    service = Service.objects.get(pk="battle-within")
    service.name = "The Battle Within (renamed)"
    service.save()
    names = [c["name"] for c in recommend(organization=riverside, tier="counseling")]
    assert "The Battle Within (renamed)" in names
    # A caller changing its copy does not change what the next page gets.
    cards = recommend(organization=riverside, tier="counseling")
    cards[0]["name"] = "tampered"
    cards[0]["channels"].append("tampered")
    again = recommend(organization=riverside, tier="counseling")
    assert again[0]["name"] != "tampered" and "tampered" not in again[0]["channels"]


def test_search_never_shows_a_service_hidden_or_withdrawn_after_its_eligibility_was_cached(
    client, demo_directory, riverside
):
    """Eligibility is cached beside the ranking index; hiding (curation) or withdrawing (status) a
    service must still take effect on the very next search, over the worker's page."""
    from django.urls import reverse

    url = reverse("directory:search", kwargs={"org": riverside.slug})
    assert b"The Battle Within" in client.get(url, {"q": "free therapy grief"}).content
    assert b"The Battle Within" in client.get(url, {"q": "free therapy grief"}).content  # cached
    Curation.objects.create(organization=riverside, service_id="battle-within", hidden=True)
    assert b"The Battle Within" not in client.get(url, {"q": "free therapy grief"}).content
    Curation.objects.filter(organization=riverside).delete()
    assert b"The Battle Within" in client.get(url, {"q": "free therapy grief"}).content
    service = Service.objects.get(pk="battle-within")
    service.status = "inactive"
    service.save()
    assert b"The Battle Within" not in client.get(url, {"q": "free therapy grief"}).content
