"""Staff and worker pages: access control, CSRF, the create → open → answer → dashboard flow."""

from __future__ import annotations

import logging
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, assert_tagged_pdf, make_staff
from respite.pulse.models import Comment, Response, Rollup, Survey, SurveyLink, SurveyToken, Unit
from respite.pulse.tests.factories import (
    answer,
    make_survey,
    make_units,
    open_invitation,
    page_as_read,
    populate,
    release_all,
)

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.fixture
def admin_client(org_admin):
    return login(org_admin)


@pytest.fixture
def setup(org):
    units = make_units(org, {"Hospital": None, "ICU": "Hospital", "ER": "Hospital", "Clinic": None})
    survey = make_survey(org, rounds=2, allow_comments=True)
    return survey, units


@pytest.fixture
def link_setup(org):
    units = make_units(org, {"Hospital": None, "ICU": "Hospital", "ER": "Hospital", "Clinic": None})
    survey = make_survey(org, rounds=2, allow_comments=True, mode=Survey.Mode.LINK)
    return survey, units


def staff_urls(org, survey):
    kw = {"org": org.slug}
    pk = {"org": org.slug, "pk": survey.pk}
    return [
        reverse("pulse_staff:index", kwargs=kw),
        reverse("pulse_staff:units", kwargs=kw),
        reverse("pulse_staff:survey_new", kwargs=kw),
        reverse("pulse_staff:survey", kwargs=pk),
        reverse("pulse_staff:dashboard", kwargs=pk),
        reverse("pulse_staff:export_csv", kwargs=pk),
        reverse("pulse_staff:chart", kwargs={**pk, "kind": "trend"}),
    ]


def test_staff_pages_are_404_to_outsiders_counselors_and_other_orgs(
    org, setup, outsider, counselor, other_org
):
    survey, _units = setup
    for user in (outsider, counselor):
        c = login(user)
        for url in staff_urls(org, survey):
            assert c.get(url).status_code == 404, url
    # An admin of another organization cannot reach this survey through their own org's URLs either.
    c = login(outsider)
    url = reverse("pulse_staff:dashboard", kwargs={"org": other_org.slug, "pk": survey.pk})
    assert c.get(url).status_code == 404


def test_anonymous_staff_page_redirects_to_login(org, setup):
    survey, _ = setup
    r = Client().get(reverse("pulse_staff:dashboard", kwargs={"org": org.slug, "pk": survey.pk}))
    assert r.status_code == 302 and "login" in r["Location"]


def test_posts_need_csrf_and_post(org, org_admin, link_setup):
    survey, _ = link_setup
    c = Client(enforce_csrf_checks=True)
    c.login(username=org_admin.username, password=PASSWORD)
    url = reverse("pulse_staff:survey_close", kwargs={"org": org.slug, "pk": survey.pk})
    assert c.post(url).status_code == 403
    assert login(org_admin).get(url).status_code == 405
    link = SurveyLink.objects.filter(survey=survey).first()
    w = Client(enforce_csrf_checks=True)
    assert (
        w.post(
            reverse("pulse:link", kwargs={"org": org.slug, "key": link.key}),
            {"burnout__1": 2, "work__workload": 3},
        ).status_code
        == 403
    )
    assert not Response.objects.exists()


def test_admin_creates_schedules_and_opens_a_survey_then_threshold_is_locked(org, admin_client):
    Unit.objects.create(organization=org, name="ICU")
    r = admin_client.post(
        reverse("pulse_staff:survey_new", kwargs={"org": org.slug}),
        {
            "title": "Spring pulse",
            "instruments": ["burnout"],
            "work_items": ["workload", "voice"],
            "custom_items": "Handoffs are safe | Los relevos son seguros",
            "min_group_size": 6,
            "min_group_size_text": 10,
            "mode": "link",
        },
    )
    survey = Survey.objects.get(title="Spring pulse")
    assert r.status_code == 302 and survey.k() == 6
    assert survey.customitem_set.get().text_es == "Los relevos son seguros"
    url = reverse("pulse_staff:survey_schedule", kwargs={"org": org.slug, "pk": survey.pk})
    admin_client.post(url, {"first_day": "2025-01-06", "cadence": 91, "days_open": 14, "count": 4})
    assert survey.rounds.count() == 4
    admin_client.post(reverse("pulse_staff:survey_open", kwargs={"org": org.slug, "pk": survey.pk}))
    survey.refresh_from_db()
    assert survey.status == "open" and survey.is_locked and survey.links.count() == 1
    page = admin_client.get(
        reverse("pulse_staff:survey", kwargs={"org": org.slug, "pk": survey.pk})
    )
    assert "Locked" in page.content.decode()


def test_threshold_below_five_is_refused(org, admin_client):
    r = admin_client.post(
        reverse("pulse_staff:survey_new", kwargs={"org": org.slug}),
        {
            "title": "Tiny",
            "instruments": ["burnout"],
            "min_group_size": 3,
            "min_group_size_text": 10,
        },
    )
    assert r.status_code == 400 and not Survey.objects.exists()


def test_worker_answers_by_link_and_nothing_identifying_is_kept(org, link_setup, caplog):
    survey, units = link_setup
    link = SurveyLink.objects.get(survey=survey, unit=units["ICU"])
    url = reverse("pulse:link", kwargs={"org": org.slug, "key": link.key})
    page = Client().get(url)
    assert page.status_code == 200 and "at least 5 people" in page.content.decode()
    with caplog.at_level(logging.DEBUG):
        r = Client().post(
            url,
            {
                "burnout__1": 4,
                "work__workload": 2,
                "role_group": "nurse",
                "comment": "Night shift staffing is unsafe",
            },
        )
    assert r.status_code == 302
    resp = Response.objects.get()
    assert {f.name for f in Response._meta.get_fields()} == {
        "id",
        "round",
        "unit",
        "role_group",
        "answers",
    }
    assert resp.unit == units["ICU"] and resp.role_group == "nurse"
    assert Rollup.objects.get(measure="burnout_rate", unit=units["ICU"]).total == 1
    assert Rollup.objects.get(measure="item:work:workload").total_sq == 4
    with connection.cursor() as cur:
        cur.execute("SELECT text FROM pulse_comment")
        assert "Night shift" not in cur.fetchone()[0]
    assert Comment.objects.get().text == "Night shift staffing is unsafe"
    assert "Night shift" not in caplog.text


