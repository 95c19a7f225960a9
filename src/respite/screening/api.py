from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import StrictInt

from respite.core import privacy
from respite.core.apischema import ErrorOut
from respite.core.models import Organization
from respite.core.pagination import paginated
from respite.screening import fhir, instruments
from respite.screening.models import Screening

router = Router(tags=["screening"])
Lang = Literal["en", "es"]


class OptionOut(Schema):
    value: int
    label: str


class ItemOut(Schema):
    id: str
    text: str
    options: list[OptionOut]
    show_if: dict[str, Any] | None = None


class InstrumentOut(Schema):
    id: str
    short_name: str
    name: str
    description: str
    minutes: int


class InstrumentDetailOut(InstrumentOut):
    instructions: str
    source: str
    items: list[ItemOut]


class ScaleOut(Schema):
    scale: str
    name: str
    score: int | None
    band: str
    label: str
    explanation: str
    tier: str
    positive: bool
    follow_up: str | None


class ResultOut(Schema):
    instrument: str
    short_name: str
    score: int | None
    band: str
    tier: str
    crisis: bool
    flags: list[str]
    follow_up: str | None
    scales: list[ScaleOut]


Answers = dict[str, StrictInt | None] | list[StrictInt | None]


class ScoreIn(Schema):
    instrument: str = Field(..., max_length=40)
    answers: Answers = Field(
        ...,
        description="By item id ({'1': 0, ...}) or in item order ([0, 1, ...]; null for a skipped item).",
    )
    lang: Lang = "en"


class ScoreOut(Schema):
    crisis: bool
    crisis_options: list[dict[str, Any]]
    results: list[ResultOut]


class SubmissionIn(Schema):
    organization: str = Field(..., max_length=60)
    results: list[ScoreIn] = Field(..., min_length=1, max_length=10)
    role_group: str = Field("", max_length=40)
    save: bool = Field(
        False, description="Save under a new access code, returned once in the response."
    )
    lang: Lang = "en"


class SubmissionOut(ScoreOut):
    id: str | None
    access_code: str | None


class LookupIn(Schema):
    access_code: str = Field(..., max_length=300)
    lang: Lang = "en"


class HistoryEntry(Schema):
    id: str
    taken_on: str
    crisis: bool
    results: list[ResultOut]


def _score(item: ScoreIn) -> instruments.Result:
    try:
        inst = instruments.get(item.instrument)
        if isinstance(item.answers, list):
            return inst.score_list(item.answers)
        return inst.score(item.answers)
    except instruments.AnswerError as err:
        raise HttpError(422, f"{item.instrument}: {err}") from None


def _payload(results: list[instruments.Result], lang: str) -> dict[str, Any]:
    from respite.core.resources import crisis_options

    crisis = any(r.crisis for r in results)
    return {
        "crisis": crisis,
        "crisis_options": crisis_options(lang) if crisis else [],
        "results": [r.as_dict(lang) for r in results],
    }


@router.get("/instruments", response=list[InstrumentOut])
@paginated
def list_instruments(request: HttpRequest, lang: Lang = "en"):
    return [
        {
            "id": i.id,
            "short_name": i.short_name,
            "name": instruments.tr(i.name, lang),
            "description": instruments.tr(i.description, lang),
            "minutes": i.minutes,
        }
        for i in instruments.registry().values()
    ]


@router.get("/instruments/{instrument_id}", response={200: InstrumentDetailOut, 404: ErrorOut})
def get_instrument(request: HttpRequest, instrument_id: str, lang: Lang = "en"):
    inst = instruments.registry().get(instrument_id)
    if inst is None:
        return Status(404, {"detail": f"unknown instrument '{instrument_id}'"})
    return {
        "id": inst.id,
        "short_name": inst.short_name,
        "name": instruments.tr(inst.name, lang),
        "description": instruments.tr(inst.description, lang),
        "minutes": inst.minutes,
        "instructions": instruments.tr(inst.instructions, lang),
        "source": inst.source,
        "items": [
            {
                "id": it.id,
                "text": instruments.tr(it.text, lang),
                "options": [
                    {"value": o.value, "label": instruments.tr(o.label, lang)} for o in it.options
                ],
                "show_if": {"item": it.show_if[0], "equals": it.show_if[1]} if it.show_if else None,
            }
            for it in inst.items
        ],
    }


