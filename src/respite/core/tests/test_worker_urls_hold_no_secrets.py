"""An attacker who reads the reverse proxy's access log (or the browser history of a shared computer)
wants the ids of a worker's screening, counseling case, therapy sessions, bookings and peer request,
their pulse invitation code or their access code, to join them to the database.

Two tests: a worker's whole journey through the test client, recording every URL asked for (path and
query) and every link and form target the pages offer, finds none of those secrets; and the URL map
itself has no worker route that takes an id or token in the clear, so a new page cannot add one.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from respite.core.models import AccessCode
from respite.core.testing import find
from respite.core.tests.test_security_suite import _routes
from respite.counseling.models import Booking, Case, Engagement, Slot
from respite.counseling.tests.conftest import make_clinician, make_slot
from respite.peers.models import SupportRequest
from respite.peers.tests.factories import make_supporter
from respite.pulse.models import SurveyToken
from respite.pulse.tests.factories import make_survey, make_units, open_invitation
from respite.screening.models import Screening
from respite.screening.tests.test_worker_flow import checkin_data

pytestmark = pytest.mark.django_db


class RecordingClient(Client):
    """A browser whose every request line lands in ``seen``, as a proxy would log it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: list[str] = []
        self.offered: list[str] = []

    def request(self, **request):
        query = request.get("QUERY_STRING", "")
        self.seen.append(request["PATH_INFO"] + (f"?{query}" if query else ""))
        response = super().request(**request)
        if response.get("Content-Type", "").startswith("text/html"):
            html = response.content.decode()
            self.offered += re.findall(r'(?:href|action|src)="([^"]+)"', html)
        if response.get("Location"):
            self.offered.append(response["Location"])
        return response


def _links(client: RecordingClient, marker: str) -> list[str]:
    return sorted({u.split("#")[0] for u in client.offered if marker in u and u.startswith("/")})


def _form_target(html: str, marker: str) -> str:
    return next(a for a in re.findall(r'action="([^"]+)"', html) if marker in a)


def _journey(org) -> tuple[list[RecordingClient], str, str]:
    """A worker's week: check-in, save, share with a counselor, write, book and cancel a therapist,
    ask for peer support, a safety plan, a pulse invitation, then My space on another phone."""
    make_supporter(org, "pat")
    make_slot(make_clinician("therapist"), hours_ahead=72)
    make_slot(Slot.objects.get().clinician, hours_ahead=96)
    o = f"/o/{org.slug}"
    worker = RecordingClient()
    result = worker.post(f"{o}/check-in/", checkin_data(burnout=3), follow=True)
    assert result.status_code == 200
    saved = worker.post(_form_target(result.content.decode(), "/save/"), {"then": "share"})
    code = find(r'data-testid="access-code">([^<]+)<', saved.content.decode())
    case_page = worker.post(
        _form_target(saved.content.decode(), "/counseling/share/"),
        {"message": "hard week"},
        follow=True,
    )
    assert case_page.status_code == 200 and Case.objects.exists()
    worker.post(_form_target(case_page.content.decode(), "/reply/"), {"body": "still hard"})
    worker.get(f"{o}/counseling/")

    therapists = worker.get(f"{o}/counseling/therapists/", {"state": "CA", "language": "en"})
    book = next(u for u in _links(worker, "/book/"))
    assert therapists.status_code == 200
    worker.get(book.replace("&amp;", "&"))
    session = worker.post(
        book.split("?")[0], {"state": "CA", "contact_method": "text", "contact": "555-0100"}
    )
    assert session.status_code == 302, session.status_code
    engagement = worker.get(session["Location"]).content.decode()
    for ics in _links(worker, ".ics"):
        worker.get(ics)
    worker.post(_form_target(engagement, "/cancel/"), {"confirm": "keep"}, follow=True)
    assert Booking.objects.filter(status="cancelled").exists()

    asked = worker.post(
        f"{o}/peer-support/ask/",
        {"mode": "code", "language": "en", "event_type": "other", "role_group": ""},
    )
    assert asked.status_code == 200 and SupportRequest.objects.exists()
    worker.post(
        f"{o}/my/safety-plan/edit/",
        {"warning_signs": "no sleep", "coping": "walk", "reasons": "my dog"},
    )
    worker.get(f"{o}/my/safety-plan/")

    survey = make_survey(org)
    (raw,) = SurveyToken.issue(survey, make_units(org, {"ICU": None})["ICU"], 1)
    link = reverse("pulse:index", kwargs={"org": org.slug}) + f"#{raw}"
    answer = open_invitation(worker, link)
    worker.get(answer)
    worker.post(answer, {"burnout__1": 3, "work__workload": 3})

    # Another phone: the code opens My space; the worker opens everything listed there.
    phone = RecordingClient()
    phone.post(f"{o}/my/", {"code": code}, follow=True)
    phone.get(f"{o}/my/space/")
    for path in _links(phone, f"{o}/"):
        if "/delete/" not in path and "/sign-out/" not in path:
            phone.get(path)
    phone.get(f"{o}/alerts/")
    return [worker, phone], code, raw


