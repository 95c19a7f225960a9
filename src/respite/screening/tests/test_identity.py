"""One worker identity: one access code for screenings, counseling, bookings and peer support, opened
together on My space; code words in the worker's language."""

from __future__ import annotations

import unicodedata

import pytest
from django.test import Client
from mnemonic import Mnemonic

from respite.core.models import AccessCode
from respite.core.testing import find, sealed_links
from respite.core.urlseal import seal
from respite.counseling import scheduling
from respite.counseling.models import Case
from respite.counseling.tests.conftest import make_clinician, make_slot
from respite.peers.models import SupportRequest
from respite.peers.tests.factories import make_supporter
from respite.screening.models import Screening
from respite.screening.tests.test_worker_flow import checkin_data

pytestmark = pytest.mark.django_db
SPANISH = {unicodedata.normalize("NFC", w) for w in Mnemonic("spanish").wordlist}


def _code(body: str) -> str:
    return find(r'data-testid="access-code">([^<]+)<', body).strip()


def _checkin_and_save(client, org, lang="en", **kwargs) -> tuple[Screening, str]:
    headers = {"HTTP_ACCEPT_LANGUAGE": lang}
    client.post(f"/o/{org.slug}/check-in/", checkin_data(**kwargs), **headers)
    screening = Screening.objects.order_by("-created_at").first()
    assert screening is not None
    body = client.post(
        f"/o/{org.slug}/results/{seal(screening.pk)}/save/", **headers
    ).content.decode()
    return screening, _code(body)


def test_a_spanish_speaker_gets_spanish_code_words_and_may_type_them_without_accents(org):
    client = Client()
    _screening, code = _checkin_and_save(client, org, lang="es")
    words = code.split("-")
    assert len(words) == 8 and set(words) <= SPANISH
    typed = " ".join(words).translate(str.maketrans("áéíóúü", "aeiouu")).upper()
    fresh = Client()
    response = fresh.post(f"/o/{org.slug}/my/", {"code": typed})
    assert response.status_code == 302 and response["Location"].endswith("/my/space/")


def test_one_code_for_screening_peer_support_counseling_and_booking_all_on_my_space(org, counselor):
    make_supporter(org, "pat")
    slot = make_slot(make_clinician("therapist"), hours_ahead=72)
    client = Client()
    screening, code = _checkin_and_save(client, org, burnout=3)  # one code issued here
    # peer support while signed in: no second code
    body = client.post(
        f"/o/{org.slug}/peer-support/ask/",
        {"mode": "code", "language": "en", "event_type": "other", "role_group": ""},
    ).content.decode()
    assert 'data-testid="access-code"' not in body, "a second code was issued"
    # counseling: share, and "new code" while signed in is refused quietly
    client.post(f"/o/{org.slug}/counseling/share/{seal(screening.pk)}/", {"message": "hard week"})
    client.post(f"/o/{org.slug}/counseling/code/new/")
    the_code = AccessCode.objects.get()
    scheduling.do_book(
        code=the_code,
        organization=org,
        slot_id=slot.pk,
        state="CA",
        language="en",
        contact_method="text",
        contact="555-0100",
    )
    assert AccessCode.objects.count() == 1
    assert (
        SupportRequest.objects.get().requester_code == the_code
        and Case.objects.get().access_code == the_code
    )

    # a new browser opens all of it with the one code
    phone = Client()
    phone.post(f"/o/{org.slug}/my/", {"code": code})
    page = phone.get(f"/o/{org.slug}/my/space/").content.decode()
    links = sealed_links(page)  # history rows link to results, cases and requests, ids sealed
    case, req = Case.objects.get(), SupportRequest.objects.get()
    assert 'data-kind="engagement"' in page
    for prefix, pk in (
        (f"/o/{org.slug}/results/", screening.pk),
        (f"/o/{org.slug}/counseling/cases/", case.pk),
        (f"/o/{org.slug}/peer-support/status/", req.pk),
    ):
        link = next(p for p, plain in links.items() if p.startswith(prefix) and plain == str(pk))
        assert phone.get(link).status_code == 200, link


def test_a_peer_request_without_a_code_issues_one_that_becomes_the_workers_identity(org):
    client = Client()
    body = client.post(
        f"/o/{org.slug}/peer-support/ask/",
        {"mode": "code", "language": "es", "event_type": "other", "role_group": ""},
    ).content.decode()
    words = _code(body).split("-")
    assert set(words) <= SPANISH  # the request's language
    client.post(f"/o/{org.slug}/check-in/", checkin_data())
    screening = Screening.objects.get()
    assert (
        screening.access_code_id == SupportRequest.objects.get().requester_code_id
    )  # saved under it


def test_save_first_then_share_continues_on_the_code_page(client, org, counselor):
    client.post(f"/o/{org.slug}/check-in/", checkin_data(burnout=3))
    screening = Screening.objects.get()
    body = client.post(
        f"/o/{org.slug}/results/{seal(screening.pk)}/save/", {"then": "share"}
    ).content.decode()
    assert 'data-testid="access-code"' in body
    assert str(screening.pk) in [
        pk for path, pk in sealed_links(body).items() if "/counseling/share/" in path
    ]
    assert "Copy the code" in body and "Print the code" in body


def test_my_space_is_closed_to_another_browser(org):
    owner = Client()
    _checkin_and_save(owner, org)
    attacker = Client()
    response = attacker.get(f"/o/{org.slug}/my/space/")
    assert response.status_code == 302 and response["Location"].endswith("/my/")
    forged = Client()
    session = forged.session
    session["respite_access_code"] = "00000000-0000-0000-0000-000000000000"
    session.save()
    assert forged.get(f"/o/{org.slug}/my/space/").status_code == 302
