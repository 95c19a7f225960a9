"""Dashboards and charts are cached per release: a browser revalidating a chart gets 304, and a new
release (or any change of what a dashboard is built from) shows at once."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff
from respite.pulse.models import Round, Unit
from respite.pulse.tests.factories import make_survey, make_units, populate, release_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org) -> Client:
    client = Client()
    assert client.login(
        username=make_staff(org, StaffRole.ORG_ADMIN, "cache-admin").username, password=PASSWORD
    )
    return client


def test_chart_revalidates_with_304_until_the_next_release(org, admin):
    units = make_units(org, {"Hospital": None, "ICU": "Hospital", "ER": "Hospital"})
    survey = make_survey(org, rounds=1)
    (rnd,) = survey.rounds.all()
    populate(
        survey, {(rnd, units["ICU"], "nurse"): 8, (rnd, units["ER"], "nurse"): 7}, release=False
    )
    release_all(survey, final=False)
    url = reverse("pulse_staff:chart", kwargs={"org": org.slug, "pk": survey.pk, "kind": "heatmap"})
    first = admin.get(url)
    assert first.status_code == 200 and first["ETag"]
    assert "no-store" not in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    again = admin.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""

    populate(survey, {(rnd, units["ICU"], "nurse"): 9}, release=False)
    release_all(survey, final=True)
    after = admin.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]

    # Someone signed out gets neither the chart nor a 304 that would confirm the ETag.
    assert Client().get(url, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 302


def test_dashboard_shows_a_new_release_and_a_renamed_unit_at_once(org, admin):
    units = make_units(org, {"Hospital": None, "ICU": "Hospital", "ER": "Hospital"})
    survey = make_survey(org, rounds=1)
    (rnd,) = survey.rounds.all()
    populate(
        survey, {(rnd, units["ICU"], "nurse"): 6, (rnd, units["ER"], "nurse"): 6}, release=False
    )
    release_all(survey, final=False)
    url = reverse("pulse_staff:dashboard", kwargs={"org": org.slug, "pk": survey.pk})
    before = _page(admin.get(url))
    units["ER"].name = "Emergency"
    units["ER"].save()
    renamed = _page(admin.get(url))
    assert "Emergency" in renamed and "Emergency" not in before
    populate(survey, {(rnd, units["ICU"], "nurse"): 6}, release=False)
    assert _page(admin.get(url)) == renamed  # answers alone change nothing until a release
    release_all(survey, final=True)
    assert _page(admin.get(url)) != renamed


def _page(response) -> str:
    assert response.status_code == 200
    return re.sub(r'nonce="[^"]*"|[A-Za-z0-9]{64}', "", response.content.decode())


def _released_survey(org, rounds: int = 1):
    units = make_units(org, {"Hospital": None, "ICU": "Hospital", "ER": "Hospital"})
    survey = make_survey(org, rounds=rounds)
    rnd = survey.rounds.order_by("number").last()
    assert rnd is not None
    populate(
        survey, {(rnd, units["ICU"], "nurse"): 6, (rnd, units["ER"], "nurse"): 6}, release=False
    )
    release_all(survey, final=False)
    return survey, units


def _url(org, survey, name: str = "dashboard", **kw) -> str:
    return reverse(f"pulse_staff:{name}", kwargs={"org": org.slug, "pk": survey.pk, **kw})


def test_a_cached_dashboard_and_chart_cost_six_queries(org, admin, django_assert_max_num_queries):
    """Session, account, organization, the two role checks, and the survey with its dashboard
    version: nothing that grows with the organization's units, rounds or releases (a first view is
    bounded too)."""
    survey, _units = _released_survey(org, rounds=3)
    url, chart = _url(org, survey), _url(org, survey, "chart", kind="heatmap")
    with django_assert_max_num_queries(40):
        assert admin.get(url).status_code == 200
    with django_assert_max_num_queries(6):
        assert admin.get(url).status_code == 200
    first = admin.get(chart)
    with django_assert_max_num_queries(6):
        assert admin.get(chart).status_code == 200
    with django_assert_max_num_queries(6):
        assert admin.get(chart, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_each_change_a_dashboard_is_built_from_shows_at_once(org, admin):
    survey, units = _released_survey(org)
    url = _url(org, survey)
    seen = [_page(admin.get(url))]

    def changed() -> str:
        page = _page(admin.get(url))
        assert page not in seen
        seen.append(page)
        return page

    # A unit added through the units page (a unit save) and headcounts (a bulk update, no signal).
    admin.post(reverse("pulse_staff:unit_add", kwargs={"org": org.slug}), {"name": "Clinic"})
    assert "Clinic" in changed()
    # Rounds scheduled through the survey page (a bulk create, no signal).
    today = timezone.localdate()
    before = survey.rounds.count()
    response = admin.post(
        _url(org, survey, "survey_schedule"),
        {
            "first_day": (today + timedelta(days=60)).isoformat(),
            "cadence": 91,
            "days_open": 7,
            "count": 1,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert survey.rounds.count() == before + 1
    assert survey.rounds.get(number=2).label in changed()
    # The organization's settings (the role groups) and the survey's own fields.
    org.role_groups = ["nurse"]
    org.save()
    assert "Physician" not in changed()
    survey.title = "Autumn pulse"
    survey.save()
    assert "Autumn pulse" in changed()
    # A deleted unit.
    Unit.objects.filter(pk=units["ICU"].pk).delete()
    assert ">ICU<" not in changed()


def test_language_and_day_are_part_of_a_cached_dashboard(org, admin, monkeypatch):
    survey, _units = _released_survey(org)
    url = _url(org, survey)
    english = _page(admin.get(url))
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = _page(admin.get(url))
    assert "Heat map of units" in english and "Heat map of units" not in spanish
    assert 'lang="es"' in spanish
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert _page(admin.get(url)) == english

    # A round scheduled for next week: with no release, the default round is the latest started
    # one, so the same address shows the new round once its first day comes.
    survey2, _ = make_survey(org, rounds=1, title="Second"), None
    later = timezone.localdate() + timedelta(days=7)
    Round.objects.create(survey=survey2, number=2, starts_on=later, ends_on=later)
    url2 = _url(org, survey2)
    selected = re.compile(r'<option value="(\d+)" selected>')
    today_round = selected.findall(admin.get(url2).content.decode())
    real_localdate = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda *a, **kw: real_localdate(*a, **kw) + timedelta(days=8)
    )
    next_week_round = selected.findall(admin.get(url2).content.decode())
    assert today_round and next_week_round and today_round != next_week_round


def test_the_cached_figures_are_shared_but_the_page_around_them_is_each_readers_own(org, admin):
    survey, _units = _released_survey(org)
    url = _url(org, survey)
    other = Client()
    colleague = make_staff(org, StaffRole.ORG_ADMIN, "cache-colleague")
    assert other.login(username=colleague.username, password=PASSWORD)
    mine, theirs = admin.get(url).content.decode(), other.get(url).content.decode()
    assert "cache-admin" in mine and "cache-admin" not in theirs
    assert "cache-colleague" in theirs and "cache-colleague" not in mine
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert set(csrf.findall(mine)).isdisjoint(csrf.findall(theirs))
    nonce = re.compile(r'nonce="([^"]+)"')
    assert nonce.findall(mine) != nonce.findall(admin.get(url).content.decode())
    # Someone of another organization cannot read it from the cache.
    assert Client().get(url).status_code == 302


def test_a_reused_id_never_shows_figures_cached_for_another_survey(org, admin):
    """A database can hand out an id again (a rolled-back transaction, a restored backup): the
    per-process caches of releases and cell sums must tell the new survey's data from the old one's
    all the same."""

    class Rollback(Exception):
        pass

    units = make_units(org, {"Hospital": None, "ICU": "Hospital", "ER": "Hospital"})
    seen = []
    for size in (7, 9):
        with contextlib.suppress(Rollback), transaction.atomic():
            survey = make_survey(org, rounds=1)
            (rnd,) = survey.rounds.all()
            populate(survey, {(rnd, units["ICU"], "nurse"): size, (rnd, units["ER"], "nurse"): 6})
            page = admin.get(_url(org, survey)).content.decode()
            seen.append((survey.pk, list(survey.releases.values_list("pk", flat=True)), page))
            raise Rollback
    (pk1, releases1, page1), (pk2, releases2, page2) = seen
    if connection.vendor == "sqlite":  # the case at hand: the same survey and release ids again
        assert (pk1, releases1) == (pk2, releases2)
    assert "n=7<" in page1 and "n=9<" in page2 and "n=7<" not in page2
