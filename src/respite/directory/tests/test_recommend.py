"""The recommend() contract other apps call, and the screening result panel."""

from __future__ import annotations

import pytest
from django.template import Context, Template

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


def test_result_panel_renders_recommendations_and_escapes_nothing_dangerous(
    demo_directory, riverside, rf
):
    Service.objects.filter(pk="battle-within").update(
        description="<p>x</p><script>alert(1)</script>"
    )
    s = Service.objects.get(pk="battle-within")
    s.save()  # sanitizes
    screening = type(
        "S",
        (),
        {"tier": "counseling", "role_group": "nurse", "language": "en", "organization": riverside},
    )()
    request = rf.get("/")
    html = Template("{% include 'directory/recommend_panel.html' %}").render(
        Context({"screening": screening, "organization": riverside, "request": request})
    )
    assert "Support you can use" in html
    assert "Riverside Employee Assistance Program" in html
    assert "<script>" not in html
