from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from respite.core.testing import PASSWORD
from respite.peers.models import Source, Supporter, SupportRequest
from respite.peers.tests.factories import make_department, make_referral, make_supporter


def _req(org, dept, **kw):
    return make_referral(org, dept, source=Source.COLLEAGUE, event_type="medical_error", **kw)


@pytest.mark.django_db
def test_same_department_supporter_is_never_suggested_nor_offered(
    org, er, er_supporter, icu_supporter
):
    req = _req(org, er)
    assert req.suggestions() == [icu_supporter]
    assert list(req.offers.all()) == [icu_supporter]


@pytest.mark.django_db
def test_same_department_supporter_cannot_accept_even_by_posting(
    org, er, er_supporter, icu_supporter
):
    req = _req(org, er)
    req.offers.add(er_supporter)  # e.g. offered by mistake before joining the department
    client = Client()
    client.login(username="erin", password=PASSWORD)
    client.post(f"/staff/o/{org.slug}/peer-support/r/{req.pk}/accept/")
    req.refresh_from_db()
    assert req.assigned is None
    assert req.do_accept(er_supporter) is False


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    roster=st.lists(
        st.tuples(
            st.sets(st.integers(0, 3), max_size=3), st.booleans(), st.sampled_from(["en", "es"])
        ),
        min_size=1,
        max_size=6,
    ),
    requester_dept=st.integers(0, 3),
    language=st.sampled_from(["en", "es"]),
)
@pytest.mark.django_db
def test_suggestions_never_include_requesters_department(org, roster, requester_dept, language):
    Supporter.objects.filter(organization=org).delete()
    SupportRequest.objects.all().delete()
    depts = [make_department(org, f"Dept {n}") for n in range(4)]
    for n, (dept_ids, active, lang) in enumerate(roster):
        make_supporter(
            org,
            f"s{n}-{timezone.now().timestamp()}",
            [depts[i] for i in dept_ids],
            languages=[lang],
            active=active,
        )
    req = _req(org, depts[requester_dept], language=language)
    for s in req.suggestions():
        assert not s.departments.filter(pk=depts[requester_dept].pk).exists()
        assert s.active and language in s.languages


@pytest.mark.django_db
def test_language_load_pause_and_on_call_shape_the_suggestions(org, er, icu):
    now = timezone.now()
    busy = make_supporter(org, "busy", [icu], languages=["es", "en"], max_open=1)
    english_only = make_supporter(org, "eng", [icu], languages=["en"])
    paused = make_supporter(org, "paused", [icu], languages=["es"], active=False)
    on_call = make_supporter(
        org,
        "oncall",
        [icu],
        languages=["es"],
        on_call=(now - timedelta(hours=1), now + timedelta(hours=1)),
    )
    nurse = make_supporter(org, "nurse", [icu], languages=["es"], role_groups=["nurse"])
    _req(org, er).do_accept(busy)
    req = _req(org, er, language="es", role_group="nurse")
    suggested = req.suggestions(now)
    assert suggested == [
        on_call,
        nurse,
    ]  # on call first, then same role; busy, paused and English-only left out
    assert busy not in suggested and paused not in suggested and english_only not in suggested


@pytest.mark.django_db
def test_first_accept_wins(org, er, icu_supporter):
    other = make_supporter(org, "olga", [], languages=["en"])
    req = _req(org, er)
    assert req.do_accept(icu_supporter) is True
    fresh = SupportRequest.objects.get(pk=req.pk)
    assert fresh.do_accept(other) is False
    fresh.refresh_from_db()
    assert fresh.assigned == icu_supporter
