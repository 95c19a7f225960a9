"""Named actors for counseling tests: an anonymous worker (with a code), a colleague with another
code, counselors, a peer supporter, volunteer clinicians."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from respite.core import privacy
from respite.core.roles import StaffRole
from respite.core.testing import make_staff, make_user
from respite.counseling.models import Case, Clinician, Slot
from respite.screening import instruments
from respite.screening.models import Screening
from respite.screening.views import SESSION_CODE

PHQ9_MODERATE = {str(i): v for i, v in zip(range(1, 10), [2, 2, 1, 1, 1, 2, 1, 1, 0], strict=True)}
PHQ9_CRISIS = {**PHQ9_MODERATE, "9": 2}
PHQ9_MILD = {str(i): v for i, v in zip(range(1, 10), [1, 1, 1, 1, 1, 1, 0, 0, 0], strict=True)}
# A volunteer therapist's profile form, filled in.
VOLUNTEER_PROFILE = {
    "display_name": "Dr T",
    "licence_type": "lcsw",
    "states": ["CA"],
    "licence_number": "L-2",
    "languages": ["en"],
    "modalities": ["video"],
    "session_cap": "12",
    "session_minutes": "50",
    "time_zone": "America/Los_Angeles",
    "accepting": "on",
}


def make_screening(org, answers=PHQ9_MODERATE, code=None) -> Screening:
    screening = Screening.do_create([instruments.get("phq9").score(answers)], organization=org)
    if code is not None:
        screening.save_under(code)
    return screening


def make_case(
    org, code=None, *, screening=None, answers=PHQ9_MODERATE, opened=None, **kwargs
) -> Case:
    """A worker's conversation, opened at ``opened`` (now) and awaiting a reply since then; with a
    new code and a screening of ``answers`` unless given."""
    if code is None:
        code = privacy.new_access_code(org)[1]
    if screening is None:
        screening = make_screening(org, answers, code=code)
    opened = opened or timezone.now()
    return Case.objects.create(
        organization=org,
        access_code=code,
        screening=screening,
        tier=screening.tier,
        opened_at=opened,
        awaiting_reply_since=opened,
        **kwargs,
    )


def worker_client(code=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if code is not None:
        session = client.session
        session[SESSION_CODE] = str(code.pk)
        session.save()
    return client


def login(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def make_clinician(
    username=None,
    *,
    states=("CA",),
    languages=("en",),
    specialties=(),
    verified=True,
    tz="America/Los_Angeles",
    cap=12,
    email="",
    **kwargs,
) -> Clinician:
    user = make_user(username, email=email)
    return Clinician.objects.create(
        user=user,
        display_name=kwargs.pop("display_name", f"Dr {user.username}"),
        licence_type="lcsw",
        states=list(states),
        licence_number="L-1",
        languages=list(languages),
        specialties=list(specialties),
        modalities=["video"],
        time_zone=tz,
        session_cap=cap,
        verified_at=timezone.now() if verified else None,
        **kwargs,
    )


def make_slot(clinician, *, hours_ahead=24, minutes=50) -> Slot:
    start = (timezone.now() + timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
    return Slot.objects.create(
        clinician=clinician, starts_at=start, ends_at=start + timedelta(minutes=minutes)
    )


@pytest.fixture
def code(org):
    return privacy.new_access_code(org)[1]


@pytest.fixture
def other_code(org):
    return privacy.new_access_code(org)[1]


@pytest.fixture
def worker(code):
    return worker_client(code)


@pytest.fixture
def peer(org):
    return make_staff(org, StaffRole.PEER_SUPPORTER, "peer")


@pytest.fixture
def other_counselor(other_org):
    return make_staff(other_org, StaffRole.COUNSELOR, "counselor-elsewhere")


@pytest.fixture
def case(org, code):
    return make_case(org, code)


@pytest.fixture
def clinician(db):
    return make_clinician("therapist")
