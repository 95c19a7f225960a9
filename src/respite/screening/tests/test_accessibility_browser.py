"""axe-core (WCAG 2.2 A and AA rules, injected by Playwright) finds no violation on any page a worker
sees, on a 390x844 phone, in English and in Spanish.

The worker walks in anonymously (home, crisis, check-in, each instrument, directory, peer support,
counseling, self-care, error pages), saves a check-in (the code page), and then, signed in with that one
code, opens every page about themselves: My space, history, results of each tier and risk level, the
safety plan, a counselor conversation, the share page, booking, a booked session and moving it, a peer
request with its two-way messages, alerts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone

from respite.community.tests.helpers import make_event
from respite.core.roles import StaffRole
from respite.core.testing import axe_violations, make_org, make_staff
from respite.core.urlseal import seal
from respite.counseling.models import Case, Message
from respite.counseling.scheduling import do_book
from respite.counseling.tests.conftest import make_clinician, make_slot
from respite.directory.demo import SEED_FILE
from respite.directory.hsds import import_json
from respite.peers.models import PeerMessage, Source, do_create_request, do_post_message
from respite.peers.tests.factories import make_supporter
from respite.pulse.models import ResultsNote, Survey, SurveyLink, SurveyToken
from respite.pulse.tests.factories import answer, make_survey, make_units, release_all
from respite.screening import instruments
from respite.screening.models import Screening
from respite.screening.selfcare import all_guides
from respite.screening.tests import checkins

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHECKIN = checkins.MODERATE
RESULTS = {  # one saved result per tier and risk level
    "minimal": ("phq9", {str(i): 0 for i in range(1, 10)}),
    "moderate": ("phq9", {str(i): v for i, v in enumerate([2, 2, 1, 1, 1, 2, 1, 1, 0], 1)}),
    "urgent": ("phq9", {str(i): v for i, v in enumerate([3, 3, 2, 2, 2, 2, 2, 2, 2], 1)}),
    "risk-high": ("cssrs", {"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0}),
    "risk-moderate": ("cssrs", {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0, "6": 0}),
    "risk-low": ("cssrs", {"1": 1, "2": 0, "6": 0}),
    "food": ("hvs", {"1": 1, "2": 1}),
}


def _route(url: str) -> str:
    """The URL map's name of the page at ``url`` (what the route-coverage check counts)."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return ""
    return match.view_name


def _check(page, label: str, found: dict[str, list[str]]) -> None:
    page.wait_for_load_state("load")
    page.seen.add(_route(page.url))
    problems = axe_violations(page)
    if problems:
        found[label] = problems


def _visit(
    page, path: str, found: dict[str, list[str]], label: str | None = None, status: int = 0
) -> None:
    response = page.goto(page.base + path)
    by_path = {"no-such-page": 404, "counseling/code/": 405}
    expected = status or next((v for k, v in by_path.items() if k in path), 200)
    assert response is not None and response.status == expected, (
        path,
        response and response.status,
    )
    _check(page, label or path, found)


def _world(org, code, lang: str) -> dict:
    """Everything one worker has under their code: results, a case, a booking, a peer thread."""
    made: dict[str, Any] = {}
    for label, (instrument, answers) in RESULTS.items():
        screening = Screening.do_create(
            [instruments.get(instrument).score(answers)], organization=org
        )
        screening.save_under(code)
        made[label] = screening
    now = timezone.now()
    case = Case.objects.create(
        organization=org,
        access_code=code,
        screening=made["moderate"],
        tier=made["moderate"].tier,
        opened_at=now,
        awaiting_reply_since=now,
    )
    Message.objects.create(case=case, author="worker", body="Nights are hard")
    Message.objects.create(case=case, author="counselor", body="Thank you for writing")
    clinician = make_clinician("therapist", states=("CA",), languages=("en", "es"))
    slots = [make_slot(clinician, hours_ahead=h) for h in (30, 54, 78)]
    booking = do_book(
        code=code,
        organization=org,
        slot_id=slots[0].pk,
        state="CA",
        language=lang,
        contact_method="text",
        contact="+1 555 010 9999",
    )
    supporter = make_supporter(org, "pat", languages=["en", "es"])
    req = do_create_request(
        org, Source.SELF_CODE, code_for="requester", code=code, language=lang, event_type="none"
    )[0]
    req.do_accept(supporter)
    do_post_message(req, PeerMessage.Author.SUPPORTER, "Hi, I'm Pat.")
    do_post_message(req, PeerMessage.Author.WORKER, "Thanks Pat")
    made.update(case=case, booking=booking, request=req, unbooked=slots[1])
    return made


