"""Platform console: an organization's names in English and Spanish and its logo, shown to workers."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from respite.core.models import AuditLog, Organization
from respite.core.testing import PASSWORD

pytestmark = pytest.mark.django_db


def _png(size=(300, 120), fmt="PNG", **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 100)).save(out, format=fmt, **save)
    return out.getvalue()


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _url(org) -> str:
    return f"/staff/organizations/{org.slug}/branding/"


def test_platform_admin_sets_names_and_logo_workers_see_them(org, platform_admin):
    client = _client(platform_admin)
    response = client.post(
        _url(org),
        {
            "name": "Acme Health",
            "name_es": "Salud Acme",
            "logo": SimpleUploadedFile("logo.jpg", _png(fmt="JPEG"), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name_es == "Salud Acme" and org.logo_digest

    worker = Client()
    english = worker.get(f"/o/{org.slug}/").content.decode()
    spanish = worker.get(f"/o/{org.slug}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert f'src="/o/{org.slug}/logo/{org.logo_digest}.png"' in english
    assert "Acme Health" in english and "Salud Acme" not in english
    assert "Salud Acme" in spanish

    logo = worker.get(org.logo_url())
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    assert logo["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in logo["Content-Security-Policy"]
    # Re-encoded: a PNG no wider than 512 pixels, whatever was uploaded.
    with Image.open(io.BytesIO(logo.content)) as image:
        assert image.format == "PNG" and max(image.size) <= 512
    entry = AuditLog.objects.get(action="organization.branding_changed")
    assert entry.organization == org and entry.detail["fields"] == ["logo", "name_es"]


def test_a_new_logo_gets_a_new_address_and_removing_it_hides_it(org, platform_admin):
    client = _client(platform_admin)
    client.post(_url(org), {"name": org.name, "logo": SimpleUploadedFile("a.png", _png())})
    first = Organization.objects.get(pk=org.pk).logo_url()
    client.post(_url(org), {"name": org.name, "logo": SimpleUploadedFile("b.png", _png((64, 64)))})
    second = Organization.objects.get(pk=org.pk).logo_url()
    assert first != second
    assert client.get(first).status_code == 404
    client.post(_url(org), {"name": org.name, "remove_logo": "on"})
    assert Organization.objects.get(pk=org.pk).logo_digest == ""
    assert client.get(second).status_code == 404
    assert "brand-logo" not in Client().get(f"/o/{org.slug}/").content.decode()


@pytest.mark.parametrize(
    ("upload", "language", "text"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "en",
            "PNG, JPEG or WebP",
        ),
        (b"GIF89a not really", "es", "PNG, JPEG o WebP"),
        (b"\x89PNG" + b"0" * (3 * 1024 * 1024), "en", "smaller than 2 MB"),
    ],
)
def test_bad_logos_are_refused_in_the_users_language(org, platform_admin, upload, language, text):
    client = _client(platform_admin)
    response = client.post(
        _url(org),
        {"name": org.name, "logo": SimpleUploadedFile("logo.svg", upload, "image/svg+xml")},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert text in response.content.decode()
    assert Organization.objects.get(pk=org.pk).logo_digest == ""


def test_a_decompression_bomb_is_refused_before_it_is_decoded(org, platform_admin):
    bomb = _png((6000, 6000))  # small file, 36 million pixels
    response = _client(platform_admin).post(
        _url(org), {"name": org.name, "logo": SimpleUploadedFile("bomb.png", bomb)}
    )
    assert response.status_code == 400
    assert "too many pixels" in response.content.decode()


def test_only_platform_admins_reach_branding(org, org_admin, outsider):
    for person in (org_admin, outsider):
        client = _client(person)
        assert client.get(_url(org)).status_code == 404
        assert client.post(_url(org), {"name": "Taken over"}).status_code == 404
    assert Organization.objects.get(pk=org.pk).name == "Acme Health"


def test_branding_posts_need_csrf(org, platform_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(platform_admin)
    assert client.post(_url(org), {"name": "Changed"}).status_code == 403


def test_platform_console_creates_an_organization_with_a_spanish_name(platform_admin):
    client = _client(platform_admin)
    response = client.post(
        "/staff/organizations/",
        {
            "slug": "valle",
            "name": "Valley Clinic",
            "name_es": "Clínica del Valle",
            "accent_color": "#1d5c63",
            "role_groups": ["nurse"],
            "time_zone": "America/Los_Angeles",
            "min_group_size": 5,
            "admin_email": "admin@valle.test",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Organization.objects.get(slug="valle").name_es == "Clínica del Valle"
