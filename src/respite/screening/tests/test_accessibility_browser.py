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

import pytest
from django.utils import timezone

from respite.core.roles import StaffRole
from respite.core.testing import axe_violations, make_org, make_staff
from respite.core.urlseal import seal
from respite.counseling.models import Case, Message
from respite.counseling.scheduling import do_book
from respite.counseling.tests.conftest import make_clinician, make_slot
from respite.peers.models import PeerMessage, Source, do_create_request, do_post_message
from respite.peers.tests.factories import make_supporter
from respite.screening import instruments
from respite.screening.models import Screening
from respite.screening.selfcare import all_guides

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHECKIN = {
    "phq2__1": 2,
    "phq2__2": 2,
    "gad2__1": 1,
    "gad2__2": 1,
    "burnout__1": 3,
    "selfharm__9": 0,
}
RESULTS = {  # one saved result per tier and risk level
    "minimal": ("phq9", {str(i): 0 for i in range(1, 10)}),
    "moderate": ("phq9", {str(i): v for i, v in enumerate([2, 2, 1, 1, 1, 2, 1, 1, 0], 1)}),
    "urgent": ("phq9", {str(i): v for i, v in enumerate([3, 3, 2, 2, 2, 2, 2, 2, 2], 1)}),
    "risk-high": ("cssrs", {"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0}),
    "risk-moderate": ("cssrs", {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0, "6": 0}),
    "risk-low": ("cssrs", {"1": 1, "2": 0, "6": 0}),
    "food": ("hvs", {"1": 1, "2": 1}),
}


def _check(page, label: str, found: dict[str, list[str]]) -> None:
    page.wait_for_load_state("load")
    problems = axe_violations(page)
    if problems:
        found[label] = problems


def _visit(page, path: str, found: dict[str, list[str]], label: str | None = None) -> None:
    response = page.goto(page.base + path)
    expected = {"no-such-page": 404, "counseling/code/": 405}
    expected = next((v for k, v in expected.items() if k in path), 200)
    assert response is not None and response.status == expected, (
        path,
        response and response.status,
    )
    _check(page, label or path, found)


def _world(org, code, lang: str) -> dict:
    """Everything one worker has under their code: results, a case, a booking, a peer thread."""
    made = {}
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


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_wcag_violation_on_any_worker_page(phone, lang):
    org = make_org("access", name="Riverside Community Health", state="CA")
    make_staff(org, StaffRole.COUNSELOR, "counselor")
    page = phone
    base = f"/o/{org.slug}"
    found: dict[str, list[str]] = {}
    page.goto(page.base + base + "/")
    if lang == "es":
        page.get_by_role("button", name="Español").click()
    _check(page, "portal home", found)

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
    assert timezone.now() - made["case"].opened_at < timedelta(hours=1)
