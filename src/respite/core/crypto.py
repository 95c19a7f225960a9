"""Encryption at rest for free text and contact details.

Values are Fernet tokens made with the first key of ``RESPITE_ENCRYPTION_KEYS``; every key in the list
can still decrypt, so keys rotate by prepending a new key and running ``respite rotate-keys``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.RESPITE_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:  # a wrong or retired key must be loud, never silently empty
        raise ValueError(
            "cannot decrypt: the key that encrypted this value is not configured"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


class EncryptedTextField(models.TextField):
    """A TextField whose value is stored as a Fernet token; Python code sees plain text.

    Encrypted values cannot be searched or filtered in SQL, which is the point.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):  # noqa: ARG002
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "respite.core.crypto.EncryptedTextField", args, kwargs


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    from django.apps import apps

    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, EncryptedTextField):
                found.append((model, field.attname))
    return found


def rotate_all() -> int:
    """Re-encrypt every encrypted value in the database under the newest key. Returns rows touched."""
    from django.db import connection, transaction

    # Quoted: a column may be a reserved word (OutboundEmail's "to").
    quote = connection.ops.quote_name
    touched = 0
    for model, attname in encrypted_fields():
        column = quote(cast(str, cast(models.Field, model._meta.get_field(attname)).column))
        table = quote(model._meta.db_table)
        pk = quote(cast(str, model._meta.pk.column))
        with transaction.atomic(), connection.cursor() as cur:
            # Names come from the model registry, never from input.
            select = (
                f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> ''"  # noqa: S608
            )
            cur.execute(select)
            rows = cur.fetchall()
            for row_pk, token in rows:
                update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s"  # noqa: S608
                cur.execute(update, [rotate(token), row_pk])
                touched += 1
    return touched
