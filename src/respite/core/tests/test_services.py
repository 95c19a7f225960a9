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
