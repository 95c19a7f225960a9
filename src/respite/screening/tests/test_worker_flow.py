"""The worker's path through the portal with Django's test client."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from respite.core.models import AccessCode
from respite.core.testing import find
from respite.screening.models import Screening

pytestmark = pytest.mark.django_db


def checkin_data(phq=(0, 0), gad=(0, 0), burnout=1, selfharm=0, **extra):
    data = {
        "phq2__1": phq[0],
        "phq2__2": phq[1],
        "gad2__1": gad[0],
        "gad2__2": gad[1],
        "burnout__1": burnout,
        "selfharm__9": selfharm,
    }
    data.update(extra)
    return data


def test_negative_checkin_goes_straight_to_results_with_self_care(client, org):
    response = client.post(f"/o/{org.slug}/check-in/", checkin_data(), follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your results" in body and "PHQ-2" in body and "GAD-2" in body
    assert "Help is available right now" not in body  # no crisis block
    screening = Screening.objects.get()
    assert screening.tier == "self_care" and screening.access_code is None


def test_positive_phq2_follows_up_with_the_rest_of_phq9(client, org):
    response = client.post(f"/o/{org.slug}/check-in/", checkin_data(phq=(2, 2)))
    body = response.content.decode()
    assert "A few more questions" in body
    assert 'name="phq9__3"' in body
    assert 'name="phq9__1"' not in body  # already answered in the PHQ-2
    assert 'name="phq9__9"' not in body  # already answered as the check-in's self-harm question
    carry = re.search(r'name="carry" value="([^"]+)"', body).group(1)
    answers = {f"phq9__{i}": 1 for i in range(3, 9)}
    response = client.post(
        f"/o/{org.slug}/check-in/", {"step": "2", "carry": carry, **answers}, follow=True
    )
    results = response.content.decode()
    assert "PHQ-9" in results and "GAD-2" in results
    result = Screening.objects.get().results.get(instrument="phq9")
    assert result.score == 2 + 2 + 6 and result.band == "moderate"
    assert result.answers["9"] == 0  # carried from the self-harm question
    assert (
        not Screening.objects.get().results.filter(instrument="selfharm").exists()
    )  # counted once


def test_missing_answers_are_marked_and_given_answers_kept(client, org):
    data = checkin_data()
    del data["gad2__2"]
    response = client.post(f"/o/{org.slug}/check-in/", data)
    body = response.content.decode()
    assert response.status_code == 400 and "Please choose an answer." in body
    assert re.search(r'name="phq2__1" value="0"[^>]*checked', body)
    assert not Screening.objects.exists()


def test_tampered_follow_up_is_refused_without_500(client, org):
    response = client.post(
        f"/o/{org.slug}/check-in/", {"step": "2", "carry": "forged", "phq9__3": 1}, follow=True
    )
    assert response.status_code == 200 and "expired" in response.content.decode()


def test_crisis_answer_shows_crisis_options_before_any_score(client, org):
    answers = {f"phq9__{i}": 0 for i in range(1, 9)} | {"phq9__9": 1}
    body = client.post(f"/o/{org.slug}/screenings/phq9/", answers, follow=True).content.decode()
    crisis_at = body.index("Help is available right now")
    assert crisis_at < body.index("result-summary") and crisis_at < body.index("<h1>Your results")
    assert 'href="tel:988"' in body and 'href="sms:988"' in body and "741741" in body


def test_cssrs_risk_answer_shows_crisis_first(client, org):
    body = client.post(
        f"/o/{org.slug}/screenings/cssrs/",
        {"cssrs__1": 1, "cssrs__2": 0, "cssrs__6": 0},
        follow=True,
    ).content.decode()
    assert body.index("Help is available right now") < body.index("result-summary")


def test_results_are_private_to_the_session_that_took_them(client, org):
    response = client.post(f"/o/{org.slug}/check-in/", checkin_data())
    url = response["Location"]
    assert client.get(url).status_code == 200
    assert Client().get(url).status_code == 404


def _save(client, org) -> str:
    response = client.post(f"/o/{org.slug}/check-in/", checkin_data(phq=(1, 1)))
    pk = response["Location"].rstrip("/").split("/")[-1]
    body = client.post(f"/o/{org.slug}/results/{pk}/save/").content.decode()
    return find(r'data-testid="access-code">([^<]+)<', body).strip()


def test_save_shows_code_once_and_stores_only_its_hash(client, org):
    code = _save(client, org)
    words = code.split("-")
    assert len(words) == 8
    row = AccessCode.objects.get()
    assert code not in row.digest and row.digest != code
    assert Screening.objects.get().access_code == row
    # coming back with the code, from another device
    other = Client()
    response = other.post(
        f"/o/{org.slug}/my/", {"code": code.replace("-", " ").upper()}, follow=True
    )
    assert response.status_code == 200 and "My space" in response.content.decode()
    assert code not in response.content.decode()  # never shown again
    chart = other.get(f"/o/{org.slug}/my/history/chart.svg")
    assert (
        chart.status_code == 200
        and chart["Content-Type"] == "image/svg+xml"
        and b"<svg" in chart.content
    )


def test_saved_history_grows_when_taking_again_while_signed_in(client, org):
    _save(client, org)
    client.post(f"/o/{org.slug}/check-in/", checkin_data())
    saved = Screening.objects.filter(access_code__isnull=False)
    assert saved.count() == 2
    # Dates, not times, beside a worker's saved answers: the one taken while signed in too.
    assert {(s.created_at.hour, s.created_at.minute, s.created_at.second) for s in saved} == {
        (0, 0, 0)
    }


def test_a_code_from_another_organization_never_files_a_check_in_under_it(client, org, other_org):
    """Signed in at one employer's portal, then checking in at another's in the same browser: the
    second employer's screening is not added to the first one's saved history."""
    _save(client, org)
    client.post(f"/o/{other_org.slug}/check-in/", checkin_data())
    elsewhere = Screening.objects.get(organization=other_org)
    assert elsewhere.access_code_id is None
    assert Screening.objects.filter(access_code__isnull=False).count() == 1


def _without_per_response_tokens(html: str) -> str:
    """Drop what differs on every response anyway: CSRF tokens and CSP nonces."""
    html = re.sub(r'nonce="[^"]+"', "", html)
    return re.sub(r"[A-Za-z0-9]{64}", "", html)


def test_wrong_and_unknown_codes_are_indistinguishable_and_throttled(client, org, settings):
    settings.RESPITE_CODE_FAILURES_PER_CODE = 3
    code = _save(client, org)
    wrong = "-".join(
        [*code.split("-")[:-1], "abandon" if not code.endswith("abandon") else "ability"]
    )
    unknown = "zoo zoo zoo zoo zoo zoo zoo zoo"
    malformed = "not a code"
    bodies = set()
    for attempt in (wrong, unknown, malformed):
        response = Client().post(f"/o/{org.slug}/my/", {"code": attempt})
        assert response.status_code == 400
        bodies.add(_without_per_response_tokens(response.content.decode()).replace(attempt, ""))
    assert len(bodies) == 1
    # per-code throttle: after 3 failures even the right code is refused with the same 429
    for _ in range(3):
        Client().post(f"/o/{org.slug}/my/", {"code": unknown})
    assert Client().post(f"/o/{org.slug}/my/", {"code": unknown}).status_code == 429


def test_per_address_throttle_is_generous_but_bounded(client, org, settings):
    settings.RESPITE_CODE_FAILURES_PER_ADDRESS = 4
    code = _save(client, org)
    c = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(4):
        assert (
            c.post(
                f"/o/{org.slug}/my/",
                {"code": f"zoo zoo zoo zoo zoo zoo zoo {['zero', 'abandon', 'able', 'about'][n]}"},
            ).status_code
            == 400
        )
    assert (
        c.post(f"/o/{org.slug}/my/", {"code": "zoo zoo zoo zoo zoo zoo zoo zone"}).status_code
        == 429
    )
    # a colleague behind the same address still gets in with a real code (core/tests/test_code_limits.py)
    assert (
        Client(REMOTE_ADDR="198.51.100.7").post(f"/o/{org.slug}/my/", {"code": code}).status_code
        == 302
    )


def test_delete_everything_removes_code_and_saved_screenings(client, org):
    _save(client, org)
    assert client.post(f"/o/{org.slug}/my/delete/", {}).status_code == 302
    assert AccessCode.objects.count() == 1  # not confirmed: nothing deleted
    response = client.post(f"/o/{org.slug}/my/delete/", {"confirm": "on"}, follow=True)
    assert "has been deleted" in response.content.decode()
    assert not AccessCode.objects.exists() and not Screening.objects.exists()


def test_role_group_is_optional_and_limited_to_the_organizations_choices(client, org):
    org.role_groups = ["nurse", "environmental_services"]
    org.save()
    body = client.get(f"/o/{org.slug}/check-in/").content.decode()
    assert "Environmental services" in body and "Physician" not in body
    client.post(f"/o/{org.slug}/check-in/", checkin_data(role_group="nurse"))
    assert Screening.objects.get().role_group == "nurse"
    response = client.post(f"/o/{org.slug}/check-in/", checkin_data(role_group="physician"))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


def test_unknown_organization_and_instrument_are_404(client, org):
    assert client.get("/o/nope/check-in/").status_code == 404
    assert client.get(f"/o/{org.slug}/screenings/nope/").status_code == 404


def test_spanish_portal(client, org):
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    body = client.get(f"/o/{org.slug}/screenings/phq9/").content.decode()
    assert 'lang="es"' in body and "Poco interés o placer en hacer cosas" in body
