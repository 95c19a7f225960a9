"""Only the organization's admins reach assessments; everyone else gets 404 (or the login page)."""

from __future__ import annotations

import pytest
from django.test import Client

from respite.assessments.models import ActionItem, Assessment, Commitment
from respite.assessments.tests.conftest import url
from respite.core.roles import StaffRole
from respite.core.testing import make_staff

pytestmark = pytest.mark.django_db


def all_urls(org, assessment, item, commitment):
    return [
        url(org),
        url(org, "plan"),
        url(org, "progress", framework="all_in"),
        url(org, "progress_chart", framework="all_in"),
        url(org, "answer", pk=assessment.pk),
        url(org, "scorecard", pk=assessment.pk),
        url(org, "chart", pk=assessment.pk),
        url(org, "report_pdf", pk=assessment.pk),
        url(org, "report_csv", pk=assessment.pk),
        url(org, "item_new", framework="all_in"),
        url(org, "item_edit", pk=item.pk),
        url(org, "commitment_new"),
        url(org, "commitment_edit", pk=commitment.pk),
    ]


@pytest.fixture
def objects(org, assessment):
    item = ActionItem.objects.create(
        organization=org, framework="all_in", area="access", title="Add night EAP hours"
    )
    commitment = Commitment.objects.create(
        organization=org, title="Change Maker", target_date="2027-01-01"
    )
    return assessment, item, commitment


@pytest.mark.parametrize("role", [StaffRole.COUNSELOR, StaffRole.PEER_SUPPORTER])
def test_other_roles_in_the_same_organization_get_404(client, org, objects, role):
    client.force_login(make_staff(org, role, f"someone-{role}"))
    for u in all_urls(org, *objects):
        assert client.get(u).status_code == 404, u


def test_admins_of_another_organization_get_404(client, org, outsider, objects):
    client.force_login(outsider)
    for u in all_urls(org, *objects):
        assert client.get(u).status_code == 404, u


def test_an_admin_cannot_reach_another_organizations_objects_through_their_own_portal(
    client, other_org, outsider, objects
):
    """Object ids from one organization are 404 under another organization's URL."""
    client.force_login(outsider)
    assessment, item, commitment = objects
    for u in all_urls(other_org, assessment, item, commitment)[4:]:
        if "new" in u:
            continue
        assert client.get(u).status_code == 404, u
    response = client.post(url(other_org, "answer", pk=assessment.pk), {"v_access_off_hours": "3"})
    assert response.status_code == 404
    assert not assessment.answers.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, org, objects):
    for u in all_urls(org, *objects):
        response = client.get(u)
        assert response.status_code == 302 and "/staff/login/" in response["Location"], u


def test_admin_and_platform_admin_see_every_page(client, org, org_admin, platform_admin, objects):
    for user in (org_admin, platform_admin):
        client.force_login(user)
        for u in all_urls(org, *objects):
            assert client.get(u).status_code == 200, u


def test_posts_need_a_csrf_token(org, org_admin, objects):
    assessment, item, commitment = objects
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(org_admin)
    posts = {
        url(org, "start"): {"framework": "all_in"},
        url(org, "answer", pk=assessment.pk): {"v_access_off_hours": "3"},
        url(org, "complete", pk=assessment.pk): {},
        url(org, "plan_from_gaps", pk=assessment.pk): {
            "areas": ["access"],
            "due_date": "2030-01-01",
        },
        url(org, "item_edit", pk=item.pk): {"title": "x"},
        url(org, "commitment_edit", pk=commitment.pk): {"title": "x"},
    }
    for u, data in posts.items():
        assert csrf_client.post(u, data).status_code == 403, u
    assert Assessment.objects.count() == 1 and not assessment.answers.exists()


def test_changing_views_refuse_get(admin_client, org, assessment):
    for name in ("start",):
        assert admin_client.get(url(org, name)).status_code == 405
    for name in ("complete", "plan_from_gaps"):
        assert admin_client.get(url(org, name, pk=assessment.pk)).status_code == 405


def test_staff_home_links_admins_to_assessments(client, org, org_admin, counselor):
    client.force_login(org_admin)
    assert url(org).encode() in client.get("/staff/").content
    client.force_login(counselor)
    assert url(org).encode() not in client.get("/staff/").content