def _open_portal(page, base: str, lang: str, found: dict[str, list[str]]) -> None:
    page.goto(page.base + base + "/")
    if lang == "es":
        page.get_by_role("button", name="Español").click()
        page.wait_for_selector('html[lang="es"]')
    _check(page, "portal home", found)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_wcag_violation_on_any_worker_page(phone, lang):
    org = make_org("access", name="Riverside Community Health", state="CA")
    make_staff(org, StaffRole.COUNSELOR, "counselor")
    page = phone
    page.seen = set()
    base = f"/o/{org.slug}"
    found: dict[str, list[str]] = {}
    _open_portal(page, base, lang, found)

    # Anonymous pages.
    for path in [
        "/crisis/",
        f"{base}/screenings/",
        f"{base}/my/",
        f"{base}/self-care/",
        *[f"{base}/self-care/{g['id']}/" for g in all_guides("en")],
        f"{base}/directory/",
        f"{base}/directory/?q=food",
        f"{base}/peer-support/",
        f"{base}/peer-support/ask/",
        f"{base}/peer-support/refer/",
        f"{base}/peer-support/team/",
        f"{base}/peer-support/check/",
        f"{base}/counseling/",
        f"{base}/counseling/code/",  # GET on a form's target: the branded 405 page
        f"{base}/counseling/therapists/",
        f"{base}/alerts/",
        f"{base}/community/",
        f"{base}/community/new/",
        f"{base}/pulse/",
        f"{base}/no-such-page/",
    ]:
        _visit(page, path, found)
    for instrument in instruments.registry():
        _visit(page, f"{base}/screenings/{instrument}/", found)

    # Check-in -> result -> save: the code page.
    _visit(page, f"{base}/check-in/", found)
    for name, value in CHECKIN.items():
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.locator("form.screening button[type=submit]").click()
    _check(page, "check-in, second step", found)
    for i in range(3, 9):
        page.locator(f'input[name="phq9__{i}"][value="1"]').check()
    page.locator("form.screening button[type=submit]").click()
    page.wait_for_selector("section.result-summary")
    _check(page, "result after check-in", found)
    page.locator('form[action$="/save/"] button[type=submit]').first.click()
    page.get_by_test_id("access-code").wait_for()
    _check(page, "code page", found)
    code = Screening.objects.get().access_code

    # Signed in with that one code: every page about the worker.
    made = _world(org, code, lang)
    _visit(page, f"{base}/my/space/", found)  # also lets this session open the peer request
    _visit(page, f"{base}/my/history/", found)
    for label in RESULTS:
        _visit(page, f"{base}/results/{seal(made[label].pk)}/", found, f"result {label}")
    _visit(page, f"{base}/my/safety-plan/", found)
    _visit(page, f"{base}/my/safety-plan/edit/", found)
    page.locator('main textarea[name="coping"]').fill("A walk round the block")
    page.locator("main form.safety-plan-form button[type=submit]").click()
    page.wait_for_url("**/my/safety-plan/")
    _check(page, "safety plan, filled in", found)
    _visit(page, f"{base}/counseling/", found)
    _visit(page, f"{base}/counseling/cases/{seal(made['case'].pk)}/", found, "counseling dialogue")
    # Sharing is a form on the result pages (checked above); it ends on the dialogue page.
    _visit(page, f"{base}/counseling/therapists/?state=CA&language={lang}", found, "therapists")
    _visit(
        page,
        f"{base}/counseling/therapists/slots/{seal(made['unbooked'].pk)}/book/?state=CA",
        found,
        "book",
    )
    engagement = made["booking"].engagement_id
    _visit(page, f"{base}/counseling/sessions/{seal(engagement)}/", found, "sessions")
    _visit(page, f"{base}/counseling/bookings/{seal(made['booking'].pk)}/move/", found, "move")
    page.goto(f"{page.base}{base}/counseling/sessions/{seal(engagement)}/")
    page.locator('form[action$="/cancel/"] button[type=submit]').first.click()
    _check(page, "cancel confirmation", found)
    _visit(page, f"{base}/peer-support/status/{seal(made['request'].pk)}/", found, "peer messages")
    _visit(page, f"{base}/alerts/", found, "alerts with a code")
    _visit(page, f"{base}/peer-support/ask/", found, "peer request form with a code")
    page.locator("main form button[type=submit]").click()
    page.get_by_test_id("same-code").wait_for()
    _check(page, "peer request sent", found)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert page.seen >= WALKED_WITH_A_CODE, WALKED_WITH_A_CODE - page.seen
    assert timezone.now() - made["case"].opened_at < timedelta(hours=1)


