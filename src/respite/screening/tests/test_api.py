"""The JSON API under /api/v1/: instruments, scoring without storage, submissions, lookups, FHIR."""

from __future__ import annotations

import json

import pytest

from respite.screening.instruments import registry
from respite.screening.models import Screening

pytestmark = pytest.mark.django_db


def post(client, url, payload, **extra):
    return client.post(url, json.dumps(payload), content_type="application/json", **extra)


def test_openapi_schema_lists_the_screening_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/instruments",
        "/api/v1/score",
        "/api/v1/screenings",
        "/api/v1/screenings/lookup",
    ]:
        assert path in schema["paths"]


def test_list_instruments_in_spanish(client):
    data = client.get("/api/v1/instruments?lang=es").json()["contents"]
    assert {d["id"] for d in data} == set(registry())
    phq9 = client.get("/api/v1/instruments/phq9?lang=es").json()
    assert phq9["items"][0]["text"].startswith("Poco interés")
    assert client.get("/api/v1/instruments/nope").status_code == 404


def test_score_stores_nothing(client):
    response = post(
        client, "/api/v1/score", {"instrument": "gad7", "answers": [2, 2, 2, 2, 2, 1, 0]}
    )
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["score"] == 11 and result["band"] == "moderate" and result["tier"] == "counseling"
    assert not Screening.objects.exists()


def test_crisis_answer_returns_crisis_options_first(client):
    response = post(
        client,
        "/api/v1/score",
        {"instrument": "phq9", "answers": {str(i): 0 for i in range(1, 9)} | {"9": 2}},
    )
    data = response.json()
    assert data["crisis"] is True
    assert data["crisis_options"][0]["id"] == "lifeline988"
    assert list(data)[0] == "crisis"


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ({"1": 0}, "item 2: an answer is required"),
        ({"1": 0, "2": 7}, "item 2: 7 is not an allowed answer"),
        ([0, 1, 2], "has 2 items, got 3 answers"),
        ({"1": 0, "2": 1, "x": 1}, "item x"),
    ],
)
def test_invalid_answers_get_422_naming_the_item(client, answers, fragment):
    response = post(client, "/api/v1/score", {"instrument": "phq2", "answers": answers})
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_malformed_payloads_get_4xx_not_500(client):
    assert post(client, "/api/v1/score", {"instrument": "phq2"}).status_code == 422
    assert client.post(
        "/api/v1/score", b"{not json", content_type="application/json"
    ).status_code in (400, 422)
    assert post(client, "/api/v1/score", {"instrument": "nope", "answers": {}}).status_code == 422
    assert (
        post(
            client, "/api/v1/score", {"instrument": "phq2", "answers": {"1": True, "2": 0}}
        ).status_code
        == 422
    )


def test_submit_and_fetch_by_access_code(client, org):
    payload = {
        "organization": org.slug,
        "save": True,
        "results": [
            {"instrument": "phq2", "answers": [1, 1]},
            {"instrument": "burnout", "answers": [3]},
        ],
    }
    response = post(
        client,
        "/api/v1/screenings",
        payload,
        REMOTE_ADDR="203.0.113.50",
        HTTP_USER_AGENT="CanaryAgent/1.0",
    )
    assert response.status_code == 201
    code = response.json()["access_code"]
    assert len(code.split("-")) == 8
    history = post(client, "/api/v1/screenings/lookup", {"access_code": code}).json()
    assert len(history) == 1 and [r["instrument"] for r in history[0]["results"]] == [
        "phq2",
        "burnout",
    ]
    assert post(client, "/api/v1/screenings/lookup", {"access_code": "zoo " * 8}).status_code == 404


def test_unsaved_submission_keeps_nothing(client, org):
    response = post(
        client,
        "/api/v1/screenings",
        {"organization": org.slug, "results": [{"instrument": "phq2", "answers": [0, 0]}]},
    )
    assert response.status_code == 201 and response.json()["access_code"] is None
    assert not Screening.objects.exists()


def test_submit_rejects_unknown_organization_and_role(client, org):
    base = {"results": [{"instrument": "phq2", "answers": [0, 0]}]}
    assert post(client, "/api/v1/screenings", {**base, "organization": "nope"}).status_code == 404
    assert (
        post(
            client,
            "/api/v1/screenings",
            {**base, "organization": org.slug, "role_group": "astronaut"},
        ).status_code
        == 422
    )
