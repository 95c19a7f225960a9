"""The unsaved result page is drawn once per process and outcome, each visitor's own lines, save
address and token filled in per request (issue 19). What must never happen: one worker's page carrying
another worker's scores, save link or token. An attacker's tests, as a second worker would try it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from respite.core.models import AccessCode
from respite.core.roles import StaffRole
from respite.core.templatetags import frames
from respite.core.testing import find, make_staff
from respite.core.urlseal import unseal
from respite.screening import result_panels
from respite.screening.models import Screening
from respite.screening.tests.test_worker_flow import checkin_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _drawn_afresh():
    """Each test starts with no page drawn: the first worker of a test is the first of the process."""
    frames.clear()
    result_panels.clear()
    yield
    frames.clear()
    result_panels.clear()


def _result(org, phq=(0, 0), burnout=1) -> tuple[Client, Screening, str, str]:
    """A new worker's check-in: their browser, screening, result address and result page."""
    client = Client(enforce_csrf_checks=False)
    response = client.post(f"/o/{org.slug}/check-in/", checkin_data(phq=phq, burnout=burnout))
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
        assert (
            len(links) == 1
        )  # the save form (no counselor here to offer "save first, then share")
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


def _masked(page: str) -> str:
    """The page without what differs on every request anyway: tokens and the nonce."""
    page = re.sub(r'value="[^"]{30,}"', 'value="…"', page)
    page = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": "…"', page)
    return re.sub(r'nonce="[^"]+"', 'nonce="…"', page)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"burnout": 1}, {"burnout": 3}),
        ({"burnout": 3}, {"burnout": 1}),
        ({}, {"phq": (1, 1)}),
        # Burnout at five asks for a safety check, at four it does not.
        ({"burnout": 4}, {"burnout": 5}),
        ({"burnout": 5}, {"burnout": 4}),
    ],
)
def test_a_page_from_the_shared_frame_is_the_page_drawn_afresh(org, first, second):
    """Calm and strained answers can share a key (no own people here to tell them apart): the
    second worker's words, tier and matched services are still their own."""
    _result(org, **first)
    client, _s, path, shared = _result(org, **second)
    frames.clear()
    result_panels.clear()
    assert _masked(shared) == _masked(client.get(path).content.decode())


def _cssrs(org, answers: dict[str, int]) -> str:
    client = Client()
    response = client.post(f"/o/{org.slug}/screenings/cssrs/", answers)
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def test_a_high_risk_section_is_never_shown_to_the_next_worker_nor_taken_from_them(org):
    high = {f"cssrs__{n}": 1 for n in ("1", "2", "3", "4", "5", "6", "6b")}
    moderate = {"cssrs__1": 1, "cssrs__2": 1, "cssrs__3": 1, "cssrs__4": 0, "cssrs__5": 0}
    risky = _cssrs(org, high)
    # Both are a crisis and both offer a safety plan: only the level tells the pages apart.
    middle = _cssrs(org, {**moderate, "cssrs__6": 0})
    calm = _cssrs(org, {"cssrs__1": 0, "cssrs__2": 0, "cssrs__6": 0})
    assert 'data-risk="high"' in risky and "Please reach out now" in risky
    assert 'data-risk="moderate"' in middle and "Please reach out now" not in middle
    assert "Talk with someone today" in middle and "Make my safety plan" in middle
    assert "risk-steps" not in calm and "Please reach out now" not in calm
    assert "Help is available right now" not in calm  # no crisis options for a calm answer
    # And the next worker at high risk still gets their steps, after the other pages were drawn.
    assert 'data-risk="high"' in _cssrs(org, high)


def test_a_signed_in_workers_wording_stays_theirs(org):
    client = Client()
    first = client.post(f"/o/{org.slug}/check-in/", checkin_data())["Location"]
    second = client.post(f"/o/{org.slug}/check-in/", checkin_data())["Location"]
    (link,) = _save_links(client.get(second).content.decode())
    assert client.post(link).status_code == 200  # the second saved: signed in with a new code
    # The first, still unsaved, is offered to this browser's history, not a new code.
    mine = client.get(first).content.decode()
    assert "Save to my history" in mine and "Save and get my code" not in mine
    _b, _s, _p, other = _result(org)
    assert "Save to my history" not in other and "Save and get my code" in other


def test_the_counselor_offer_posts_to_each_workers_own_save_link(org):
    make_staff(org, StaffRole.COUNSELOR, "counselor-on-duty")
    _a, _first, _p, first_page = _result(org)
    _b, _second, _p, second_page = _result(org)
    for page in (first_page, second_page):
        assert "Save first, then share" in page
        # The save form and the counselor's "save first": two forms, one address, one token.
        assert len(re.findall(r'<form method="post" action="[^"]*/save/"', page)) == 2
        assert len(re.findall(r'name="token" value="([^"]+)"', page)) == 2
    assert not _save_links(first_page) & _save_links(second_page)
    assert not _save_tokens(first_page) & _save_tokens(second_page)


def test_a_counselor_who_joins_is_offered_to_the_next_worker(org):
    _a, _s, _p, before = _result(org)
    assert "Save first, then share" not in before  # nobody to talk to: not offered
    make_staff(org, StaffRole.COUNSELOR, "counselor-on-duty")
    _b, _s, _p, after = _result(org)
    assert "Save first, then share" in after


def test_the_next_worker_reads_the_organizations_new_name(org):
    make_staff(org, StaffRole.COUNSELOR, "counselor-on-duty")
    _a, _s, _p, before = _result(org)
    assert f"with a counselor at {org.name}" in before
    org.name = "Lakeside Clinic"
    org.save(update_fields=["name"])
    _b, _s, _p, after = _result(org)
    assert "with a counselor at Lakeside Clinic" in after


def test_the_kept_page_holds_no_workers_values(org):
    """What stays in the process's memory between visitors names nobody's screening."""
    _a, _s, _path, page = _result(org)
    (link,) = _save_links(page)
    (token,) = _save_tokens(page)
    _b, _s, _p, _page = _result(org)
    kept = ["".join(parts) for parts in frames._frames.values()]
    assert any("result-lines" in text for text in kept)  # the result page is kept: drawn once
    for text in kept:
        assert link not in text and token not in text and "PHQ-2" not in text
