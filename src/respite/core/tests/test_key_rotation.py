"""Rotating the encryption key (docs: prepend a new key, run ``respite rotate-keys``, remove the old
one). An operator retires a key because it may have leaked: after the rotation nothing in the
database may still open with it, and every safety plan must still read back with the new key alone."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from respite.core.crypto import encrypted_fields
from respite.core.privacy import new_access_code
from respite.screening.models import SafetyPlan

pytestmark = pytest.mark.django_db


def _stored(plan: SafetyPlan, column: str) -> str:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {column} FROM {SafetyPlan._meta.db_table} WHERE id = %s",  # noqa: S608
            [plan.pk],
        )
        return cur.fetchone()[0]


def test_every_encrypted_column_is_found():
    found = {(model._meta.label, attname) for model, attname in encrypted_fields()}
    assert {("screening.SafetyPlan", f) for f in SafetyPlan.SECTIONS} <= found
    assert ("peers.SupportRequest", "contact") in found


def test_after_rotation_the_old_key_opens_nothing_and_the_new_key_alone_reads_everything(
    settings, org
):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.RESPITE_ENCRYPTION_KEYS = [old]
    plan = SafetyPlan.objects.create(
        access_code=new_access_code(org)[1],
        organization=org,
        warning_signs="Can't sleep before night shifts",
        reasons="My daughter",
        coping="",  # empty sections stay empty, not an encrypted empty string
    )
    before = _stored(plan, "warning_signs")
    assert Fernet(old.encode()).decrypt(before.encode()) == b"Can't sleep before night shifts"

    settings.RESPITE_ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert out.getvalue().strip() == "re-encrypted 2 values"

    after = _stored(plan, "warning_signs")
    assert after != before
    with pytest.raises(InvalidToken):
        Fernet(old.encode()).decrypt(after.encode())
    assert _stored(plan, "coping") == ""
    settings.RESPITE_ENCRYPTION_KEYS = [new]
    plan = SafetyPlan.objects.get(pk=plan.pk)
    assert (plan.warning_signs, plan.reasons, plan.coping) == (
        "Can't sleep before night shifts",
        "My daughter",
        "",
    )


def test_a_value_under_a_removed_key_fails_loudly(settings, org):
    """Removing the old key before rotating must not read as an empty safety plan."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.RESPITE_ENCRYPTION_KEYS = [old]
    plan = SafetyPlan.objects.create(
        access_code=new_access_code(org)[1], organization=org, reasons="My daughter"
    )
    settings.RESPITE_ENCRYPTION_KEYS = [new]
    with pytest.raises(ValueError, match="the key that encrypted this value is not configured"):
        SafetyPlan.objects.get(pk=plan.pk)
