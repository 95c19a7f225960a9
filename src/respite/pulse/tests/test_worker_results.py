"""The workers' "you said, we did" page: organization-level released figures and the actions the
organization committed to, in English and Spanish; nothing by unit, role or comment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from respite.core.models import AuditLog
from respite.core.testing import page_words
from respite.pulse.tests.factories import answer, make_survey, make_units, release_all
from respite.pulse.tests.test_admin_attacks import admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(org):
    units = make_units(org, {"ICU": None, "ER": None, "Lab": None})
    survey = make_survey(org, allow_comments=True, title="Quarterly check-in")
    rnd = survey.rounds.get()
    for _ in range(8):
        answer(survey, rnd, units["ICU"], burnout=4, comment="Secret staffing remark")
    for _ in range(6):
        answer(survey, rnd, units["ER"], burnout=1, comment="Secret staffing remark")
    for _ in range(2):
        answer(survey, rnd, units["Lab"], burnout=5)
    release_all(survey)
    return survey, rnd


def _note_url(org, survey, rnd) -> str:
    return reverse(
        "pulse_staff:results_note", kwargs={"org": org.slug, "pk": survey.pk, "number": rnd.number}
    )


def _worker_url(org, survey, rnd) -> str:
    return reverse(
        "pulse:results", kwargs={"org": org.slug, "survey_pk": survey.pk, "number": rnd.number}
    )


def _publish(c, org, survey, rnd, published=True):
    return c.post(
        _note_url(org, survey, rnd),
        {
            "actions_en": "Hire two night float nurses\n- Protect 30-minute breaks",
            "actions_es": "Contratar dos enfermeras de relevo nocturno\nProteger descansos de 30 minutos",
            "published": "on" if published else "",
        },
    )


def test_workers_see_org_figures_and_actions_in_english_and_spanish_after_publishing(
    org, org_admin, released
):
    from respite.assessments.models import Commitment

    survey, rnd = released
    Commitment.objects.create(
        organization=org,
        title="Cut charting time by 20%",
        target_date=timezone.localdate() + timedelta(days=90),
    )
    c = admin(org_admin)
    worker = Client()
    assert worker.get(_worker_url(org, survey, rnd)).status_code == 404  # not published yet
    assert _publish(c, org, survey, rnd).status_code == 302
    assert AuditLog.objects.filter(action="pulse.results_note_saved").count() == 1
    index = worker.get(reverse("pulse:results_index", kwargs={"org": org.slug})).content.decode()
    assert survey.title in index
    page = worker.get(_worker_url(org, survey, rnd))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Hire two night float nurses" in html and "Protect 30-minute breaks" in html
    assert "Cut charting time by 20%" in html  # the action plan's commitment
    assert "16" in html  # the organization's respondents, released
    words = page_words(html)
    for unit in ("ICU", "ER", "Lab"):  # whole words: "ER" turns up inside a CSRF token now and then
        assert unit not in words, unit
    for private in ("Secret staffing remark", "fewer than 5"):
        assert private not in html, private
    worker.cookies["django_language"] = "es"
    es = worker.get(_worker_url(org, survey, rnd)).content.decode()
    assert "Contratar dos enfermeras de relevo nocturno" in es and "Lo que dijiste" in es


def test_unpublishing_hides_the_page_and_outsiders_cannot_edit(org, org_admin, outsider, released):
    survey, rnd = released
    c = admin(org_admin)
    _publish(c, org, survey, rnd)
    _publish(c, org, survey, rnd, published=False)
    assert Client().get(_worker_url(org, survey, rnd)).status_code == 404
    spy = Client()
    spy.force_login(outsider)
    assert spy.get(_note_url(org, survey, rnd)).status_code == 404
    assert _publish(spy, org, survey, rnd).status_code == 404
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(org_admin)
    assert _publish(csrf, org, survey, rnd).status_code == 403
    too_long = c.post(_note_url(org, survey, rnd), {"actions_en": "x" * 5000})
    assert too_long.status_code == 400
    assert Client().post(_worker_url(org, survey, rnd)).status_code == 405


def test_no_page_for_a_round_without_a_final_release(org, org_admin):
    make_units(org, {"ICU": None})
    survey = make_survey(org)
    rnd = survey.rounds.get()
    assert admin(org_admin).get(_note_url(org, survey, rnd)).status_code == 404


def test_the_workers_page_never_shows_an_interim_release(org, org_admin):
    """Published or not, a round without its final release has no workers' page: the page must not
    move while a round is still collecting answers."""
    from respite.pulse.models import ResultsNote

    units = make_units(org, {"ICU": None})
    survey = make_survey(org, title="Midwinter check-in")
    rnd = survey.rounds.get()
    for _ in range(6):
        answer(survey, rnd, units["ICU"])
    release_all(survey, final=False)
    ResultsNote.objects.create(round=rnd, published=True, actions_en="Listen")
    assert Client().get(_worker_url(org, survey, rnd)).status_code == 404
    index = Client().get(reverse("pulse:results_index", kwargs={"org": org.slug}))
    assert survey.title not in index.content.decode()


def test_the_pulse_page_links_to_the_results(org):
    page = Client().get(reverse("pulse:index", kwargs={"org": org.slug})).content.decode()
    assert reverse("pulse:results_index", kwargs={"org": org.slug}) in page
