"""Sealed codes on paper (invitation mode): printed once for a third party to hand out, never shown
again. Attacks tried as the admin would, over the product's own pages, API and exports."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from respite.core.testing import assert_tagged_pdf
from respite.pulse import releases
from respite.pulse.tests.factories import make_survey, make_units, page_as_read
from respite.pulse.tests.helpers import ink, pdf_pages, pdf_text
from respite.pulse.tests.test_admin_attacks import _all_database_text, admin, everything

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")


def _codes_url(org, survey) -> str:
    return reverse("pulse_staff:survey_codes", kwargs={"org": org.slug, "pk": survey.pk})


def _print(c: Client, org, survey, unit, count: int):
    return c.post(_codes_url(org, survey), {"unit": unit.pk, "count": count})


def _answer_with_code(org, typed: str, burnout: int = 3):
    """A worker types the code from the slip on the pulse page, then answers."""
    worker = Client()
    start = worker.post(reverse("pulse:index", kwargs={"org": org.slug}), {"token": typed})
    assert start.status_code == 302
    page = worker.get(start["Location"])
    if page.status_code != 200:
        return page
    return worker.post(start["Location"], {"burnout__1": burnout, "work__workload": 3})


def test_the_sheet_is_a_tagged_pdf_of_sealed_slips_with_the_crisis_line(org, org_admin, tmp_path):
    units = make_units(org, {"Night shift": None})
    survey = make_survey(org)
    r = _print(admin(org_admin), org, survey, units["Night shift"], 4)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Cache-Control"] == "no-store" and "attachment" in r["Content-Disposition"]
    assert_tagged_pdf(r.content, "en")
    text = pdf_text(r.content)
    assert len(set(CODE.findall(text))) == 4
    assert text.count("Call or text 988") >= 4  # the crisis line on every slip, outside and in
    assert "fold here" in text and "Night shift" in text and "Tu código" in text
    pages = pdf_pages(r.content, tmp_path)
    assert len(pages) == 2  # three slips a page: no slip split across pages
    first = pages[0]
    w, h = first.size
    assert ink(first, (0, 0, w, h // 3)) > 0.05 and ink(pages[1], (0, h // 2, w, h)) < 0.01


def test_admin_cannot_redownload_list_or_reuse_codes_and_no_staff_output_shows_one(org, org_admin):
    units = make_units(org, {"ICU": None, "ER": None})
    survey = make_survey(org, allow_comments=True)
    c = admin(org_admin)
    sheet = _print(c, org, survey, units["ICU"], 6)
    codes = CODE.findall(pdf_text(sheet.content))
    assert len(set(codes)) == 6

    # Re-download: there is no address that gives the sheet again.
    assert c.get(_codes_url(org, survey)).status_code == 405
    again = CODE.findall(pdf_text(_print(c, org, survey, units["ICU"], 6).content))
    assert not set(again) & set(codes)  # asking again issues new codes, never the old ones

    # Nothing in the database holds a code in clear, in any form.
    text = _all_database_text()
    for code in codes + again:
        assert code not in text and code.replace("-", "") not in text

    # Workers answer from their slips, typed loosely; one response per code.
    for code in codes[:5]:
        typed = code.lower().replace("-", " ")
        assert _answer_with_code(org, typed).status_code == 302
    used = _answer_with_code(org, codes[0])
    unknown = _answer_with_code(org, "ABCD-EFGH-JKMN-PQRS")
    assert used.status_code == unknown.status_code == 404 and page_as_read(used) == page_as_read(
        unknown
    )

    # List: no staff page, API answer, export or chart, and not the audit log, shows a code.
    releases.close_rounds(survey)
    outputs = everything(c, org, survey)
    outputs["audit"] = c.get(f"/staff/o/{org.slug}/audit/").content.decode()
    outputs["index"] = c.get(reverse("pulse_staff:index", kwargs={"org": org.slug})).content
    assert "ICU" in outputs["detail"]
    blob = "\n".join(str(v) for v in outputs.values())
    for code in codes + again:
        assert code not in blob and code.replace("-", "") not in blob
    assert not CODE.search(blob)


def test_codes_are_refused_for_link_surveys_bad_counts_and_outsiders(org, org_admin, outsider):
    units = make_units(org, {"ICU": None})
    link_survey = make_survey(org, mode="link")
    c = admin(org_admin)
    r = _print(c, org, link_survey, units["ICU"], 3)
    assert r.status_code == 302 and r["Content-Type"] != "application/pdf"
    survey = make_survey(org)
    for bad in (0, 301, "many"):
        r = _print(c, org, survey, units["ICU"], bad)
        assert r.status_code == 400 and r["Content-Type"].startswith("text/html")
    spy = Client()
    spy.force_login(outsider)
    assert _print(spy, org, survey, units["ICU"], 3).status_code == 404
    anonymous = Client().post(_codes_url(org, survey), {"unit": units["ICU"].pk, "count": 3})
    assert anonymous.status_code in (302, 403, 404)
    assert survey.tokens.count() == 0


def test_printing_needs_the_csrf_token(org, org_admin):
    units = make_units(org, {"ICU": None})
    survey = make_survey(org)
    c = Client(enforce_csrf_checks=True)
    c.force_login(org_admin)
    assert _print(c, org, survey, units["ICU"], 2).status_code == 403
    assert survey.tokens.count() == 0
