"""A platform admin whom the operator gave Django's admin (``RESPITE_DJANGO_ADMIN`` on, a superuser)
wants to read worker content: answers, messages to counselors, contacts, safety plans, comments. The
issue's attack: add yourself a counselor membership in the admin, then read a shared case.

Generated from the admin site's own registry (every registered model: list, add, and for every row
change, history and delete), so a model registered later is walked without editing this file. Every
worker-content field in the world of ``xss_fixtures`` carries a marker; none may appear on any admin
page, and no worker-side model may be registered at all.

Sign-in: ``force_login``. If the admin site demands a second factor, ``_superuser_client`` is the one
place to satisfy it.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from respite.core.models import Membership
from respite.core.privacy import worker_side_models
from respite.core.roles import StaffRole
from respite.core.testing import make_user
from respite.core.tests import xss_fixtures as fx
from respite.counseling.models import Case

pytestmark = pytest.mark.django_db

# Models whose rows are worker content without pointing at an access code (anonymous by design).
ANONYMOUS_WORKER_CONTENT = {
    "pulse.Response",
    "pulse.Comment",
    "community.Note",
    "community.Pledge",
    "community.Rsvp",
}


def _worker_content_labels() -> set[str]:
    return {m._meta.label for m in worker_side_models()} | ANONYMOUS_WORKER_CONTENT


def _superuser_client() -> Client:
    root = make_user("root", is_staff=True, is_superuser=True)
    client = Client(raise_request_exception=False)
    client.force_login(root)
    # Past the admin's second factor too (its sign-in is tested in test_two_factor): this test is
    # about what a fully signed-in superuser can reach.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from respite.core.testing import enrol_two_factor

    enrol_two_factor(root)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=root).persistent_id
    session.save()
    return client


def _admin_urls() -> list[str]:
    urls = ["/admin/"]
    for model in admin.site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:app_list", kwargs={"app_label": app}))
        for view in ("changelist", "add"):
            urls.append(reverse(f"admin:{app}_{name}_{view}"))
        for pk in model._default_manager.values_list("pk", flat=True)[:40]:
            for view in ("change", "history", "delete"):
                try:
                    urls.append(reverse(f"admin:{app}_{name}_{view}", args=[pk]))
                except NoReverseMatch:  # pragma: no cover - a view the admin does not offer
                    continue
    return sorted(set(urls))


def test_no_worker_side_model_is_registered_in_the_admin():
    registered = {m._meta.label for m in admin.site._registry}
    assert "core.Organization" in registered  # the registry is read, not empty
    assert not registered & _worker_content_labels(), registered & _worker_content_labels()


@pytest.mark.parametrize("with_pulse", [True])
def test_a_superuser_in_django_admin_reads_no_worker_content(settings, with_pulse):
    settings.RESPITE_DJANGO_ADMIN = True
    world = fx.build_world(with_pulse)
    labels = _worker_content_labels()
    secret = {
        key: fx.marker(key)
        for key in fx.registry(with_pulse)
        if key.rsplit(".", 1)[0] in labels and fx.carries_marker(key)
    }
    assert len(secret) >= 10, sorted(secret)
    visible = fx.marker("core.Organization.name")

    client = _superuser_client()
    assert client.get("/admin/").status_code == 200, "the superuser is not in the admin at all"
    leaks, seen_org = [], False
    for url in _admin_urls():
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        body = response.content.decode(errors="replace")
        seen_org = seen_org or visible in body
        leaks += [(url, key) for key, mark in secret.items() if mark in body]
    assert seen_org, "the admin pages showed none of the world: the walk proves nothing"
    assert not leaks, leaks
    assert world.org is not None


def test_a_superuser_cannot_make_themself_a_counselor_in_the_admin_and_read_a_case(
    settings, org, counselor
):
    """The attack from issue 17, step by step."""
    from respite.counseling.tests.conftest import make_screening

    settings.RESPITE_DJANGO_ADMIN = True
    from respite.core.privacy import new_access_code

    code = new_access_code(org)[1]
    case = Case.objects.create(
        organization=org, access_code=code, screening=make_screening(org, code=code), tier="urgent"
    )
    client = _superuser_client()
    root = Membership.objects.model._meta.get_field("user").related_model.objects.get(
        username="root"
    )
    add = client.post(
        reverse("admin:core_membership_add"),
        {"user": root.pk, "organization": org.pk, "role": StaffRole.COUNSELOR},
    )
    assert add.status_code == 403
    assert not Membership.objects.filter(user=root).exists()
    some = Membership.objects.first()
    change = client.post(
        reverse("admin:core_membership_change", args=[some.pk]),
        {"user": root.pk, "organization": org.pk, "role": StaffRole.COUNSELOR},
    )
    assert change.status_code == 403 and not Membership.objects.filter(user=root).exists()
    case_page = client.get(f"/staff/o/{org.slug}/counseling/cases/{case.pk}/")
    assert case_page.status_code == 404
