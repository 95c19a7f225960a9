"""The unsaved result page is drawn once per process and outcome, each visitor's own lines, save
address and token filled in per request (issue 19). What must never happen: one worker's page carrying
another worker's scores, save link or token. An attacker's tests, as a second worker would try it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from respite.core.models import AccessCode
from respite.core.testing import find
from respite.core.urlseal import unseal
from respite.screening.models import Screening
from respite.screening.tests.test_worker_flow import checkin_data

pytestmark = pytest.mark.django_db


def _result(org, phq=(0, 0)) -> tuple[Client, Screening, str, str]:
    """A new worker's check-in: their browser, screening, result address and result page."""
    client = Client(enforce_csrf_checks=False)
    response = client.post(f"/o/{org.slug}/check-in/", checkin_data(phq=phq))
    assert response.status_code == 302
    path = response["Location"]
    page = client.get(path)
    assert page.status_code == 200
    pk = unseal(path.rstrip("/").split("/")[-1])
    assert pk is not None
    screening = Screening.objects.get(pk=pk)
    return client, screening, path, page.content.decode()


def _save_links(page: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="([^"]*/save/)"', page))


def _save_tokens(page: str) -> set[str]:
    return set(re.findall(r'<input type="hidden" name="token" value="([^"]+)"', page))


def _phq2_score(page: str) -> str:
    return find(r"<strong>PHQ-2:</strong>[^<(]*\((\d+)\)", page)


def test_a_second_worker_gets_their_own_save_link_and_token_never_the_firsts(org):
    _a, first, _path, first_page = _result(org)
    _b, second, _path, second_page = _result(org)  # the same outcome: the cached frame
    assert first.tier == second.tier and first.pk != second.pk
    for page, screening in ((first_page, first), (second_page, second)):
        links = _save_links(page)
        assert len(links) == 1  # the save form (and the counselor offer's "save first") post here
        assert unseal(links.pop().rstrip("/").split("/")[-2]) == str(screening.pk)
        assert len(_save_tokens(page)) == 1
    assert not _save_links(first_page) & _save_links(second_page)
    assert not _save_tokens(first_page) & _save_tokens(second_page)
    # The second worker's token saves the second worker's result, from a browser that lost its
    # session, and opens nothing of the first's.
    (link,) = _save_links(second_page)
    (token,) = _save_tokens(second_page)
    (first_link,) = _save_links(first_page)
    assert Client().post(first_link, {"token": token}).status_code == 404
    saved = Client().post(link, {"token": token})
    assert saved.status_code == 200 and 'data-testid="access-code"' in saved.content.decode()
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.access_code_id is not None and first.access_code_id is None
    assert AccessCode.objects.count() == 1


def test_each_worker_sees_their_own_scores_in_the_shared_page(org):
    _a, first, _p, first_page = _result(org, phq=(0, 0))
    _b, second, _p, second_page = _result(org, phq=(1, 1))  # still below the cut-off: same outcome
    assert first.tier == second.tier
    assert _phq2_score(first_page) == "0"
    assert _phq2_score(second_page) == "2"
    # And the first worker, coming back, is still shown their own.
    client, _s, path, _page = _result(org, phq=(0, 0))
    assert _phq2_score(client.get(path).content.decode()) == "0"


def test_a_saved_result_is_drawn_for_its_owner_not_taken_from_the_shared_page(org):
    _a, _s, _p, unsaved_page = _result(org)
    client, screening, path, _page = _result(org)
    (link,) = _save_links(client.get(path).content.decode())
    assert client.post(link).status_code == 200
    saved_page = client.get(path).content.decode()
    assert "Open my space" in saved_page and not _save_links(saved_page)
    assert "Open my space" not in unsaved_page
    # A new worker after that still gets a save form of their own.
    _c, third, _p, third_page = _result(org)
    (third_link,) = _save_links(third_page)
    assert unseal(third_link.rstrip("/").split("/")[-2]) == str(third.pk)
    assert third.pk != screening.pk