# --- Every other page a worker reaches --------------------------------------------------------

# Routes the first walk opens (with a code); the second walk's are checked at its end.
WALKED_WITH_A_CODE = {
    "crisis",
    "portal",
    "worker_alerts",
    "screening:checkin",
    "screening:choose",
    "screening:take",
    "screening:result",
    "screening:code_login",
    "screening:history",
    "screening:my_space",
    "screening:safety_plan",
    "screening:safety_plan_edit",
    "screening:selfcare",
    "screening:selfcare_guide",
    "directory:search",
    "counseling:home",
    "counseling:code",
    "counseling:case",
    "counseling:therapists",
    "counseling:book",
    "counseling:engagement",
    "counseling:booking_move",
    "counseling:booking_cancel",
    "peers:index",
    "peers:ask",
    "peers:refer",
    "peers:team",
    "peers:check",
    "peers:status",
    "community:index",
    "community:create",
    "pulse:index",
}
WALKED_ELSEWHERE = {
    "directory:service",
    "pulse:link",
    "pulse:token",
    "pulse:thanks",
    "pulse:results_index",
    "pulse:results",
    "community:event",
    "community:rsvp",
    "community:open",
    "community:old_link",
    "community:manage",
    "community:edit",
    "community:composer",
    "peers:rate",
}
# Worker routes no walk opens as a page, and why.
NOT_A_PAGE = {
    "organization_logo": "an image",
    "worker_alerts_push": "POST-only endpoint for the browser's push subscription",
    "screening:save": "POST-only; ends on the code page, which is walked",
    "screening:chart": "an SVG image inside the history page",
    "screening:instrument_chart": "an SVG image inside the history page",
    "screening:delete_all": "POST-only; ends on the portal home",
    "screening:code_logout": "POST-only; its GET is the branded 405, walked on counseling:code",
    "screening_pwa:manifest": "a JSON manifest",
    "counseling:new_code": "POST-only; ends on the code page, which is walked",
    "counseling:share": "POST-only form on the result pages; ends on the dialogue, walked",
    "counseling:case_reply": "POST-only; ends on the dialogue, walked",
    "counseling:case_delete": "POST-only; ends on counseling home, walked",
    "counseling:rematch": "POST-only; ends on the sessions page, walked",
    "counseling:engagement_delete": "POST-only; ends on counseling home, walked",
    "counseling:booking_ics": "a calendar file download",
    "peers:message": "POST-only; ends on the status page, walked",
    "community:cards": "a PDF download",
    "community:note": "POST-only; ends on the event page, walked",
    "community:pledge": "POST-only; ends on the event page, walked",
    "community:packet": "a PDF download",
    "community:moderate": "POST-only; ends on the manage page, walked",
    "community:pledge_delete": "POST-only; ends on the manage page, walked",
    "community:delete": "POST-only; ends on the community index, walked",
}