def test_missing_answer_is_a_400_with_the_question_marked(org, link_setup):
    survey, units = link_setup
    link = SurveyLink.objects.get(survey=survey, unit=units["ICU"])
    r = Client().post(
        reverse("pulse:link", kwargs={"org": org.slug, "key": link.key}), {"burnout__1": 4}
    )
    assert r.status_code == 400 and "need an answer" in r.content.decode()
    assert not Response.objects.exists() and not Rollup.objects.exists()


def test_single_use_token_is_marked_used_and_not_linked(org, setup):
    survey, units = setup
    raw = SurveyToken.issue(survey, units["ER"], 1)[0]
    link = reverse("pulse:index", kwargs={"org": org.slug}) + f"#{raw}"
    first = Client()
    url = open_invitation(first, link)
    assert raw not in url
    assert first.post(url, {"burnout__1": 3, "work__workload": 3}).status_code == 302
    token = SurveyToken.objects.get()
    assert token.used and token.digest != raw
    assert {f.name for f in SurveyToken._meta.get_fields()} == {
        "id",
        "survey",
        "unit",
        "digest",
        "used",
    }
    again = Client()
    again_url = open_invitation(again, link)
    used = again.post(again_url, {"burnout__1": 3, "work__workload": 3})
    stranger = Client()
    unknown = stranger.get(open_invitation(stranger, link.split("#")[0] + "#nope"))
    assert used.status_code == unknown.status_code == 404  # used looks exactly like unknown
    assert page_as_read(again.get(again_url)) == page_as_read(unknown)
    assert Response.objects.count() == 1
    assert Client().get(url).status_code == 404  # the answer page holds nothing without the code


def test_closed_survey_takes_no_answers(org, link_setup):
    survey, units = link_setup
    survey.status = Survey.Status.CLOSED
    survey.save()
    link = SurveyLink.objects.get(survey=survey, unit=units["ICU"])
    assert (
        Client().get(reverse("pulse:link", kwargs={"org": org.slug, "key": link.key})).status_code
        == 410
    )


def test_dashboard_hides_small_groups_in_page_csv_and_pdf(
    org, admin_client, setup, django_assert_max_num_queries
):
    survey, units = setup
    r1, r2 = survey.rounds.all()
    populate(
        survey,
        {
            (r2, units["ICU"], "nurse"): 12,
            (r2, units["ER"], "nurse"): 3,
            (r2, units["Clinic"], "nurse"): 8,
            (r1, units["ICU"], "nurse"): 6,
        },
        release=False,
    )
    answer(survey, r2, units["ICU"], "nurse", comment="Too few breaks")
    release_all(survey)
    url = reverse("pulse_staff:dashboard", kwargs={"org": org.slug, "pk": survey.pk})
    with django_assert_max_num_queries(40):
        page = admin_client.get(url).content.decode()
    assert "fewer than 5 responses — hidden to protect anonymity" in page
    assert "n=3" not in page
    assert "Comments are shown only when at least 10" not in page and "Too few breaks" in page
    csv_text = admin_client.get(
        reverse("pulse_staff:export_csv", kwargs={"org": org.slug, "pk": survey.pk})
    ).content.decode()
    er_rows = [
        line for line in csv_text.splitlines() if ",ER," in line and line.startswith("units")
    ]
    assert er_rows and all(",True," in line for line in er_rows)
    pdf = admin_client.get(
        reverse("pulse_staff:export_pdf", kwargs={"org": org.slug, "pk": survey.pk})
    )
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert_tagged_pdf(pdf.content, "en")
    svg = admin_client.get(
        reverse("pulse_staff:chart", kwargs={"org": org.slug, "pk": survey.pk, "kind": "heatmap"})
    )
    assert svg["Content-Type"] == "image/svg+xml" and b"hidden" in svg.content
    root = ElementTree.fromstring(svg.content)  # noqa: S314 (our own output) well-formed, drawn from the release
    assert root.tag.endswith("svg") and b"<script" not in svg.content
    icu = [t for t in root.iter() if t.tag.endswith("text") and t.text == "ICU"]
    assert icu
    trend = admin_client.get(
        reverse("pulse_staff:chart", kwargs={"org": org.slug, "pk": survey.pk, "kind": "trend"})
    )
    assert ElementTree.fromstring(trend.content).tag.endswith("svg") and b"<circle" in trend.content  # noqa: S314


def test_bad_dashboard_filters_are_400(org, admin_client, setup):
    survey, _ = setup
    url = reverse("pulse_staff:dashboard", kwargs={"org": org.slug, "pk": survey.pk})
    for q in ("round=abc", "unit=99999", "measure=nope", "role=wizard", "on=yesterday"):
        assert admin_client.get(f"{url}?{q}").status_code == 400, q


def test_staff_home_links_to_pulse(org, admin_client):
    page = admin_client.get(reverse("core:staff_home")).content.decode()
    assert reverse("pulse_staff:index", kwargs={"org": org.slug}) in page
    assert make_staff(org, StaffRole.PEER_SUPPORTER)  # peers get no link (checked in access test)
