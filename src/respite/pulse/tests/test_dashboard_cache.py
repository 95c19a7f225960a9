"""Dashboards and charts are cached per release: a browser revalidating a chart gets 304, and a new
release (or any change of what a dashboard is built from) shows at once."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff
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
