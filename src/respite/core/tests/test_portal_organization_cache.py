"""Worker pages keep their organization's row per process (issue 19): a portal page costs no look-up
of it, yet every change made here shows on the next page, a deleted portal is gone at once, a change
made elsewhere (another process, no shared cache) shows within ``navigation.TTL``, and no request
can change the object another request gets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from respite.core import navigation, portal
from respite.core.models import Organization

pytestmark = pytest.mark.django_db


def _page(org_slug: str) -> tuple[int, str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(f"/o/{org_slug}/check-in/")
    looked_up = [q["sql"] for q in queries if 'FROM "core_organization"' in q["sql"]]
    return response.status_code, response.content.decode(), looked_up


def test_a_portal_page_looks_its_organization_up_once_per_process(org):
    assert _page(org.slug)[2]  # first visit: read
    status, _body, looked_up = _page(org.slug)
    assert status == 200 and looked_up == []


def test_a_change_to_the_organization_shows_on_the_next_page(org):
    _page(org.slug)
    org.name = "Lakeside Clinic"
    org.save(update_fields=["name"])
    status, body, looked_up = _page(org.slug)
    assert status == 200 and looked_up and "Lakeside Clinic" in body


def test_a_deleted_portal_is_gone_on_the_next_page(org):
    slug = org.slug
    _page(slug)
    org.delete()
    assert _page(slug)[0] == 404


def test_a_change_made_elsewhere_shows_within_the_time_limit(org, monkeypatch):
    _page(org.slug)
    # Another process changed the row; this process's cache heard nothing (no shared cache).
    Organization.objects.filter(pk=org.pk).update(name="Renamed Elsewhere")
    assert "Renamed Elsewhere" not in _page(org.slug)[1]
    clock = portal.time.monotonic() + navigation.TTL + 1
    monkeypatch.setattr(portal.time, "monotonic", lambda: clock)
    assert "Renamed Elsewhere" in _page(org.slug)[1]


def test_each_request_gets_its_own_organization_object(org):
    _page(org.slug)
    first = portal._organization_by_slug(org.slug)
    first.name = "Changed in memory"
    first.role_groups.append("not-a-group")
    second = portal._organization_by_slug(org.slug)
    assert second is not first
    assert second.name == org.name and "not-a-group" not in second.role_groups
    assert second.pk == org.pk and not second._state.adding


def test_staff_pages_read_the_row_every_time(org, org_admin):
    admin = Client()
    admin.force_login(org_admin)
    url = f"/staff/o/{org.slug}/units/"
    admin.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert admin.get(url).status_code == 200
    assert any('FROM "core_organization"' in q["sql"] for q in queries)


def test_a_cleared_cache_never_brings_back_a_replaced_portal():
    """The version counter lives in the cache: when the cache is cleared (a Redis restart, an
    eviction), a counter restarting at 1 would match the version an old row was kept under, and a
    portal deleted and created again under the same address would show the old one's name."""
    from django.core.cache import cache

    from respite.core.testing import make_org

    cache.clear()
    old = make_org("harbor", name="Harbor Old Name")
    assert "Harbor Old Name" in _page("harbor")[1]
    old.delete()
    cache.clear()
    make_org("harbor", name="Harbor New Name")
    status, body, _looked_up = _page("harbor")
    assert status == 200 and "Harbor New Name" in body and "Harbor Old Name" not in body
