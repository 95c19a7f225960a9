"""A check-in's rows are prepared from values before the write lock is taken (issue 19): what is
written must be what the ORM would have written, and the screening handed back must behave as one
saved by the ORM."""

from __future__ import annotations

import pytest

from respite.core import privacy
from respite.core.testing import make_org
from respite.screening import instruments
from respite.screening.models import Screening

pytestmark = pytest.mark.django_db


def _result():
    return instruments.get("phq2").score({"1": 2, "2": 1})


def test_nothing_is_written_until_asked_and_then_the_row_is_the_one_handed_back():
    org = make_org()
    prepared = Screening.prepare([_result()], organization=org, role_group="nurse", language="es")
    assert not Screening.objects.exists()
    screening = prepared.write()
    stored = Screening.objects.get()
    assert stored.pk == prepared.pk == screening.pk
    assert (stored.organization, stored.role_group, stored.language, stored.tier) == (
        org,
        "nurse",
        "es",
        screening.tier,
    )
    assert (stored.taken_on, stored.created_at) == (screening.taken_on, screening.created_at)
    assert stored.created_at.minute == stored.created_at.second == 0  # to the hour, as save() cuts
    assert [r.instrument for r in stored.results.all()] == ["phq2"]
    # The API saves it under a code next: an UPDATE of the row written, not a second INSERT.
    _words, code = privacy.new_access_code(org)
    screening.save_under(code)
    assert Screening.objects.get().access_code == code


def test_saved_under_a_code_from_the_start_keeps_the_day_only(monkeypatch):
    from datetime import UTC, datetime

    from django.utils import timezone

    afternoon = datetime(2026, 12, 1, 14, 37, 12, tzinfo=UTC)  # an hour cut alone would show
    monkeypatch.setattr(timezone, "now", lambda: afternoon)
    org = make_org()
    _words, code = privacy.new_access_code(org)
    prepared = Screening.prepare([_result()], organization=org, access_code=code)
    prepared.write()
    stored = Screening.objects.get()
    assert stored.access_code == code
    assert stored.created_at == afternoon.replace(hour=0, minute=0, second=0)
