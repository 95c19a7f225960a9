"""An insider with a copy of the database wants to line a worker's rows up with something else that
has a time: a badge swipe, a shift roster, the Wi-Fi log. Microsecond (or even minute) timestamps
next to a screening, a message to a counselor or a peer request make that easy.

After a worker's week (check-in, save, counseling conversation with a counselor's reply and close,
therapist booking and cancel, peer support accepted, contacted and closed by a supporter, a safety plan,
a pulse answer) the insider reads every time column of every worker-side table, and of the session
table, with plain SQL. None holds a minute, second or microsecond; the day-only ones not even an hour.
Worker-side tables are found from the schema (anything that points at an access code, or at such a row),
so a new model is covered without editing this file.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, models
from django.test import Client
from django.urls import reverse

from respite.core.fields import CoarseDateTimeField
from respite.core.privacy import worker_side_models
from respite.core.tests.test_worker_urls_hold_no_secrets import _journey
from respite.counseling.models import Case
from respite.peers.models import Supporter, SupportRequest

pytestmark = pytest.mark.django_db


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace(" ", "T"))


def test_every_time_on_a_worker_side_model_is_coarse():
    """The rule itself: no plain DateTimeField on a worker-side model."""
    models_ = worker_side_models()
    labels = {m._meta.label for m in models_}
    assert {
        "screening.Screening",
        "counseling.Case",
        "counseling.Message",
        "counseling.Engagement",
        "counseling.Booking",
        "peers.SupportRequest",
        "core.WorkerAlert",
    } <= labels
    fine = [
        f"{m._meta.label}.{f.name}"
        for m in models_
        for f in m._meta.concrete_fields
        if isinstance(f, models.DateTimeField) and not isinstance(f, CoarseDateTimeField)
    ]
    assert not fine, fine


def _staff_actions(org, counselor) -> None:
    staff = Client()
    staff.force_login(counselor)
    case = Case.objects.get()
    staff.post(
        reverse("counseling_staff:case_reply", kwargs={"org": org.slug, "pk": case.pk}),
        {"body": "Thank you for writing. How are you sleeping?"},
    )
    staff.post(reverse("counseling_staff:case_close", kwargs={"org": org.slug, "pk": case.pk}))
    req = SupportRequest.objects.get()
    pat = Client()
    pat.force_login(Supporter.objects.get(display_name="Pat").user)
    base = f"/staff/o/{org.slug}/peer-support/r/{req.pk}"
    pat.post(f"{base}/accept/")
    pat.post(f"{base}/contact/", {"method": "portal", "message": "I am Pat, ext 5555"})
    pat.post(f"{base}/close/", {"confirm": "on"})


def test_an_insider_reading_every_worker_table_finds_no_time_finer_than_the_hour(org, counselor):
    _journey(org)
    _staff_actions(org, counselor)
    req = SupportRequest.objects.get()
    assert req.accepted_at and req.contacted_at and req.closed_at, "the supporter's steps ran"
    assert Case.objects.get().first_reply_at and Case.objects.get().closed_at

    read = fine = 0
    problems = []
    columns = [
        (m._meta.db_table, f.column, getattr(f, "precision", "hour"))
        for m in worker_side_models()
        for f in m._meta.concrete_fields
        if isinstance(f, models.DateTimeField)
    ]
    columns.append((Session._meta.db_table, "expire_date", "hour"))
    with connection.cursor() as cursor:
        for table, column, precision in columns:
            qn = connection.ops.quote_name
            col, tab = qn(column), qn(table)  # names from the schema, quoted
            cursor.execute(f"SELECT {col} FROM {tab} WHERE {col} IS NOT NULL")  # noqa: S608
            for (raw,) in cursor.fetchall():
                read += 1
                when = _as_datetime(raw)
                if (when.minute, when.second, when.microsecond) != (0, 0, 0) or (
                    precision == "day" and when.hour != 0
                ):
                    problems.append((table, column, str(raw)))
                    fine += 1
    assert read >= 15, read  # the journey left times in many rows and columns: not vacuous
    assert not problems, problems


def test_a_write_that_skips_save_is_coarse_too(org):
    """``update()`` and ``bulk_create()`` do not call ``save()``; the field cuts them down anyway."""
    from django.utils import timezone

    from respite.screening.models import Screening

    Screening.objects.bulk_create([Screening(organization=org, created_at=timezone.now())])
    Screening.objects.update(created_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("SELECT created_at FROM screening_screening")
        (raw,) = cursor.fetchone()
    when = _as_datetime(raw)
    assert (when.minute, when.second, when.microsecond) == (0, 0, 0), raw
