"""Safety: everyone is asked the self-harm question; a risk answer leads on to the C-SSRS; each risk
level has its own page; high and moderate risk offer a Stanley-Brown safety plan kept under the code."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client

from respite.core.models import AccessCode
from respite.core.testing import find
from respite.core.urlseal import seal
from respite.counseling.models import Case
from respite.screening.models import SafetyPlan, Screening
from respite.screening.tests.test_worker_flow import checkin_data

pytestmark = pytest.mark.django_db

CSSRS = {  # answers that give each C-SSRS risk level
    "high": {
        "cssrs__1": 1,
        "cssrs__2": 1,
        "cssrs__3": 1,
        "cssrs__4": 1,
        "cssrs__5": 0,
        "cssrs__6": 0,
    },
    "moderate": {
        "cssrs__1": 1,
        "cssrs__2": 1,
        "cssrs__3": 1,
        "cssrs__4": 0,
        "cssrs__5": 0,
        "cssrs__6": 0,
    },
    "low": {"cssrs__1": 1, "cssrs__2": 0, "cssrs__6": 0},
    "none": {"cssrs__1": 0, "cssrs__2": 0, "cssrs__6": 0},
}
PLAN = {
    "warning_signs": "Not sleeping after nights",
    "coping": "Walk the dog",
    "distractions": "",
    "helpers": "My sister",
    "professionals": "",
    "environment": "Medicines at my sister's",
    "reasons": "My kids",
}


def test_every_worker_is_asked_the_self_harm_question(client, org):
    body = client.get(f"/o/{org.slug}/check-in/").content.decode()
    assert 'name="selfharm__9"' in body
    assert "Thoughts that you would be better off dead or of hurting yourself" in body


def _checkin_to_cssrs(client, org, **kwargs) -> str:
    body = client.post(
        f"/o/{org.slug}/check-in/", checkin_data(selfharm=1, **kwargs)
    ).content.decode()
    assert "A few safety questions" in body
    return body


def test_a_risk_answer_leads_to_the_cssrs_with_crisis_options_first(client, org):
    body = _checkin_to_cssrs(client, org, phq=(3, 3))
    assert body.index("Help is available right now") < body.index("<h1>")
    assert 'name="cssrs__1"' in body and 'name="cssrs__6"' in body
    assert 'name="phq9__3"' not in body  # grading the risk comes first; nothing else is asked
    assert not Screening.objects.exists()


def _finish_checkin(client, org, level: str) -> str:
    body = _checkin_to_cssrs(client, org)
    carry = find(r'name="carry" value="([^"]+)"', body)
    response = client.post(
        f"/o/{org.slug}/check-in/", {"step": "2", "carry": carry, **CSSRS[level]}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("level", ["high", "moderate", "low"])
def test_each_risk_level_has_its_own_page(client, org, level):
    body = _finish_checkin(client, org, level)
    assert Screening.objects.get().results.get(instrument="cssrs").band == level
    assert body.index("Help is available right now") < body.index("<h1>Your results")
    assert f'data-risk="{level}"' in body
    heading = {
        "high": "Please reach out now",
        "moderate": "Talk with someone today",
        "low": "Connect with someone this week",
    }[level]
    assert heading in body
    assert ("Make my safety plan" in body) is (level in ("high", "moderate"))
    assert 'href="tel:911"' in body  # the crisis options always carry 911
    assert "Answer the safety questions" not in body  # already graded


def test_no_risk_on_the_cssrs_still_shows_crisis_options_for_the_self_harm_answer(client, org):
    body = _finish_checkin(client, org, "none")
    assert "Help is available right now" in body and "data-risk=" not in body


def test_item_nine_of_a_phq9_taken_alone_leads_on_to_the_cssrs(client, org):
    answers = {f"phq9__{i}": 0 for i in range(1, 9)} | {"phq9__9": 2}
    body = client.post(f"/o/{org.slug}/screenings/phq9/", answers, follow=True).content.decode()
    assert body.index("Help is available right now") < body.index("Answer the safety questions")
    assert f'href="/o/{org.slug}/screenings/cssrs/"' in body


@pytest.mark.parametrize(("level", "urgent"), [("high", True), ("moderate", True), ("low", False)])
def test_moderate_and_high_risk_reach_the_counselor_flagged_urgent(
    client, org, counselor, level, urgent
):
    _finish_checkin(client, org, level)
    screening = Screening.objects.get()
    client.post(f"/o/{org.slug}/results/{seal(screening.pk)}/save/", {"then": "share"})
    client.post(f"/o/{org.slug}/counseling/share/{seal(screening.pk)}/", {"message": ""})
    assert Case.objects.get().urgent is urgent


# --- the safety plan ---------------------------------------------------------------------------------


def test_a_plan_saved_without_a_code_gets_one_code_and_is_encrypted(client, org):
    response = client.post(f"/o/{org.slug}/my/safety-plan/edit/", PLAN)
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="access-code"' in body
    plan = SafetyPlan.objects.get()
    assert plan.access_code == AccessCode.objects.get() and plan.coping == "Walk the dog"
    with connection.cursor() as cur:
        cur.execute("SELECT coping, reasons FROM screening_safetyplan")
        raw = " ".join(cur.fetchone())
    assert "Walk the dog" not in raw and "My kids" not in raw
    page = client.get(f"/o/{org.slug}/my/safety-plan/").content.decode()
    for text in (
        "Not sleeping after nights",
        "Walk the dog",
        "My sister",
        "Medicines at my sister",
        "My kids",
    ):
        assert text in page
    assert "988" in page and "Print my plan" in page
    # changing it keeps the same code: no second code
    client.post(f"/o/{org.slug}/my/safety-plan/edit/", {**PLAN, "coping": "Call my sister"})
    assert AccessCode.objects.count() == 1 and SafetyPlan.objects.get().coping == "Call my sister"


def test_a_signed_in_worker_keeps_the_plan_under_their_existing_code(client, org):
    _finish_checkin(client, org, "high")
    screening = Screening.objects.get()
    body = client.post(f"/o/{org.slug}/results/{seal(screening.pk)}/save/").content.decode()
    assert 'data-testid="access-code"' in body
    response = client.post(f"/o/{org.slug}/my/safety-plan/edit/", PLAN)
    assert response.status_code == 302 and AccessCode.objects.count() == 1
    assert SafetyPlan.objects.get().access_code_id == Screening.objects.get().access_code_id


def test_another_browser_cannot_read_the_plan(client, org):
    client.post(f"/o/{org.slug}/my/safety-plan/edit/", PLAN)
    attacker = Client()
    response = attacker.get(f"/o/{org.slug}/my/safety-plan/", follow=True)
    assert "Walk the dog" not in response.content.decode()
    # a forged session key pointing at someone else's plan id is not a code either
    response = attacker.get(f"/o/{org.slug}/my/safety-plan/edit/")
    assert "Walk the dog" not in response.content.decode()


def test_an_empty_plan_is_refused_in_the_workers_language(client, org):
    response = client.post(
        f"/o/{org.slug}/my/safety-plan/edit/", {k: " " for k in PLAN}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.status_code == 400 and not SafetyPlan.objects.exists()
    assert "Escriba al menos un paso de su plan." in response.content.decode()


def test_too_long_a_step_is_refused(client, org):
    response = client.post(f"/o/{org.slug}/my/safety-plan/edit/", {**PLAN, "coping": "x" * 2001})
    assert response.status_code == 400 and not SafetyPlan.objects.exists()


def test_plan_edit_enforces_csrf(org):
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/o/{org.slug}/my/safety-plan/edit/", PLAN).status_code == 403
    assert not SafetyPlan.objects.exists()


def test_deleting_everything_deletes_the_plan_and_clears_the_device(client, org):
    client.post(f"/o/{org.slug}/my/safety-plan/edit/", PLAN)
    response = client.post(f"/o/{org.slug}/my/delete/", {"confirm": "on"})
    assert not SafetyPlan.objects.exists()
    assert "storage" in response["Clear-Site-Data"]


def test_closing_my_space_clears_the_offline_copy(client, org):
    client.post(f"/o/{org.slug}/my/safety-plan/edit/", PLAN)
    response = client.post(f"/o/{org.slug}/my/sign-out/")
    assert '"cache"' in response["Clear-Site-Data"] and '"storage"' in response["Clear-Site-Data"]
    assert (
        "Walk the dog"
        not in client.get(f"/o/{org.slug}/my/safety-plan/", follow=True).content.decode()
    )


def test_spanish_crisis_options_carry_the_spanish_keywords_and_chat(client, org):
    answers = {f"phq9__{i}": 0 for i in range(1, 9)} | {"phq9__9": 1}
    body = client.post(
        f"/o/{org.slug}/screenings/phq9/", answers, follow=True, HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    crisis = body[: body.index("<h1>")]
    assert (
        'href="sms:988?&amp;body=AYUDA"' in crisis and 'href="sms:741741?&amp;body=AYUDA"' in crisis
    )
    assert 'href="https://988lineadevida.org/"' in crisis and "en inglés" not in crisis
    english = client.post(f"/o/{org.slug}/screenings/phq9/", answers, follow=True).content.decode()
    assert (
        'href="sms:741741?&amp;body=SCRUBS"' in english
        and 'href="https://988lifeline.org/chat/"' in english
    )


def test_a_result_whose_session_expired_can_still_be_saved_from_its_page(client, org):
    client.post(f"/o/{org.slug}/check-in/", checkin_data(burnout=4))
    screening = Screening.objects.get()
    page = client.get(f"/o/{org.slug}/results/{seal(screening.pk)}/").content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    session_cookie = client.cookies.pop("sessionid")  # the session expired while the page was open
    assert session_cookie
    response = client.post(f"/o/{org.slug}/results/{seal(screening.pk)}/save/", {"token": token})
    assert response.status_code == 200 and 'data-testid="access-code"' in response.content.decode()
    assert Screening.objects.get().access_code_id is not None


def test_a_save_token_opens_nothing_else(client, org):
    client.post(f"/o/{org.slug}/check-in/", checkin_data())
    first = Screening.objects.get()
    page = client.get(f"/o/{org.slug}/results/{seal(first.pk)}/").content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    other = Client()
    other.post(f"/o/{org.slug}/check-in/", checkin_data(burnout=3))
    second = Screening.objects.exclude(pk=first.pk).get()
    attacker = Client()
    assert (
        attacker.post(
            f"/o/{org.slug}/results/{seal(second.pk)}/save/", {"token": token}
        ).status_code
        == 404
    )
    assert (
        attacker.post(
            f"/o/{org.slug}/results/{seal(first.pk)}/save/", {"token": "forged"}
        ).status_code
        == 404
    )
    # and a saved result is never re-saved with a token
    client.post(f"/o/{org.slug}/results/{seal(first.pk)}/save/")
    assert (
        attacker.post(f"/o/{org.slug}/results/{seal(first.pk)}/save/", {"token": token}).status_code
        == 404
    )