def _origin(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@router.get("/instruments/{instrument_id}/fhir", response={200: dict, 404: ErrorOut})
def get_instrument_fhir(request: HttpRequest, instrument_id: str):
    """The instrument as a FHIR R4 SDC Questionnaire (LOINC-coded where LOINC has codes)."""
    inst = instruments.registry().get(instrument_id)
    if inst is None:
        return Status(404, {"detail": f"unknown instrument '{instrument_id}'"})
    return fhir.questionnaire(inst, _origin(request)).model_dump(mode="json", exclude_none=True)


@router.get("/fhir/Questionnaire/{instrument_id}", response={200: dict, 404: ErrorOut})
def get_questionnaire_by_canonical(request: HttpRequest, instrument_id: str):
    """The Questionnaire at its canonical URL (the ``url`` inside it resolves here)."""
    return get_instrument_fhir(request, instrument_id)


@router.post("/score", response={200: ScoreOut, 422: ErrorOut})
def score(request: HttpRequest, payload: ScoreIn):
    """Score answers without storing anything."""
    return _payload([_score(payload)], payload.lang)


@router.post("/screenings", response={201: SubmissionOut, 404: ErrorOut, 422: ErrorOut})
def submit(request: HttpRequest, payload: SubmissionIn):
    org = Organization.objects.filter(slug=payload.organization).first()
    if org is None:
        return Status(404, {"detail": f"unknown organization '{payload.organization}'"})
    if payload.role_group and payload.role_group not in org.role_groups:
        raise HttpError(422, f"role_group must be one of: {', '.join(org.role_groups)}")
    results = [_score(item) for item in payload.results]
    if not payload.save:
        # Nothing to come back to without a code, so nothing is kept.
        return Status(201, {"id": None, "access_code": None, **_payload(results, payload.lang)})
    with transaction.atomic():
        screening = Screening.do_create(
            results, organization=org, role_group=payload.role_group, language=payload.lang
        )
        words, code = privacy.new_access_code(org)
        screening.save_under(code)
    return Status(
        201, {"id": str(screening.pk), "access_code": words, **_payload(results, payload.lang)}
    )


def _lookup(request: HttpRequest, raw: str):
    try:
        code = privacy.find_access_code(request, raw)
    except privacy.Throttled:
        raise HttpError(429, privacy.too_many_attempts()) from None
    if code is None:
        raise HttpError(404, "No saved results for that access code.")
    return Screening.objects.filter(access_code=code).prefetch_related("results")


@router.post("/screenings/lookup", response={200: list[HistoryEntry], 404: ErrorOut, 429: ErrorOut})
def lookup(request: HttpRequest, payload: LookupIn):
    """Saved screenings for an access code (sent in the body, never in a URL that could be logged)."""
    return [
        {
            "id": str(s.pk),
            "taken_on": s.taken_on.isoformat(),
            "crisis": s.crisis,
            "results": [r.as_dict(payload.lang) for r in s.scored()],
        }
        for s in _lookup(request, payload.access_code)
    ]


class LookupFhirIn(LookupIn):
    subject: str | None = Field(
        None,
        max_length=130,
        pattern=r"^[A-Z][A-Za-z]{1,63}/[A-Za-z0-9.-]{1,64}$",
        description="Optional FHIR reference (e.g. 'Patient/123') the EHR wants as each response's subject. "
        "Used only in this answer; Respite stores nothing about it.",
    )


@router.post(
    "/screenings/lookup/fhir", response={200: dict, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
)
def lookup_fhir(request: HttpRequest, payload: LookupFhirIn):
    """The worker's saved screenings as a FHIR R4 Bundle of QuestionnaireResponses."""
    screenings = list(_lookup(request, payload.access_code))
    return fhir.bundle(screenings, _origin(request), payload.subject).model_dump(
        mode="json", exclude_none=True
    )
