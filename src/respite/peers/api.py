"""Peer support API: the worker's side (ask, refer, check status, read and answer the supporter, rate)
and the lead's aggregates.

Codes travel in request bodies, never in URLs that could be logged.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from respite.core import privacy
from respite.core.apischema import ErrorOut
from respite.core.errors import DomainError
from respite.core.models import Organization
from respite.core.tokens import TokenAuth
from respite.peers import stats
from respite.peers.models import (
    Department,
    EventType,
    PeerMessage,
    PeerProgram,
    Source,
    SupportRequest,
    ThreadError,
    do_create_request,
    do_post_message,
    is_lead,
    request_for_code,
)

router = Router(tags=["peer support"])


class Choice(Schema):
    value: str
    label: str


class OptionsOut(Schema):
    target_hours: int
    event_types: list[Choice]
    departments: list[Choice]
    sources: list[Choice]


class RequestIn(Schema):
    organization: str = Field(..., max_length=60)
    source: Literal["self_code", "self_contact", "colleague", "manager", "group"]
    contact: str = Field(
        "", max_length=200, description="Phone or email only. No patient or clinical details."
    )
    best_time: str = Field("", max_length=120)
    department: int | None = None
    role_group: str = Field("", max_length=40)
    language: Literal["en", "es"] = "en"
    event_type: str = Field(EventType.NONE, max_length=30)
    team_size: int | None = Field(None, ge=2, le=500)


class CreatedOut(Schema):
    reference: str
    access_code: str | None = Field(
        None, description="Shown once; needed to see status (and to rate, when anonymous)."
    )
    target_hours: int


class CodeIn(Schema):
    access_code: str = Field(..., max_length=300)


class MessageOut(Schema):
    author: Literal["worker", "supporter"]
    body: str
    date: str = Field(..., description="The day only (YYYY-MM-DD): never a time.")


class StatusOut(Schema):
    reference: str
    status: str
    supporter_message: str | None
    can_rate: bool
    messages: list[MessageOut] | None = Field(
        None,
        description="The two-way thread of an anonymous request, for its requester's code only.",
    )


class MessageIn(CodeIn):
    body: str = Field(..., min_length=1, max_length=2000)


class RateIn(CodeIn):
    rating: int = Field(..., ge=1, le=5)


def _org(slug: str) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise HttpError(404, f"unknown organization '{slug}'")
    return org


@router.get("/peer-support/{org}/options", response={200: OptionsOut, 404: ErrorOut})
def options(request: HttpRequest, org: str):
    organization = _org(org)
    return {
        "target_hours": PeerProgram.for_org(organization).target_hours,
        "event_types": [{"value": v, "label": str(label)} for v, label in EventType.choices],
        "departments": [
            {"value": str(d.pk), "label": d.name}
            for d in Department.objects.filter(organization=organization)
        ],
        "sources": [{"value": v, "label": str(label)} for v, label in Source.choices],
    }


@router.post("/peer-support/requests", response={201: CreatedOut, 404: ErrorOut, 422: ErrorOut})
def create_request(request: HttpRequest, payload: RequestIn):
    """The same rules as the portal's request forms (``do_create_request`` checks them): a
    broken one is a 422 problem naming the field."""
    org = _org(payload.organization)
    department = None
    if payload.department is not None:
        department = Department.objects.filter(organization=org, pk=payload.department).first()
        if department is None:
            raise DomainError(_("Unknown department."), "department")
    anonymous = payload.source == Source.SELF_CODE
    code_for = (
        "requester" if anonymous else None if payload.source == Source.SELF_CONTACT else "referrer"
    )
    req, words = do_create_request(
        org,
        payload.source,
        code_for=code_for,
        contact=payload.contact.strip(),
        best_time=payload.best_time.strip(),
        department=department,
        role_group=payload.role_group,
        language=payload.language,
        event_type=payload.event_type,
        team_size=payload.team_size if payload.source == Source.GROUP else None,
    )
    return Status(
        201,
        {
            "reference": req.reference,
            "access_code": words,
            "target_hours": PeerProgram.for_org(org).target_hours,
        },
    )


def _by_code(request: HttpRequest, raw: str) -> tuple[SupportRequest, str]:
    try:
        # A real code that opens no request (a screening's, say) counts as a failure too.
        found = privacy.lookup_code(request, raw, request_for_code)
    except privacy.Throttled:
        raise HttpError(429, privacy.too_many_attempts()) from None
    if found is None:
        raise HttpError(404, "No request for that code.")
    code, req = found
    return req, req.role_of(code)


@router.post("/peer-support/status", response={200: StatusOut, 404: ErrorOut, 429: ErrorOut})
def status(request: HttpRequest, payload: CodeIn):
    req, role = _by_code(request, payload.access_code)
    state = req.status
    if role == "referrer" and state == SupportRequest.Status.CLOSED:
        state = SupportRequest.Status.CONTACTED  # a referrer learns only that someone reached out
    return {
        "reference": req.reference,
        "status": state,
        "supporter_message": req.supporter_message or None if role == "requester" else None,
        "can_rate": req.rateable_by(role) and req.rating is None,
        "messages": _thread(req) if role == "requester" and req.anonymous else None,
    }


def _thread(req: SupportRequest) -> list[dict[str, str]]:
    return [
        {"author": m.author, "body": m.body, "date": m.created_on.isoformat()}
        for m in req.messages.all()
    ]


@router.post(
    "/peer-support/messages",
    response={201: StatusOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut},
)
def post_message(request: HttpRequest, payload: MessageIn):
    """The requester answers their supporter with their code (the same rule as the status page)."""
    req, role = _by_code(request, payload.access_code)
    if not req.thread_open_to(role):
        raise HttpError(404, "No request for that code.")
    try:
        do_post_message(req, PeerMessage.Author.WORKER, payload.body)
    except ThreadError as err:
        raise HttpError(409, str(err.message)) from None
    return Status(
        201,
        {
            "reference": req.reference,
            "status": req.status,
            "supporter_message": req.supporter_message or None,
            "can_rate": False,
            "messages": _thread(req),
        },
    )


@router.post(
    "/peer-support/rate", response={200: StatusOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut}
)
def rate(request: HttpRequest, payload: RateIn):
    req, role = _by_code(request, payload.access_code)
    if not req.rateable_by(role):
        raise HttpError(409, "This request cannot be rated with this code (yet).")
    if not SupportRequest.objects.filter(pk=req.pk, rating__isnull=True).update(
        rating=payload.rating
    ):
        raise HttpError(409, "Already rated.")
    return {
        "reference": req.reference,
        "status": req.status,
        "supporter_message": None,
        "can_rate": False,
    }


@router.get(
    "/peer-support/{org}/dashboard",
    auth=[TokenAuth("peers:read"), django_auth],
    response={200: dict, 404: ErrorOut},
)
def dashboard(request: HttpRequest, org: str, period: Literal["90", "365", "all"] = "365"):
    """Aggregates for the program lead (session sign-in); suppressed cells come back as null."""
    organization = Organization.objects.filter(slug=org).first()
    if organization is None or not is_lead(request.user, organization):
        raise HttpError(404, "Not found.")
    figures = stats.dashboard(organization, period)

    def table(rows):
        return [{"label": str(label), **c.as_dict()} for label, c in rows]

    return {
        "k": figures["k"],
        "period": figures["period"],
        "target_hours": figures["target_hours"],
        "total": figures["total"].as_dict(),
        "by_source": table(figures["by_source"]),
        "by_event": table(figures["by_event"]),
        "contacted": figures["contacted"].as_dict(),
        "median_hours_to_contact": figures["median_hours"].as_dict(),
        "within_target_pct": figures["within_target_pct"].as_dict(),
        "follow_ups": table(figures["follow_ups"]),
        "referrals": table(figures["referrals"]),
        "satisfaction": figures["satisfaction"].as_dict(),
    }
