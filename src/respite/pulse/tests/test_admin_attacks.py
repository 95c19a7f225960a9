"""The admin who distributes, answers and watches: attacks tried over the product's own pages, API
and exports (see docs/security.md). The release job is run as the worker would run it."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse

from respite.core.testing import PASSWORD, free_port, run_tasks, start_smtp
from respite.pulse import releases
from respite.pulse.models import ResultsNote, Survey, SurveyToken
from respite.pulse.tests.factories import (
    make_survey,
    make_units,
    open_invitation,
    page_as_read,
)

pytestmark = pytest.mark.django_db

ROLES = ["nurse", "physician", "environmental_services", "medical_assistant"]


def admin(org_admin) -> Client:
    c = Client()
    assert c.login(username=org_admin.username, password=PASSWORD)
    return c


def answer_url(org, raw: str) -> str:
    """The link an invitation e-mail carries: the code after "#"."""
    return reverse("pulse:index", kwargs={"org": org.slug}) + f"#{raw}"


def submit(url: str, burnout: int = 3, role: str = "", comment: str = "") -> int:
    data = {"burnout__1": burnout, "work__workload": 3, "role_group": role}
    if comment:
        data["comment"] = comment
    client = Client()
    if "#" in url:
        url = open_invitation(client, url)
    return client.post(url, data).status_code


def everything(c: Client, org, survey) -> dict:
    """Every output an admin can read about a survey, per measure and round, unit and role filter."""
    base = f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}"
    kw = {"org": org.slug, "pk": survey.pk}
    out: dict[tuple | str, Any] = {}
    units = list(survey.organization.pulse_units.values_list("pk", flat=True))
    for measure in ("respondents", "burnout_rate"):
        for q in [{}, *({"unit": u} for u in units), *({"role": g} for g in ROLES)]:
            q = {"measure": measure, **q}
            out[("api", measure, tuple(q.items()))] = c.get(f"{base}/dashboard", q).json()
            out[("csv", measure, tuple(q.items()))] = c.get(
                reverse("pulse_staff:export_csv", kwargs=kw), q
            ).content
    for kind in ("trend", "heatmap"):
        out[("chart", kind)] = c.get(
            reverse("pulse_staff:chart", kwargs={**kw, "kind": kind})
        ).content
    out["page"] = _stable(c.get(reverse("pulse_staff:dashboard", kwargs=kw)).content.decode())
    # The overview (every measure, units × measures, participation, trends, themes) and its CSV.
    out["overview"] = _stable(c.get(reverse("pulse_staff:overview", kwargs=kw)).content.decode())
    out["overview_csv"] = c.get(reverse("pulse_staff:overview_csv", kwargs=kw)).content
    out["overview_api"] = c.get(f"{base}/overview").json()
    from respite.pulse.tests.helpers import pdf_text

    out["report"] = pdf_text(c.get(reverse("pulse_staff:report_pdf", kwargs=kw)).content)
    # The workers' "you said, we did" pages of this survey (anyone can read them).
    for note in ResultsNote.objects.filter(round__survey=survey, published=True):
        url = reverse(
            "pulse:results",
            kwargs={"org": org.slug, "survey_pk": survey.pk, "number": note.round.number},
        )
        out[("results", note.round.number)] = _stable(Client().get(url).content.decode())
    out["detail"] = _stable(c.get(reverse("pulse_staff:survey", kwargs=kw)).content.decode())
    return out


def _stable(html: str) -> str:
    """A page without its per-request CSP nonce and CSRF token."""
    html = re.sub(r'nonce="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def long_round(survey: Survey, days: int = 60):
    rnd = survey.rounds.get()
    rnd.ends_on = rnd.starts_on + timedelta(days=days)
    rnd.save(update_fields=["ends_on"])
    return rnd


# --- Suppression that hides only what it must ---------------------------------------------------------------------
def test_80_responses_over_seven_units_show_every_unit_but_the_small_one_and_one_complement(
    org, org_admin
):
    names = ["ICU", "ER", "Surgery", "Wards", "Imaging", "Pharmacy", "Lab"]
    units = make_units(org, dict.fromkeys(names))
    survey = make_survey(org)
    sizes = dict(zip(names, [12, 12, 13, 13, 13, 14, 3], strict=True))
    i = 0
    for name, n in sizes.items():
        for raw in SurveyToken.issue(survey, units[name], n):
            assert submit(answer_url(org, raw), burnout=1 + i % 5, role=ROLES[i % 4]) == 302
            i += 1
    assert i == 80
    releases.close_rounds(survey)
    body = (
        admin(org_admin)
        .get(f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/dashboard", {"measure": "respondents"})
        .json()
    )
    shown_units = {
        r["unit"]: r["n"] for r in body["rows"] if r["section"] == "units" and not r["suppressed"]
    }
    hidden_units = {
        r["unit"]: r["note"] for r in body["rows"] if r["section"] == "units" and r["suppressed"]
    }
    assert "Lab" in hidden_units and "fewer than 5 responses" in hidden_units["Lab"]
    assert len(shown_units) == 5 and set(shown_units) | set(hidden_units) == set(names)
    (complement,) = set(hidden_units) - {"Lab"}
    assert "worked out by subtraction" in hidden_units[complement]
    assert all(shown_units[n] == sizes[n] for n in shown_units)
    roles = {r["role"]: r for r in body["rows"] if r["section"] == "roles"}
    assert sum(r["suppressed"] for r in roles.values()) <= 1
    given = {g: r["n"] for g, r in roles.items() if not r["suppressed"] and r["n"]}
    assert len(given) >= 3 and set(given.values()) == {20}  # the job groups that were asked, shown
    org_row = next(r for r in body["rows"] if r["section"] == "organization")
    assert org_row["n"] == 80


# --- Invitations the reader cannot answer for ---------------------------------------------------------------------
def _all_database_text() -> str:
    """Every cell of every table, as text (encrypted columns stay encrypted: we read raw rows)."""
    chunks: list[str] = []
    with connection.cursor() as cur:
        for model in apps.get_models():
            cur.execute(f'SELECT * FROM "{model._meta.db_table}"')  # noqa: S608 (table names from the models)
            chunks.extend(str(cell) for row in cur.fetchall() for cell in row)
    from respite.core.models import OutboundEmail

    chunks += [e.to + e.body for e in OutboundEmail.objects.all()]  # and decrypted, to be sure
    return "\n".join(chunks)


def test_invitations_go_by_smtp_no_staff_output_shows_a_token_and_no_address_remains(
    org, org_admin, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = (
        "127.0.0.1",
        free_port(),
        False,
    )
    settings.EMAIL_TIMEOUT = 30
    units = make_units(org, {"ICU": None, "ER": None})
    survey = make_survey(org)
    c = admin(org_admin)
    addresses = [f"nurse{i}@icu.example" for i in range(6)]
    r = c.post(
        reverse("pulse_staff:survey_invite", kwargs={"org": org.slug, "pk": survey.pk}),
        {"unit": units["ICU"].pk, "addresses": "\n".join(addresses)},
        follow=True,
    )
    assert r.status_code == 200 and "6 invitations are on their way" in r.content.decode()
    assert "nurse0@icu.example" not in r.content.decode()
    bad = c.post(
        reverse("pulse_staff:survey_invite", kwargs={"org": org.slug, "pk": survey.pk}),
        {"unit": units["ICU"].pk, "addresses": "not-an-address"},
    )
    assert bad.status_code == 400 and "not an email address" in bad.content.decode()

    controller, inbox = start_smtp(settings.EMAIL_PORT)
    try:
        run_tasks()
    finally:
        controller.stop()
    assert sorted(rcpt[0] for rcpt, _b in inbox.messages) == sorted(addresses)
    links = [re.search(r"/pulse/#([\w-]+)", body).group(1) for _r, body in inbox.messages]
    assert len(set(links)) == 6

    # No address and no token is left anywhere in the database.
    text = _all_database_text()
    assert not any(a in text for a in addresses) and not any(t in text for t in links)

    # Workers answer from their messages; no staff output ever contains a token or a use count.
    for raw in links[:5]:
        assert submit(answer_url(org, raw), burnout=4) == 302
    releases.close_rounds(survey)
    outputs = everything(c, org, survey)
    blob = "\n".join(str(v) for v in outputs.values())
    assert not any(t in blob for t in links)
    assert not re.search(r"\b\d+ (of|de) 6\b", blob), re.search(
        r".{80}\b\d+ (of|de) 6\b.{20}", blob
    )


def test_which_invitation_was_used_cannot_be_watched(org, org_admin):
    units = make_units(org, {"ICU": None})
    survey = make_survey(org)
    raws = SurveyToken.issue(survey, units["ICU"], 3)
    c = admin(org_admin)
    before = everything(c, org, survey)
    assert submit(answer_url(org, raws[0])) == 302
    assert everything(c, org, survey) == before  # nothing on any staff output moved
    used, unknown = Client(), Client()
    used = used.get(open_invitation(used, answer_url(org, raws[0])))
    unknown = unknown.get(open_invitation(unknown, answer_url(org, "x" * 16)))
    assert used.status_code == unknown.status_code == 404 and page_as_read(used) == page_as_read(
        unknown
    )
    assert Client().get(answer_url(org, raws[1])).status_code == 200


# --- Release, don't stream -------------------------------------------------------------------------------------
def test_reading_before_and_after_one_new_response_and_across_releases_gives_nothing(
    org, org_admin
):
    units = make_units(org, {"Hospital": None, "ICU": "Hospital", "ER": "Hospital"})
    survey = make_survey(org)
    rnd = long_round(survey)
    c = admin(org_admin)
    raws = {name: SurveyToken.issue(survey, units[name], 12) for name in ("ICU", "ER")}
    for name in ("ICU", "ER"):
        for raw in raws[name][:8]:
            assert submit(answer_url(org, raw), burnout=2, role="nurse") == 302
    assert "not released yet" in str(
        everything(c, org, survey)[("api", "respondents", (("measure", "respondents"),))]
    )
    day = rnd.starts_on + timedelta(days=7)
    assert releases.release_due(today=day)["interim"] == 1
    first = everything(c, org, survey)
    org_n = [
        r
        for r in first[("api", "respondents", (("measure", "respondents"),))]["rows"]
        if r["section"] == "organization"
    ][0]["n"]
    assert org_n == 16

    # One colleague answers: every output is byte-for-byte the same, now and after the next weekly job.
    assert submit(answer_url(org, raws["ICU"][8]), burnout=5, role="nurse") == 302
    assert everything(c, org, survey) == first
    assert releases.release_due(today=day + timedelta(days=7))["interim"] == 0  # 1 new person < k
    assert everything(c, org, survey) == first
    # The round ends: the lone late answer still cannot be released safely, so the final release repeats.
    assert releases.release_due(today=rnd.ends_on + timedelta(days=1))["final"] == 1
    final = everything(c, org, survey)
    assert (
        final[("api", "respondents", (("measure", "respondents"),))]
        == first[("api", "respondents", (("measure", "respondents"),))]
    )


def test_a_batch_of_k_new_people_is_released_and_changes_every_figure_by_at_least_k(org, org_admin):
    units = make_units(org, {"ICU": None, "ER": None})
    survey = make_survey(org)
    rnd = long_round(survey)
    c = admin(org_admin)
    for name in ("ICU", "ER"):
        for raw in SurveyToken.issue(survey, units[name], 8):
            submit(answer_url(org, raw), role="nurse")
    day = rnd.starts_on + timedelta(days=7)
    releases.release_due(today=day)
    q = {"measure": "respondents"}
    base = f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/dashboard"
    before = {(r["section"], r["unit"], r["role"]): r["n"] for r in c.get(base, q).json()["rows"]}
    for name in ("ICU", "ER"):
        for raw in SurveyToken.issue(survey, units[name], 5):
            submit(answer_url(org, raw), role="nurse")
    assert releases.release_due(today=day + timedelta(days=7))["interim"] == 1
    after = {(r["section"], r["unit"], r["role"]): r["n"] for r in c.get(base, q).json()["rows"]}
    changed = [
        after[k] - before[k] for k in after if before.get(k) is not None and after[k] is not None
    ]
    assert changed and all(d == 0 or d >= survey.k() for d in changed)


# --- Padding -------------------------------------------------------------------------------------------------------
def test_padding_through_every_shared_link_unlocks_no_unit_role_or_comment(org, org_admin):
    make_units(org, {"P": None, "A": "P", "B": None})
    survey = make_survey(org, mode=Survey.Mode.LINK, allow_comments=True)
    c = admin(org_admin)
    detail = c.get(
        reverse("pulse_staff:survey", kwargs={"org": org.slug, "pk": survey.pk})
    ).content.decode()
    links = sorted(set(re.findall(r'href="(/o/[\w-]+/pulse/s/[\w-]+/)"', detail)))
    assert len(links) == 3  # every link the admin can obtain
    # The one real nurse in A, five colleagues in P and B.
    assert submit(links[0], burnout=5, role="nurse", comment="The real comment") == 302
    for link in links[1:]:
        for _ in range(3):
            submit(link, burnout=2, role="physician")
    # The admin pads through every link, with known answers and comments, well past every threshold.
    for link in links:
        for _ in range(6):
            assert submit(link, burnout=1, role="nurse", comment="padding") == 302
    releases.close_rounds(survey)
    ResultsNote.objects.create(round=survey.rounds.get(), published=True, actions_en="Listen")
    outputs = everything(c, org, survey)
    worker_page = outputs[("results", 1)]
    for private in ("The real comment", "padding", ">A<", ">B<", "Nurse"):
        assert private not in worker_page, private
    for key, body in outputs.items():
        if key[0] != "api":
            continue
        for row in body["rows"]:
            if row["unit"] != "All units" or row["role"] != "All roles":
                assert row["suppressed"], row  # nothing below the whole organization
        assert body["comments"] == []
    assert outputs["overview_api"]["themes"] == []
    for row in outputs["overview_api"]["rows"]:
        if row["unit"] != "All units":
            assert row["suppressed"] and row["value"] is None and row["n"] is None, row
    assert "The real comment" not in outputs["page"]
    assert "The real comment" not in outputs["overview"] and "padding" not in outputs["overview"]
    assert "The real comment" not in outputs["report"] and "padding" not in outputs["report"]
    import csv
    import io

    for row in csv.DictReader(io.StringIO(outputs["overview_csv"].decode())):
        if row["unit"] != "All units":
            assert row["suppressed"] == "True" and row["value"] == "" and row["n"] == "", row


def test_padding_cannot_average_away_the_noise(org, org_admin):
    """DP on, shared link (organization only). The admin pads k answers before every weekly job for a
    whole long round, hoping for a fresh noise draw each time, and averages what the API shows.

    Bound: the number of people with burnout (the centred sum) is noised with Laplace of scale
    b = 2h/ε = 1/ε (h = 1/2 for a rate, ε split between count and sum); the best the attacker can do
    is average the m draws they see, which leaves a standard deviation of √2·b/√m. With at most
    MAX_RELEASES_PER_ROUND_DP = 2 draws per figure and round and ε = 1 that is one whole person:
    the victim's yes or no (a difference of 1) stays within one standard deviation."""
    make_units(org, {"ICU": None})
    survey = make_survey(org, mode=Survey.Mode.LINK, dp_epsilon=1.0)
    rnd = long_round(survey, days=90)
    c = admin(org_admin)
    detail = c.get(
        reverse("pulse_staff:survey", kwargs={"org": org.slug, "pk": survey.pk})
    ).content.decode()
    (link,) = set(re.findall(r'href="(/o/[\w-]+/pulse/s/[\w-]+/)"', detail))
    submit(link, burnout=5)  # the victim
    seen = []
    base = f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/dashboard"
    for week in range(1, 14):
        for _ in range(survey.k()):
            submit(link, burnout=1)
        releases.release_due(today=rnd.starts_on + timedelta(days=7 * week))
        row = [
            r
            for r in c.get(base, {"measure": "burnout_rate"}).json()["rows"]
            if r["section"] == "organization"
        ][0]
        if not row["suppressed"]:
            seen.append((row["value"], row["n"]))
    draws = len(set(seen))
    assert 1 <= draws <= releases.MAX_RELEASES_PER_ROUND_DP
    best_sd = math.sqrt(2) * (1 / survey.dp_epsilon) / math.sqrt(draws)
    assert best_sd >= 1.0  # at least one person's answer: the victim's cannot be told