def _secrets(code: str, raw: str) -> set[str]:
    ids = [
        *Screening.objects.values_list("pk", flat=True),
        *Case.objects.values_list("pk", flat=True),
        *Engagement.objects.values_list("pk", flat=True),
        *Booking.objects.values_list("pk", flat=True),
        *SupportRequest.objects.values_list("pk", flat=True),
    ]
    found = {
        raw,
        code,
        code.replace("-", " "),
        *AccessCode.objects.values_list("digest", flat=True),
    }
    for pk in ids:
        found |= {str(pk), pk.hex, pk.hex[:8]}
    return {s.lower() for s in found if s}


def test_a_proxy_log_of_a_workers_whole_journey_holds_no_secret_id_token_or_code(org, counselor):
    clients, code, raw = _journey(org)
    seen = [u for c in clients for u in c.seen]
    offered = [u for c in clients for u in c.offered]
    # The journey really went everywhere (so the test cannot pass by visiting nothing).
    for page in (
        "/results/",
        "/counseling/cases/",
        "/counseling/sessions/",
        "/peer-support/status/",
    ):
        assert any(page in u for u in seen), page
    assert any("/bookings/" in u for u in seen)
    assert any(u.endswith("/pulse/t/") for u in seen)
    secrets = _secrets(code, raw)
    assert len(secrets) >= 12
    leaks = [(u, s) for u in seen + offered for s in secrets if s in u.lower()]
    assert not leaks, leaks


# Worker routes (under /o/<org>/) whose parameters name something public, with the reason. Everything
# else that names an object must use the sealed_uuid / sealed_int converters of core.urlseal.
PUBLIC_PARAMETERS = {
    "instrument": "a screening instrument's public name (phq9)",
    "guide": "a public self-care guide",
    "key": "a pulse survey's shared link: the same for everyone in a unit, printed on posters",
    # Directory services and community events are public listings, not anything a worker did.
    "directory/s/<str:pk>/": "a public directory service",
    "community/e/<uuid:pk>/": "a public community event page",
    "logo/<str:digest>.png": "the organization's public logo, named by its content hash",
    "pulse/results/<int:survey_pk>/<int:number>/": "a survey round's published organization-level "
    "results ('you said, we did'): the same page for every worker",
}
# No exceptions for capability links: even the community host's management token travels after "#"
# and is posted with a form (community.views.open_manage), never in a path.


def test_no_worker_route_takes_an_id_or_token_in_the_clear():
    bare = []
    worker_routes = [r for r, _p in _routes() if r.startswith("o/<slug:org>/")]
    assert len(worker_routes) >= 40
    for route in worker_routes:
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", route)[1:]:
            if converter in ("sealed_uuid", "sealed_int") or name in PUBLIC_PARAMETERS:
                continue
            if any(marker in route for marker in PUBLIC_PARAMETERS):
                continue
            bare.append(route)
    assert not bare, bare
    sealed = [r for r in worker_routes if "<sealed_" in r]
    assert len(sealed) >= 12  # results, share, cases, sessions, bookings, slots, peer status


def test_a_sealed_link_is_useless_to_a_log_reader(org, monkeypatch):
    """The sealed segment names nothing without the key, changes every hour, and stops opening
    anything once the worker's session could have ended."""
    from respite.core import urlseal

    screening = Screening.objects.create(organization=org)
    token = urlseal.seal(screening.pk)
    assert str(screening.pk) not in token and screening.pk.hex not in token.lower()
    assert urlseal.unseal(token) == str(screening.pk)
    assert urlseal.unseal(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None  # forged
    now = urlseal._hour()
    monkeypatch.setattr(
        urlseal, "_hour", lambda: now + 2
    )  # two hours on: another string, still valid
    assert urlseal.seal(screening.pk) != token and urlseal.unseal(token) == str(screening.pk)
    monkeypatch.setattr(urlseal, "_hour", lambda: now + 11)  # after the session could have ended
    assert urlseal.unseal(token) is None
    expired = Client().get(f"/o/{org.slug}/results/{token}/")
    assert expired.status_code == 404 and f'href="/o/{org.slug}/"' in expired.content.decode()
