"""Organizations, staff roles, the audit log and staff sign-in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from respite.core.models import AuditLog, Organization, has_role
from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_each_organization_has_its_own_branded_portal(client, org, other_org):
    org.accent_color = "#5b2a86"
    org.save()
    body = client.get(f"/o/{org.slug}/").content.decode()
    assert "Acme Health" in body and "#5b2a86" in body and "Elsewhere" not in body
    home = client.get("/").content.decode()
    assert f"/o/{org.slug}/" in home and f"/o/{other_org.slug}/" in home


def test_org_admin_changes_settings_and_the_change_is_audit_logged(org, org_admin):
    client = login(org_admin)
    response = client.post(
        f"/staff/o/{org.slug}/settings/",
        {
            "name": "Acme Health System",
            "welcome": "Hello",
            "accent_color": "#1d5c63",
            "state": "ca",
            "role_groups": ["nurse", "other"],
            "min_group_size": 7,
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (
        org.name == "Acme Health System"
        and org.state == "CA"
        and org.role_groups == ["nurse", "other"]
    )
    entry = AuditLog.objects.get(action="organization.settings_changed")
    assert entry.actor == org_admin and entry.organization == org
    assert "name" in entry.detail["fields"] and "Acme Health System" not in str(entry.detail)


def test_settings_reject_tiny_groups_and_unreadable_colours(org, org_admin):
    client = login(org_admin)
    response = client.post(
        f"/staff/o/{org.slug}/settings/",
        {"name": "Acme", "accent_color": "#ffff00", "min_group_size": 2, "role_groups": ["nurse"]},
    )
    body = response.content.decode()
    assert (
        response.status_code == 200 and "too light" in body and "greater than or equal to 5" in body
    )
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("actor", ["anonymous", "counselor", "outsider", "peer"])
def test_only_the_organizations_admins_reach_its_settings(org, counselor, outsider, actor):
    client = {
        "anonymous": Client(),
        "counselor": login(counselor),
        "outsider": login(outsider),
        "peer": login(make_staff(org, StaffRole.PEER_SUPPORTER)),
    }[actor]
    for url in (f"/staff/o/{org.slug}/settings/", f"/staff/o/{org.slug}/audit/"):
        response = client.get(url)
        if actor == "anonymous":
            assert response.status_code == 302 and "/staff/login/" in response["Location"]
        else:
            assert response.status_code == 404


def test_platform_admin_administers_every_organization_but_holds_no_content_roles(
    org, platform_admin
):
    assert has_role(platform_admin, org, StaffRole.ORG_ADMIN)
    assert not has_role(platform_admin, org, StaffRole.COUNSELOR)
    assert login(platform_admin).get(f"/staff/o/{org.slug}/settings/").status_code == 200


def test_audit_log_is_append_only(org, org_admin):
    entry = AuditLog.record(org_admin, "test.action", org, organization=org, field="x")
    entry.action = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.update(action="x")
    assert AuditLog.objects.get().action == "test.action"


def test_staff_login_is_throttled_per_account_with_the_same_message(org, org_admin):
    for _ in range(5):
        Client().post("/staff/login/", {"username": "owner", "password": "wrong"})
    response = Client().post("/staff/login/", {"username": "owner", "password": PASSWORD})
    assert (
        response.status_code == 200
        and "Too many failed sign-in attempts" in response.content.decode()
    )
    # another account from the same hospital address is unaffected
    other = make_staff(org, StaffRole.COUNSELOR, "colleague")
    assert (
        Client()
        .post("/staff/login/", {"username": other.username, "password": PASSWORD})
        .status_code
        == 302
    )


def test_staff_home_lists_organizations_and_roles(org, org_admin):
    body = login(org_admin).get("/staff/").content.decode()
    assert "Acme Health" in body and f"/staff/o/{org.slug}/settings/" in body


def test_passwords_are_hashed_with_argon2_in_production_settings():
    from django.conf import settings

    # the test run swaps in a fast hasher; the real setting names Argon2 first
    from respite import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.PASSWORD_HASHERS  # loaded


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    from cryptography.fernet import Fernet

    env = {
        k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }  # set for browser tests only
    env = {
        **env,
        "RESPITE_ENV": "production",
        "SECRET_KEY": "x" * 60 + "-production-secret-for-check",
        # a fresh key: production refuses the development key (core/tests/test_production_keys.py)
        "RESPITE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "respite.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    root = Path(__file__).resolve().parents[4]
    result = subprocess.run(
        [sys.executable, str(root / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secrets(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "RESPITE_ENCRYPTION_KEY"}}
    env.update(RESPITE_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    root = Path(__file__).resolve().parents[4]
    result = subprocess.run(
        [sys.executable, str(root / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_organization_defaults(org):
    assert Organization.objects.get(slug="acme").min_group_size == 5
    assert "nurse" in org.role_groups


def test_staff_home_shows_pages_that_belong_to_no_organization(platform_admin):
    body = login(platform_admin).get("/staff/").content.decode()
    assert "/staff/volunteers/review/" in body
