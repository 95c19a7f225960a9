from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_framework_list_and_detail(client):
    listing = client.get("/api/v1/assessments/frameworks").json()["contents"]
    assert {f["id"] for f in listing} >= {"all_in", "ihi_heal", "sts_pillars", "national_plan"}
    detail = client.get("/api/v1/assessments/frameworks/sts_pillars?lang=es").json()
    assert detail["areas"][0]["name"] == "Liderazgo"
    assert detail["scale"][-1] == {"value": 3, "label": "Plenamente implementado"}
    assert detail["areas"][1]["criteria"][0]["evidence"]


def test_unknown_framework_and_bad_language_are_4xx_with_detail(client):
    response = client.get("/api/v1/assessments/frameworks/nope")
    assert response.status_code == 404 and "nope" in response.json()["detail"]
    response = client.get("/api/v1/assessments/frameworks?lang=fr")
    assert response.status_code == 422 and "detail" in response.json()
