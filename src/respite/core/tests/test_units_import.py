"""The organization console imports the unit tree (pulse units, peer-support departments) from CSV:
dry run first, line-numbered errors in the person's language, then apply; audited."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from respite.core import units
from respite.core.models import AuditLog
from respite.core.testing import PASSWORD
from respite.peers.models import Department
from respite.pulse.models import Unit

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _url(org) -> str:
    return f"/staff/o/{org.slug}/units/"


def _check(client, org, text: str | bytes, **headers):
    raw = text.encode() if isinstance(text, str) else text
    return client.post(
        _url(org), {"action": "preview", "file": SimpleUploadedFile("units.csv", raw)}, **headers
    )


def test_dry_run_then_apply_builds_one_tree_for_pulse_and_peers(org, org_admin):
    Unit.objects.create(organization=org, name="Main Hospital")
    client = _client(org_admin)
    csv_text = (
        "name,parent\n"
        "Emergency Department,Main Hospital\n"
        "Night shift,Emergency Department\n"
        "Main Hospital,\n"
        "Clinic North,\n"
    )

    preview = _check(client, org, csv_text)

    assert preview.status_code == 200
    body = preview.content.decode()
    assert "3 to add, 0 to change, 1 already as in the file" in body
    assert Unit.objects.filter(organization=org).count() == 1  # nothing changed yet
    assert not AuditLog.objects.filter(action="units.imported").exists()

    applied = client.post(_url(org), {"action": "apply", "csv_text": preview.context["csv_text"]})

    assert applied.status_code == 302
    tree = {
        u.name: u.parent.name if u.parent else None for u in Unit.objects.filter(organization=org)
    }
    assert tree == {
        "Main Hospital": None,
        "Emergency Department": "Main Hospital",
        "Night shift": "Emergency Department",
        "Clinic North": None,
    }
    assert set(Department.objects.filter(organization=org).values_list("name", flat=True)) == set(
        tree
    )
    entry = AuditLog.objects.get(action="units.imported")
    assert entry.organization == org and entry.detail == {"added": 3, "changed": 0}
    assert (
        "imported units from a file (3 added, 0 changed)"
        in client.get(f"/staff/o/{org.slug}/audit/").content.decode()
    )


def test_moving_a_unit_is_a_change_and_units_missing_from_the_file_stay(org, org_admin):
    a = Unit.objects.create(organization=org, name="A")
    Unit.objects.create(organization=org, name="B")
    Unit.objects.create(organization=org, name="Kept")
    client = _client(org_admin)
    preview = _check(client, org, "name,parent\nA,B\n")
    assert "0 to add, 1 to change" in preview.content.decode()
    client.post(_url(org), {"action": "apply", "csv_text": "name,parent\nA,B\n"})
    a.refresh_from_db()
    assert a.parent.name == "B"
    assert Unit.objects.filter(organization=org, name="Kept").exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "Line 3: The name is missing.",
                "Line 4: The parent “Nowhere” is neither in the tree nor in this file.",
                "Line 5: “ward 1” is already on line 2.",
                "Line 6: A unit cannot be part of itself.",
            ],
        ),
        (
            "es",
            [
                "Línea 3: Falta el nombre.",
                "Línea 4: La unidad superior “Nowhere” no está en el árbol ni en este archivo.",
                "Línea 5: “ward 1” ya está en la línea 2.",
                "Línea 6: Una unidad no puede ser parte de sí misma.",
            ],
        ),
    ],
)
def test_errors_name_their_line_in_the_persons_language(org, org_admin, language, expected):
    text = "name,parent\nWard 1,\n,Ward 1\nWard 2,Nowhere\nward 1,\nWard 3,Ward 3\n"
    response = _check(_client(org_admin), org, text, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    body = response.content.decode()
    for line in expected:
        assert line in body, line
    assert not Unit.objects.filter(organization=org).exists()


def test_a_file_that_would_put_a_unit_inside_itself_is_refused(org, org_admin):
    top = Unit.objects.create(organization=org, name="Top")
    Unit.objects.create(organization=org, name="Child", parent=top)
    response = _check(_client(org_admin), org, "name,parent\nTop,Child\n")
    assert response.status_code == 400
    assert "Line 2: “Top” would end up inside itself." in response.content.decode()
    top.refresh_from_db()
    assert top.parent is None


def test_apply_checks_the_file_again(org, org_admin):
    """A tampered or stale dry run changes nothing: the file is checked again when applied."""
    client = _client(org_admin)
    response = client.post(_url(org), {"action": "apply", "csv_text": "name,parent\nA,Missing\n"})
    assert response.status_code == 400
    assert not Unit.objects.filter(organization=org).exists()
    assert not AuditLog.objects.filter(action="units.imported").exists()


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"nom,parent\nA,\n", "The first line must name the columns"),
        ("name,parent\nCafé,\n".encode("latin-1"), "Save the file as CSV in UTF-8"),
        (b"", "The file is empty."),
        (b"name,parent\n" + b"x,\n" * 400_000, "larger than 1 MB"),
    ],
)
def test_unreadable_files_get_a_clear_4xx(org, org_admin, raw, text):
    response = _check(_client(org_admin), org, raw)
    assert response.status_code == 400
    assert text in response.content.decode()


def test_headcount_column_follows_the_unit_model(org, org_admin):
    client = _client(org_admin)
    response = _check(client, org, "name,parent,headcount\nA,,40\n")
    if units.has_headcount():
        assert response.status_code == 200
        assert "1 to add" in response.content.decode()
        client.post(_url(org), {"action": "apply", "csv_text": "name,parent,headcount\nA,,40\n"})
        assert Unit.objects.get(organization=org, name="A").headcount == 40
        # A new headcount alone is a change.
        preview = _check(client, org, "name,parent,headcount\nA,,55\n")
        assert "0 to add, 1 to change" in preview.content.decode()
    else:
        assert response.status_code == 400
        assert "name, parent." in response.content.decode()


def test_only_the_organizations_admins_import(org, counselor, outsider):
    for person in (counselor, outsider):
        client = _client(person)
        assert client.get(_url(org)).status_code == 404
        assert (
            client.post(_url(org), {"action": "apply", "csv_text": "name\nX\n"}).status_code == 404
        )
    assert not Unit.objects.exists()


def test_import_needs_csrf(org, org_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org_admin)
    assert client.post(_url(org), {"action": "apply", "csv_text": "name\nX\n"}).status_code == 403
    assert not Unit.objects.exists()
