"""Every list the API returns is paged the same way (HSDS 3's page shape, as the directory's)."""

from __future__ import annotations

import pytest

from respite.core.testing import PAGE_KEYS
from respite.screening.instruments import registry

pytestmark = pytest.mark.django_db


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_no_endpoint_returns_a_bare_list_and_every_page_has_the_same_shape(client):
    schema = client.get("/api/v1/openapi.json").json()
    paged = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            ok = operation["responses"].get("200") or operation["responses"].get("201")
            content = (ok or {}).get("content", {}).get("application/json")
            if not content:
                continue
            body = _resolve(schema, content["schema"])
            if method == "get":
                assert body.get("type") != "array", f"GET {path} returns a bare list"
            if "contents" in body.get("properties", {}):
                assert set(body["properties"]) >= PAGE_KEYS, path
                paged.append(path)
    assert (
        len(paged) >= 9
    )  # instruments, frameworks, posts, tiers, therapists, surveys, measures, services, orgs


def test_pages_walk_through_a_list(client):
    total = len(registry())
    first = client.get("/api/v1/instruments?per_page=2").json()
    assert (
        first["total_items"] == total
        and first["size"] == 2
        and first["first_page"]
        and not first["last_page"]
    )
    seen = []
    for number in range(1, first["total_pages"] + 1):
        page = client.get(f"/api/v1/instruments?per_page=2&page={number}").json()
        assert page["page_number"] == number
        seen += [i["id"] for i in page["contents"]]
    assert sorted(seen) == sorted(registry()) and page["last_page"]
    beyond = client.get(f"/api/v1/instruments?per_page=2&page={first['total_pages'] + 1}").json()
    assert beyond["empty"] and beyond["contents"] == []


@pytest.mark.parametrize("query", ["per_page=0", "per_page=101", "page=0", "page=x"])
def test_bad_page_parameters_are_422_problems(client, query):
    response = client.get(f"/api/v1/instruments?{query}")
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
