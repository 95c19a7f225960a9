"""Offer only help that exists: the portal hides counseling and peer support nobody provides."""

from __future__ import annotations

import pytest
from django.test import Client

from respite.core.roles import StaffRole
from respite.core.services import available_services
from respite.core.testing import make_staff

pytestmark = pytest.mark.django_db


def portal(org, lang: str = "en") -> str:
    return Client().get(f"/o/{org.slug}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_a_new_organization_offers_no_counselor_or_peer_and_says_what_it_offers(org):
    assert available_services(org) == {
        "counseling": False,
        "peer_support": False,
        "therapists": False,
    }
    body = portal(org)
    assert (
        f'href="/o/{org.slug}/counseling/"' not in body
        and f'href="/o/{org.slug}/peer-support/"' not in body
    )
    assert "does not offer counselors or peer supporters" in body and 'href="/crisis/"' in body
    assert "todavía no ofrece consejeros" in portal(org, "es")


def test_adding_a_counselor_turns_counseling_on_and_deactivating_turns_it_off(org, org_admin):
    counselor = make_staff(org, StaffRole.COUNSELOR)
    assert available_services(org)["counseling"]
    assert f'href="/o/{org.slug}/counseling/"' in portal(org)
    assert "does not offer counselors" not in portal(org)
    admin = Client()
    admin.force_login(org_admin)
    admin.post(f"/staff/o/{org.slug}/staff/{counselor.pk}/deactivate/")
    assert f'href="/o/{org.slug}/counseling/"' not in portal(org)


def test_peer_support_needs_an_active_supporter_on_the_roster(org):
    from respite.peers.models import Supporter

    user = make_staff(org, StaffRole.PEER_SUPPORTER)
    assert not available_services(org)["peer_support"]  # the role alone: nobody on the roster
    supporter = Supporter.objects.create(organization=org, user=user, display_name="Sam")
    assert available_services(org)["peer_support"]
    assert f'href="/o/{org.slug}/peer-support/"' in portal(org)
    supporter.active = False
    supporter.save(update_fields=["active"])
    assert f'href="/o/{org.slug}/peer-support/"' not in portal(org)


def test_an_answer_kept_on_the_organization_follows_a_change_and_expires(org, monkeypatch):
    """The answer kept on an organization instance (the result page asks four times) is dropped as
    soon as a role changes here, and after ``navigation.TTL`` seconds in any case: a change made in
    another process, with no shared cache, moves no version here."""
    import time

    from respite.core import navigation, services
    from respite.core.models import Membership, Organization

    assert not services.cached_available_services(org)["counseling"]
    make_staff(org, StaffRole.COUNSELOR)  # a role change: the navigation version moves
    assert services.cached_available_services(org)["counseling"]

    # Another process demotes the counselor: no signal here, no version change.
    Membership.objects.filter(organization=org, role=StaffRole.COUNSELOR).update(
        role=StaffRole.ORG_ADMIN
    )
    mono = time.monotonic()
    assert services.cached_available_services(org)["counseling"]  # kept, within TTL
    monkeypatch.setattr(time, "monotonic", lambda: mono + navigation.TTL + 1)
    assert not services.cached_available_services(org)["counseling"]
    # A fresh instance (the next request) reads the same: nothing older than TTL is kept anywhere.
    assert not services.cached_available_services(Organization.objects.get(pk=org.pk))["counseling"]


def test_a_change_no_version_sees_reaches_the_next_worker_page_within_ttl(org, monkeypatch):
    """Another process (no shared cache here) demotes the last counselor: worker pages may offer
    counseling for at most ``navigation.TTL`` seconds more, never longer."""
    import time

    from respite.core import navigation
    from respite.core.models import Membership

    make_staff(org, StaffRole.COUNSELOR)
    link = f'href="/o/{org.slug}/counseling/"'
    assert link in portal(org)
    Membership.objects.filter(organization=org, role=StaffRole.COUNSELOR).update(
        role=StaffRole.ORG_ADMIN
    )
    mono = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: mono + navigation.TTL + 1)
    assert link not in portal(org)


def test_what_one_request_writes_into_its_services_never_reaches_the_next(org):
    """The services are kept per process; each request gets its own copy to read."""
    from respite.core.models import Organization
    from respite.core.services import cached_available_services

    mine = cached_available_services(Organization.objects.get(pk=org.pk))
    mine["counseling"] = True  # a careless caller
    assert not cached_available_services(Organization.objects.get(pk=org.pk))["counseling"]
    assert f'href="/o/{org.slug}/counseling/"' not in portal(org)
