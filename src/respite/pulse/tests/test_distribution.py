"""Distribution as the survey owner does it: posters with a QR code per unit link and the crisis
lines, a link for a unit added after opening, and reminders through the task queue."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from respite.core.models import AuditLog
from respite.core.testing import assert_tagged_pdf
from respite.pulse.models import Survey
from respite.pulse.tests.factories import make_survey, make_units
from respite.pulse.tests.helpers import ink, pdf_pages, pdf_text
from respite.pulse.tests.test_admin_attacks import admin

pytestmark = pytest.mark.django_db


def _posters(c: Client, org, survey, **q):
    return c.get(reverse("pulse_staff:posters_pdf", kwargs={"org": org.slug, "pk": survey.pk}), q)


def test_posters_have_one_page_per_unit_with_its_qr_link_and_the_crisis_lines(
    org, org_admin, tmp_path
):
    units = make_units(org, {"ICU": None, "Pharmacy": None})
    survey = make_survey(org, mode=Survey.Mode.LINK)
    r = _posters(admin(org_admin), org, survey)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert_tagged_pdf(r.content, "en")
    text = pdf_text(r.content)
    for link in survey.links.all():
        assert f"/o/{org.slug}/pulse/s/{link.key}/" in text
    assert "ICU" in text and "Pharmacy" in text
    assert text.count("988") >= 2 and "741741" in text and "¿Cómo va el trabajo?" in text
    pages = pdf_pages(r.content, tmp_path)
    assert len(pages) == 2
    w, h = pages[0].size
    assert ink(pages[0], (int(w * 0.3), int(h * 0.3), int(w * 0.7), int(h * 0.65))) > 0.25  # the QR
    one = _posters(admin(org_admin), org, survey, unit=units["ICU"].pk)
    assert "Pharmacy" not in pdf_text(one.content) and "ICU" in pdf_text(one.content)
    assert AuditLog.objects.filter(action="pulse.posters_printed").count() == 2


def test_posters_are_refused_for_invitation_surveys_bad_units_and_outsiders(
    org, org_admin, outsider
):
    make_units(org, {"ICU": None})
    c = admin(org_admin)
    invited = make_survey(org)
    r = _posters(c, org, invited)
    assert r.status_code == 400 and "sealed codes" in r.content.decode()
    survey = make_survey(org, mode=Survey.Mode.LINK)
    assert _posters(c, org, survey, unit="x").status_code == 400
    assert _posters(c, org, survey, unit=999999).status_code == 400
    spy = Client()
    spy.force_login(outsider)
    assert _posters(spy, org, survey).status_code == 404


def test_a_unit_added_after_opening_gets_a_link_and_a_poster(org, org_admin):
    make_units(org, {"ICU": None})
    survey = make_survey(org, mode=Survey.Mode.LINK)
    c = admin(org_admin)
    r = c.post(reverse("pulse_staff:unit_add", kwargs={"org": org.slug}), {"name": "Night float"})
    assert r.status_code == 302
    detail = c.get(
        reverse("pulse_staff:survey", kwargs={"org": org.slug, "pk": survey.pk})
    ).content.decode()
    row = detail.split("Night float:")[1].split("</li>")[0]
    link = re.search(r'href="(/o/[\w-]+/pulse/s/[\w-]+/)"', row).group(1)
    assert Client().get(link).status_code == 200  # a worker can answer for the new unit
    assert "Night float" in pdf_text(_posters(c, org, survey).content)


def test_a_reminder_goes_through_the_task_queue_then_every_address_is_erased(
    org, org_admin, mailoutbox
):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from respite.core.testing import run_tasks
    from respite.pulse.tests.test_admin_attacks import _all_database_text

    units = make_units(org, {"ICU": None})
    survey = make_survey(org)
    rnd = survey.rounds.get()
    rnd.ends_on = timezone.localdate() + timedelta(days=10)
    rnd.save(update_fields=["ends_on"])
    c = admin(org_admin)
    url = reverse("pulse_staff:survey_invite", kwargs={"org": org.slug, "pk": survey.pk})
    addresses = [f"tech{i}@lab.example" for i in range(5)]
    late = c.post(
        url, {"unit": units["ICU"].pk, "addresses": "\n".join(addresses), "reminder_days": 20}
    )
    assert late.status_code == 400 and "before the current round closes" in late.content.decode()
    r = c.post(
        url, {"unit": units["ICU"].pk, "addresses": "\n".join(addresses), "reminder_days": 3}
    )
    assert r.status_code == 302
    run_tasks()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        addresses
    )  # the invitations, not yet reminders
    links = {m.to[0]: re.search(r"/pulse/t/([\w-]+)/", m.body).group(1) for m in mailoutbox}
    assert any(a in _all_database_text() for a in addresses)  # kept, encrypted, for the reminder
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())  # three days pass
    run_tasks()
    reminders = mailoutbox[5:]
    assert sorted(m.to[0] for m in reminders) == sorted(addresses)
    for m in reminders:
        assert "still open" in m.body and links[m.to[0]] in m.body  # the same single-use link
    text = _all_database_text()
    assert not any(a in text for a in addresses) and not any(t in text for t in links.values())
