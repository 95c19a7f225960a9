"""The result page's shared panels (crisis options, matched services, self-care) are built once per
result of a kind and kept per process (issue 19): they hold nothing of one worker, and a change to the
directory, the organization's curation or its own people shows on the next page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from respite.core.tests.test_query_budgets import CHECKIN
from respite.directory.models import Curation, Service
from respite.screening import result_panels

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(db):
    from respite.directory.demo import SEED_FILE
    from respite.directory.hsds import import_json

    assert not import_json(SEED_FILE).errors


def _result(org, lang: str = "en") -> str:
    worker = Client()
    worker.cookies["django_language"] = lang
    response = worker.post(f"/o/{org.slug}/check-in/", CHECKIN)
    assert response.status_code == 302
    return worker.get(response["Location"]).content.decode()


def _services(page: str) -> list[str]:
    return re.findall(r'data-service="([^"]+)"', page)


def test_two_workers_share_the_panels_but_not_each_other_s_links(org, directory):
    first, second = _result(org), _result(org)
    assert _services(first) and _services(first) == _services(second)
    # Each page carries its own save link and token, never the other worker's.
    save = re.compile(r'action="([^"]*/save/)"')
    assert set(save.findall(first)).isdisjoint(save.findall(second))
    for panels in result_panels._cache.values():
        text = "".join(str(v) for v in panels.values())
        assert "/results/" not in text and "csrfmiddlewaretoken" not in text


def test_a_service_the_organization_hides_leaves_the_next_page(org, directory):
    shown = _services(_result(org))
    Curation.objects.create(organization=org, service_id=shown[0], hidden=True)
    assert shown[0] not in _services(_result(org))


def test_a_service_removed_from_the_directory_leaves_the_next_page(org, directory):
    shown = _services(_result(org))
    Service.objects.filter(pk=shown[0]).delete()
    assert shown[0] not in _services(_result(org))


def test_spanish_and_english_workers_get_their_own_panels(org, directory):
    assert "Looking after yourself" in _result(org, "en")
    spanish = _result(org, "es")
    assert "Looking after yourself" not in spanish
    assert "Looking after yourself" in _result(org, "en")


def test_result_lines_escape_every_value_and_name_scales_only_when_there_are_several():
    from respite.screening import instruments

    phq9 = instruments.get("phq9")
    one = phq9.score({item.id: 1 for item in phq9.items}).as_dict("en")
    hostile = {
        "instrument": "x",
        "short_name": "<script>alert(1)</script>",
        "score": None,
        "band": 'a" onmouseover="x',
        "scales": [
            {"name": "<b>A</b>", "label": "L&1", "score": 2, "explanation": "<img src=x>"},
            {"name": "B", "label": "L2", "score": None, "explanation": "two"},
        ],
    }
    html = str(result_panels.result_lines([one, hostile]))
    assert html.count("<li ") == 2 and html.count("<details>") == 2
    # One scale: its label and score in the summary, its explanation without a scale name.
    assert f"<strong>PHQ-9:</strong> {one['scales'][0]['label']} ({one['score']})</summary>" in html
    assert f"<p>{one['scales'][0]['explanation']}</p>" in html
    # Several scales: each named; no score, no parentheses.
    assert "<strong>&lt;b&gt;A&lt;/b&gt;:</strong> L&amp;1 (2). &lt;img src=x&gt;</p>" in html
    assert "<p><strong>B:</strong> L2. two</p>" in html
    for raw in ("<script>", "<img", 'a" onmouseover'):
        assert raw not in html
