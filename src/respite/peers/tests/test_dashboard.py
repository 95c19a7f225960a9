import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from respite.core.testing import PASSWORD
from respite.peers import stats
from respite.peers.models import Source, SupportRequest


def _bulk(org, source, n, *, event="patient_death", hours=None, rating=None, referral=""):
    now = timezone.now()
    SupportRequest.objects.bulk_create(
        SupportRequest(
            organization=org,
            source=source,
            event_type=event,
            created_at=now - timedelta(days=2),
            contacted_at=(now - timedelta(days=2) + timedelta(hours=hours))
            if hours is not None
            else None,
            rating=rating,
            referral=referral,
        )
        for _ in range(n)
    )


def _values(rows):
    return {str(label): (c.value, c.suppressed) for label, c in rows}


@pytest.mark.django_db
def test_small_cells_are_suppressed_with_their_complement(org):
    _bulk(org, Source.MANAGER, 12, hours=5)
    _bulk(org, Source.COLLEAGUE, 7, hours=30)
    _bulk(org, Source.GROUP, 2, event="violence")  # 2 < k=5
    figures = stats.dashboard(org)
    assert figures["total"].value == 21
    by_source = _values(figures["by_source"])
    assert by_source[str(Source.GROUP.label)] == (None, True)
    # complementary: the next-smallest non-zero cell is hidden too, so 21 - visible does not give 2
    assert by_source[str(Source.COLLEAGUE.label)] == (None, True)
    assert by_source[str(Source.MANAGER.label)] == (12, False)
    assert by_source[str(Source.SELF_CODE.label)] == (0, False)
    by_event = _values(figures["by_event"])
    assert by_event["Violence or threat at work"] == (None, True)
    assert figures["median_hours"].value == 5.0 and figures["contacted"].value == 19


@pytest.mark.django_db
def test_satisfaction_and_time_to_contact_hidden_below_k(org):
    _bulk(org, Source.SELF_CONTACT, 4, hours=3, rating=5)
    figures = stats.dashboard(org)
    assert (
        figures["total"].suppressed
        and figures["satisfaction"].suppressed
        and figures["median_hours"].suppressed
    )
    assert all(c.suppressed or c.value == 0 for _label, c in figures["by_source"])
    _bulk(org, Source.SELF_CONTACT, 1, hours=9, rating=3)
    figures = stats.dashboard(org)
    assert figures["satisfaction"].value == 4.6 and figures["median_hours"].value == 3.0


@pytest.mark.django_db
def test_dashboard_page_and_api_show_no_hidden_figure(client, org, lead):
    _bulk(org, Source.MANAGER, 10, hours=5, referral="professional")
    _bulk(org, Source.GROUP, 3, event="violence", hours=7, referral="crisis")
    client.login(username=lead.username, password=PASSWORD)
    page = client.get(f"/staff/o/{org.slug}/peer-support/lead/")
    assert page.status_code == 200
    cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", page.content.decode(), re.S)]
    assert "13" in cells and "3" not in cells and "10" not in cells
    assert '<span class="suppressed">hidden</span>' in cells
    api = client.get(f"/api/v1/peer-support/{org.slug}/dashboard").json()
    assert api["total"]["value"] == 13
    groups = {row["label"]: row for row in api["by_source"]}
    assert (
        groups[str(Source.GROUP.label)]["value"] is None
        and groups[str(Source.GROUP.label)]["n"] is None
    )
    referrals = {row["label"]: row["value"] for row in api["referrals"]}
    assert referrals["Crisis resource"] is None


@pytest.mark.django_db
def test_dashboard_api_is_for_leads_only(org, org_admin, counselor, outsider):
    for user in (org_admin, counselor, outsider):
        client = Client()
        client.login(username=user.username, password=PASSWORD)
        assert client.get(f"/api/v1/peer-support/{org.slug}/dashboard").status_code == 404
    assert Client().get(f"/api/v1/peer-support/{org.slug}/dashboard").status_code == 401


@pytest.mark.django_db
def test_dashboard_queries_do_not_grow_with_supporters(
    client, org, lead, django_assert_max_num_queries
):
    from respite.peers.tests.factories import make_supporter

    for n in range(6):
        make_supporter(org, f"sup{n}")
    client.login(username=lead.username, password=PASSWORD)
    with django_assert_max_num_queries(14):
        assert client.get(f"/staff/o/{org.slug}/peer-support/lead/").status_code == 200
