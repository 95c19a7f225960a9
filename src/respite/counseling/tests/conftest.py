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
from respite.counseling.models import Clinician, Slot
from respite.screening import instruments
from respite.screening.models import Screening
from respite.screening.views import SESSION_CODE

PHQ9_MODERATE = {str(i): v for i, v in zip(range(1, 10), [2, 2, 1, 1, 1, 2, 1, 1, 0], strict=True)}
PHQ9_CRISIS = {**PHQ9_MODERATE, "9": 2}
PHQ9_MILD = {str(i): v for i, v in zip(range(1, 10), [1, 1, 1, 1, 1, 1, 0, 0, 0], strict=True)}


def make_screening(org, answers=PHQ9_MODERATE, code=None) -> Screening:
    screening = Screening.do_create([instruments.get("phq9").score(answers)], organization=org)
    if code is not None:
        screening.save_under(code)
    return screening


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
    **kwargs,
) -> Clinician:
    user = make_user(username)
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
    from respite.counseling.models import Case

    screening = make_screening(org, code=code)
    now = timezone.now()
    return Case.objects.create(
        organization=org,
        access_code=code,
        screening=screening,
        tier=screening.tier,
        opened_at=now,
        awaiting_reply_since=now,
    )


@pytest.fixture
def clinician(db):
    return make_clinician("therapist")
