"""Query budgets of the busiest pages (issue 19): a change that adds a query per row or per request
to the worker flow, the directory search or the pulse dashboard fails here.

Budgets are the counts measured when they were set (SQLite), as maxima: fewer is always welcome.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff
from respite.screening.tests.checkins import LOW

pytestmark = pytest.mark.django_db

CHECKIN = {**LOW, "role_group": "nurse"}

BUDGET = {
    "check-in form": 4,
    # The screening, its results and the new session: three INSERTs, no savepoint of their own (the
    # test's transaction adds one around the view's).
    "answers POST": 5,
    # The first result of its kind in a process builds the page's shared panels (result_panels):
    # the session, screening and results, the directory's version and curation (one query) checked
    # for the cache key and again by the look-up that builds them, the services and their phones.
    "result page": 8,
    # The same worker again, once the process has the portal's row and offers cached: the session
    # row, then the screening, its results and the session's UPDATE in one transaction, then the
    # result page's session, screening, results and the directory's version and curation (the
    # panels come from the process's cache).
    "check-in form, again": 1,
    "answers POST, again": 6,
    "result page, again": 4,
    # Directory version and curation (one query), then the services, phones and hours of the cards
    # the process has not shown yet (one more on PostgreSQL: its full-text query), plus at most this
    # many word look-ups the first time a process meets a query's words.
    "directory search": 5,
    "new search word": 4,
    # The same search again: the process keeps each card's HTML, so only the version and curation.
    "directory search, cards shown before": 2,
    "pulse dashboard": 24,
    "pulse chart": 15,
}


@pytest.fixture
def directory(db):
    from respite.directory.demo import SEED_FILE
    from respite.directory.hsds import import_json

    assert not import_json(SEED_FILE).errors


def test_worker_flow_pages_stay_within_their_query_budgets(
    org, directory, django_assert_max_num_queries
):
    client = Client()
    url = f"/o/{org.slug}/check-in/"
    with django_assert_max_num_queries(BUDGET["check-in form"]):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(BUDGET["answers POST"]):
        response = client.post(url, CHECKIN)
    assert response.status_code == 302
    with django_assert_max_num_queries(BUDGET["result page"]):
        page = client.get(response["Location"])
    assert page.status_code == 200 and "Your results" in page.content.decode()
    with django_assert_max_num_queries(BUDGET["check-in form, again"]):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(BUDGET["answers POST, again"]):
        response = client.post(url, CHECKIN)
    assert response.status_code == 302
    with django_assert_max_num_queries(BUDGET["result page, again"]):
        page = client.get(response["Location"])
    assert page.status_code == 200 and "Your results" in page.content.decode()


def test_directory_search_stays_within_its_query_budget(
    org, directory, django_assert_max_num_queries
):
    from respite.directory import views as directory_views

    client = Client()
    url = reverse("directory:search", kwargs={"org": org.slug})
    client.get(url, {"q": "warm up"})  # the ranking index is built once per process
    for query in ("can't sleep after night shift", "ayuda para dormir", "peer support"):
        # A word's full-text postings are read the first time a process meets it (on SQLite, one
        # query per word, its synonyms included); after that only the page's fixed queries remain.
        # No card has been rendered yet: its services, phones and hours are part of the budget.
        directory_views._card_cache.clear()
        with django_assert_max_num_queries(BUDGET["directory search"] + BUDGET["new search word"]):
            assert client.get(url, {"q": query}).status_code == 200
        directory_views._card_cache.clear()
        with django_assert_max_num_queries(BUDGET["directory search"]):
            first = client.get(url, {"q": query})
        cards = first.content.decode().count('class="dir-card')
        assert first.status_code == 200 and cards
        with django_assert_max_num_queries(BUDGET["directory search, cards shown before"]):
            again = client.get(url, {"q": query})
        assert again.status_code == 200 and again.content.decode().count('class="dir-card') == cards


def test_pulse_dashboard_and_its_charts_stay_within_their_query_budgets(
    org, django_assert_max_num_queries
):
    from respite.pulse.tests.factories import make_survey, make_units, populate

    units = make_units(org, {"Hospital": None, "ICU": "Hospital", "ER": "Hospital", "Clinic": None})
    survey = make_survey(org, rounds=2)
    r1, r2 = survey.rounds.all()
    populate(
        survey,
        {
            (r2, units["ICU"], "nurse"): 12,
            (r2, units["ER"], "nurse"): 7,
            (r2, units["Clinic"], "nurse"): 8,
            (r1, units["ICU"], "nurse"): 6,
        },
    )
    admin = Client()
    assert admin.login(
        username=make_staff(org, StaffRole.ORG_ADMIN, "budget-admin").username, password=PASSWORD
    )
    url = reverse("pulse_staff:dashboard", kwargs={"org": org.slug, "pk": survey.pk})
    with django_assert_max_num_queries(BUDGET["pulse dashboard"]):
        page = admin.get(url)
    assert page.status_code == 200
    charts = [
        src.replace("&amp;", "&")
        for src in re.findall(r'src="([^"]+\.svg[^"]*)"', page.content.decode())
    ]
    assert charts, "the dashboard embeds its charts"
    for src in charts:
        with django_assert_max_num_queries(BUDGET["pulse chart"]):
            chart = admin.get(src)
        assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg")
