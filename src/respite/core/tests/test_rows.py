"""core.rows: the plain SELECT and INSERT of the check-in's hot path read and write exactly what the ORM
would, on SQLite and PostgreSQL alike, and a value is never read as SQL."""

from __future__ import annotations

import pytest
from django.utils import timezone

from respite.core.models import Organization
from respite.core.rows import insert, rows
from respite.core.testing import make_org
from respite.screening.models import Screening, ScreeningResult

pytestmark = pytest.mark.django_db

ANSWERS = {"phq2__1": 2, "phq2__2": 1, "note": "ü ' \" ; --"}


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_insert_writes_what_the_orm_reads_back_and_rows_reads_it_the_same():
    org = make_org()
    screening = Screening(
        organization=org, role_group="nurse", language="es", crisis=True, tier="crisis"
    )
    insert([screening])
    results = [
        ScreeningResult(
            screening=screening,
            position=n,
            instrument="phq2",
            answers=ANSWERS,
            score=3,
            band="some",
            tier="support",
            crisis=bool(n),
        )
        for n in range(2)
    ]
    insert(results)
    stored = Screening.objects.get(pk=screening.pk)
    assert _fields(stored) == _fields(screening)  # defaults, the coarsened time, the flags
    assert stored.created_at.minute == 0 and stored.taken_on == timezone.localdate()
    assert _fields(rows(Screening, pk=screening.pk, organization=org)[0]) == _fields(stored)
    read = rows(ScreeningResult, screening_id=screening.pk, order_by=("-position",))
    assert [r.position for r in read] == [1, 0]
    assert [_fields(r) for r in read] == [
        _fields(r) for r in ScreeningResult.objects.order_by("-position")
    ]
    assert read[0].answers == ANSWERS and read[0].crisis is True and read[1].crisis is False
    # The inserted instance is a saved one: saving it again updates, it does not insert a duplicate.
    screening.tier = "support"
    screening.save(update_fields=["tier"])
    assert Screening.objects.get().tier == "support"


def test_a_value_is_a_parameter_never_sql():
    org = make_org()
    screening = Screening(organization=org, tier="support")
    insert([screening])
    assert rows(Screening, role_group="' OR '1'='1") == []
    assert rows(Screening, tier="support' --") == []
    assert len(rows(Screening, tier="support")) == 1


def test_none_matches_null_and_another_organization_matches_nothing():
    org, other = make_org(), make_org()
    screening = Screening(organization=org, tier="support")
    insert([screening])
    assert rows(Screening, pk=screening.pk, organization=other) == []
    assert rows(Screening, pk=screening.pk, access_code=None)[0].pk == screening.pk
    assert rows(Screening, pk=screening.pk, organization=None) == []
    assert insert([]) == 0  # nothing to write is no statement and no error
    # A taken primary key is left out, not an error, when the caller asks for that.
    assert (
        insert([Screening(pk=screening.pk, organization=org, tier="crisis")], skip_taken_keys=True)
        == 0
    )
    assert rows(Screening, pk=screening.pk)[0].tier == "support"
    assert Screening.objects.count() == 1


def test_rows_given_as_values_are_written_as_the_orm_would_and_a_computed_field_is_refused():
    from django.contrib.sessions.models import Session

    from respite.core.rows import prepare_insert_values, prepare_update

    org = make_org()
    screening = Screening(organization=org, tier="support")
    insert([screening])
    values = {"screening": screening.pk, "instrument": "phq2", "answers": ANSWERS, "score": 3}
    statement = prepare_insert_values(
        ScreeningResult, [{**values, "band": "some", "tier": "support"}, values]
    )
    assert statement is not None and statement.run() == 2
    stored = list(ScreeningResult.objects.order_by("pk"))
    assert [(r.answers, r.band, r.crisis, r.position) for r in stored] == [
        (ANSWERS, "some", False, 0),
        (ANSWERS, "", False, 0),  # left out: the field's default
    ]
    with pytest.raises(ValueError, match="no field"):
        prepare_insert_values(ScreeningResult, [{**values, "nonsense": 1}])
    with pytest.raises(ValueError, match="computes"):  # created_at: auto_now_add, set when saved
        prepare_insert_values(Organization, [{"name": "North", "slug": "north"}])
    # A coarse time given as a value is cut down as save() would: no minute reaches the row.
    moment = timezone.now().replace(minute=41, second=7)
    statement = prepare_insert_values(Screening, [{"tier": "support", "created_at": moment}])
    assert statement is not None and statement.run() == 1
    latest = Screening.objects.exclude(pk=screening.pk).get()
    assert latest.created_at == moment.replace(minute=0, second=0, microsecond=0)
    # An UPDATE prepared for a row that is gone writes nothing, and says so.
    gone = Session(session_key="gone" * 8, session_data="", expire_date=timezone.now())
    assert prepare_update(gone, ["session_data"]).run() == 0
