"""Model fields shared by apps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import models

PRECISIONS = ("hour", "day")


def coarsen(value: datetime | None, precision: str) -> datetime | None:
    """``value`` cut down to the start of its UTC hour or day."""
    if value is None or not isinstance(value, datetime):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    value = value.replace(minute=0, second=0, microsecond=0)
    return value.replace(hour=0) if precision == "day" else value


class CoarseDateTimeField(models.DateTimeField):
    """A time next to something a worker did, kept only to the hour (where a service promise is
    counted in hours: a reply target, a peer-support reminder) or to the day.

    Every write is cut down, ``save()``, ``update()`` and ``bulk_create()`` alike, so no row ever holds
    a minute, second or microsecond. Look-ups are unchanged. The test that holds it reads every
    column of every worker-side table (``core/tests/test_worker_rows_hold_no_fine_times.py``).
    """

    def __init__(self, *args: Any, precision: str = "hour", **kwargs: Any) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}")
        self.precision = precision
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if self.precision != "hour":
            kwargs["precision"] = self.precision
        return name, path, args, kwargs

    # What ``pre_save`` adds to Django's (cutting the value down) ``get_db_prep_save`` does too, so
    # a row written from values without an instance (``core.rows.prepare_insert_values``) is cut
    # the same way.
    pre_save_cuts_only = True

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = coarsen(super().pre_save(model_instance, add), self.precision)
        setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        return super().get_db_prep_save(coarsen(value, self.precision), connection)


def coarsen_existing(app_label: str, model_name: str, fields: dict[str, str]) -> Any:
    """A migration step cutting the times already stored down to their precision ({field: precision})."""

    def run(apps: Any, schema_editor: Any) -> None:
        from django.db.models.functions import Trunc

        model = apps.get_model(app_label, model_name)
        for field, precision in fields.items():
            model.objects.using(schema_editor.connection.alias).filter(
                **{f"{field}__isnull": False}
            ).update(**{field: Trunc(field, precision, tzinfo=UTC)})

    return run