def _pulse_world(org) -> dict:
    units = make_units(org, {"ICU": None})
    link_survey = make_survey(org, mode=Survey.Mode.LINK, title="Night shift pulse")
    invited = make_survey(org, title="Unit check-in")
    closed = make_survey(org, mode=Survey.Mode.LINK, title="Last spring")
    closed.rounds.update(
        starts_on=timezone.localdate() - timedelta(days=90),
        ends_on=timezone.localdate() - timedelta(days=80),
    )
    released = make_survey(org, title="Quarterly check-in")
    rnd = released.rounds.get()
    for burnout in (1, 2, 3, 4, 5, 2, 3, 4):
        answer(released, rnd, units["ICU"], burnout=burnout)
    release_all(released)
    ResultsNote.objects.create(
        round=rnd, published=True, actions_en="Hire two night nurses", actions_es="Contratar"
    )
    return {
        "link": SurveyLink.objects.get(survey=link_survey).key,
        "closed": SurveyLink.objects.get(survey=closed).key,
        "token": SurveyToken.issue(invited, units["ICU"], 1)[0],
        "results": f"{released.pk}/{rnd.number}",
    }


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_wcag_violation_on_pulse_community_rating_and_error_pages(phone, settings, lang):
    settings.ROOT_URLCONF = "respite.screening.tests.error_urls"  # adds pages that fail on purpose
    org = make_org("access", name="Riverside Community Health", state="CA")
    page = phone
    page.seen = set()
    base = f"/o/{org.slug}"
    found: dict[str, list[str]] = {}
    pulse = _pulse_world(org)
    event, token = make_event(org)
    supporter = make_supporter(org, "pat", languages=["en", "es"])
    req, words = do_create_request(
        org, Source.SELF_CODE, code_for="requester", language=lang, event_type="none"
    )
    req.do_accept(supporter)
    req.do_close()
    assert not import_json(SEED_FILE).errors  # the shipped national directory
    _open_portal(page, base, lang, found)

    # A directory entry.
    page.goto(f"{page.base}{base}/directory/?q=food")
    href = page.locator('main a[href*="/directory/s/"]').first.get_attribute("href")
    _visit(page, href, found, "directory entry")

    # Pulse: a shared link, an invitation code, thanks, a closed survey, the published results.
    _visit(page, f"{base}/pulse/s/{pulse['link']}/", found, "pulse answer (link)")
    _visit(page, f"{base}/pulse/s/{pulse['closed']}/", found, "pulse closed", status=410)
    page.goto(f"{page.base}{base}/pulse/")
    page.locator('main input[name="token"]').fill("no such code")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/pulse/t/")  # an unknown code: the same 404 as a used one
    _check(page, "pulse unknown invitation", found)
    page.goto(f"{page.base}{base}/pulse/")
    page.locator('main input[name="token"]').fill(pulse["token"])
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/pulse/t/")
    _check(page, "pulse answer (invitation)", found)
    _visit(page, f"{base}/pulse/thanks/", found, "pulse thanks")
    _visit(page, f"{base}/pulse/results/", found, "pulse results index")
    _visit(page, f"{base}/pulse/results/{pulse['results']}/", found, "pulse results")

    # Community: an event, an RSVP, the social-post composer, the host's pages.
    _visit(page, f"{base}/community/", found, "community index with an event")
    _visit(page, f"{base}/community/e/{event.pk}/", found, "community event")
    page.locator('form[action$="/rsvp/"] input[name="nickname"]').fill("Sam")
    page.locator('form[action$="/rsvp/"] button[type=submit]').click()
    page.wait_for_load_state("load")
    _check(page, "community RSVP confirmation", found)
    page.seen.add("community:rsvp")  # a POST that ends on the event page with its confirmation
    _visit(page, f"{base}/community/social/", found, "community composer")
    page.locator('main textarea[name="text"]').fill("Hard nights on 4 West. We lost a patient.")
    page.locator("main form.composer button[type=submit]").click()
    page.locator("#final-post").wait_for()
    _check(page, "community composer with a checked post", found)
    # The host's private link: the form it lands on, an old-style link, then the link itself (its
    # token after "#", posted by app.js) opening the gathering's pages.
    _visit(page, f"{base}/community/manage/", found, "community manage link form")
    _visit(page, f"{base}/community/manage/old-link/", found, "community old link", status=410)
    page.goto(f"{page.base}{base}/community/manage/#{token}")
    page.wait_for_url("**/community/manage/gathering/")
    _check(page, "community manage", found)
    _visit(page, f"{base}/community/manage/gathering/edit/", found, "community edit")

    # Peer support: the closed request's rating form, then the thank-you.
    page.goto(f"{page.base}{base}/peer-support/check/")
    page.locator('main input[name="code"]').fill(words)
    page.locator("main form button[type=submit]").first.click()
    page.locator('input[name="rating"]').first.wait_for()
    _check(page, "peer status with rating form", found)
    page.locator('input[name="rating"][value="4"]').check()
    page.locator('form[action$="/rate/"] button[type=submit]').click()
    page.wait_for_load_state("load")
    _check(page, "peer rating sent", found)

    # Branded error pages (404 and 405 are walked above).
    _visit(
        page,
        f"{base}/counseling/therapists/?" + "&".join(f"f{i}=1" for i in range(1200)),
        found,
        "400",
        status=400,
    )
    _visit(page, f"{base}/test-forbidden/", found, "403", status=403)
    _visit(page, f"{base}/test-broken/", found, "500", status=500)
    page.goto(f"{page.base}{base}/my/safety-plan/edit/")
    page.context.clear_cookies(name="csrftoken")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().strip() in {"Your form expired", "Su formulario caducó"}
    _check(page, "CSRF failure", found)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert page.seen >= WALKED_ELSEWHERE, WALKED_ELSEWHERE - page.seen
