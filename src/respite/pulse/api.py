"""Pulse API: released aggregates only, for org admins (session auth). No endpoint returns a
response row, a comment's author data or any count the dashboard would hide."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from respite.core.apischema import ErrorOut
from respite.core.models import AuditLog, Organization, has_role
from respite.core.pagination import paginated
from respite.core.roles import StaffRole
from respite.core.tokens import TokenAuth
from respite.pulse import reporting
from respite.pulse.models import Survey

# A staff session, or an API token with the pulse:read scope (core.tokens).
router = Router(tags=["pulse"], auth=[TokenAuth("pulse:read"), django_auth])


class RoundOut(Schema):
    id: int
    number: int
    label: str
    starts_on: date
    ends_on: date


class SurveyOut(Schema):
    id: int
    title: str
    status: str
    min_group_size: int
    min_group_size_text: int
    dp_epsilon: float | None = None
    mode: str = "link"
    rounds: list[RoundOut]
    measures: list[tuple[str, str]]


class RowOut(Schema):
    section: str
    round: str
    unit: str
    role: str
    measure: str
    value: float | None
    low: float | None
    high: float | None
    n: int | None
    accuracy: float | None = None
    suppressed: bool
    note: str


class DashboardOut(Schema):
    survey: int
    measure: str
    min_group_size: int
    rows: list[RowOut]
    effect: dict[str, float | None] | None = None
    comments: list[str]


class Side(Schema):
    value: float | None
    n: int | None
    accuracy: float | None = None
    suppressed: bool


class BeforeAfterOut(Schema):
    label: str
    before: Side
    after: Side


class DashboardQuery(Schema):
    measure: str | None = Field(None, max_length=80)
    round: int | None = None
    unit: int | None = None
    role: str | None = Field(None, max_length=40)
    on: date | None = None


def _org_for_admin(request: HttpRequest, slug: str) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None or not has_role(request.user, org, StaffRole.ORG_ADMIN):
        raise HttpError(404, "Not found.")
    return org


def _survey_for_admin(request: HttpRequest, slug: str, pk: int) -> Survey:
    org = _org_for_admin(request, slug)
    survey = Survey.objects.filter(organization=org, pk=pk).first()
    if survey is None:
        raise HttpError(404, "Not found.")
    return survey


def _dashboard(survey: Survey, q: DashboardQuery) -> reporting.Dashboard:
    measures = reporting.measures_by_key(survey)
    key = q.measure or ("burnout_rate" if "burnout_rate" in measures else next(iter(measures)))
    if key not in measures:
        raise HttpError(422, f"unknown measure '{key}'")
    try:
        return reporting.dashboard(
            survey, key, round_id=q.round, unit_id=q.unit, role=q.role or None, intervention=q.on
        )
    except KeyError as exc:
        raise HttpError(422, f"unknown {exc.args[0]}") from None


@router.get("/pulse/{org}/surveys", response={200: list[SurveyOut], 404: ErrorOut})
@paginated
def surveys(request: HttpRequest, org: str):
    organization = _org_for_admin(request, org)
    out = []
    for s in Survey.objects.for_org(organization).prefetch_related("rounds"):
        out.append(
            {
                "id": s.pk,
                "title": s.title,
                "status": s.status,
                "min_group_size": s.k(),
                "min_group_size_text": s.k_text(),
                "dp_epsilon": s.dp_epsilon,
                "mode": s.mode,
                "rounds": [
                    {
                        "id": r.pk,
                        "number": r.number,
                        "label": r.label,
                        "starts_on": r.starts_on,
                        "ends_on": r.ends_on,
                    }
                    for r in s.rounds.all()
                ],
                "measures": [(m.key, str(m.label)) for m in s.measures()],
            }
        )
    return out


@router.get(
    "/pulse/{org}/surveys/{pk}/dashboard",
    response={200: DashboardOut, 404: ErrorOut, 422: ErrorOut},
)
def dashboard(request: HttpRequest, org: str, pk: int, q: Query[DashboardQuery]):
    survey = _survey_for_admin(request, org, pk)
    dash = _dashboard(survey, q)
    return {
        "survey": survey.pk,
        "measure": dash.measure.key,
        "min_group_size": dash.k,
        "rows": dash.rows(),
        "effect": dash.evaluation["effect"] if dash.evaluation else None,
        "comments": dash.comments,
    }


@router.get(
    "/pulse/{org}/surveys/{pk}/export.csv", response={200: None, 404: ErrorOut, 422: ErrorOut}
)
def export_csv(request: HttpRequest, org: str, pk: int, q: Query[DashboardQuery]):
    from respite.pulse.views import _csv

    survey = _survey_for_admin(request, org, pk)
    dash = _dashboard(survey, q)
    AuditLog.record(
        request.user, "pulse.exported", survey, organization=survey.organization, format="csv-api"
    )
    return HttpResponse(_csv(dash), content_type="text/csv; charset=utf-8")


class OverviewRowOut(Schema):
    section: str
    round: str
    unit: str
    measure: str
    value: float | None = None
    change: float | None = None
    benchmark: float | None = None
    n: int | None = None
    headcount: int | None = None
    rate: float | None = None
    accuracy: float | None = None
    suppressed: bool
    note: str


class ThemeOut(Schema):
    label: str
    comments: list[str]


class OverviewOut(Schema):
    survey: int
    round: int | None
    min_group_size: int
    rows: list[OverviewRowOut]
    themes: list[ThemeOut]


class OverviewQuery(Schema):
    round: int | None = None


@router.get(
    "/pulse/{org}/surveys/{pk}/overview",
    response={200: OverviewOut, 404: ErrorOut, 422: ErrorOut},
)
def overview(request: HttpRequest, org: str, pk: int, q: Query[OverviewQuery]):
    """Every measure of one release, units × measures, participation, trends and comment themes:
    the rows of the overview page, through the same disclosure rules."""
    survey = _survey_for_admin(request, org, pk)
    try:
        ov = reporting.overview(survey, round_id=q.round)
    except KeyError as exc:
        raise HttpError(422, f"unknown {exc.args[0]}") from None
    return {
        "survey": survey.pk,
        "round": ov.round.pk if ov.round else None,
        "min_group_size": ov.k,
        "rows": [r for r in ov.rows() if r["section"] != "theme"],
        "themes": [{"label": t.label, "comments": t.comments} for t in ov.themes],
    }


@router.get("/pulse/{org}/measures", response={200: list[tuple[str, str]], 404: ErrorOut})
@paginated
def measures(request: HttpRequest, org: str):
    return reporting.measure_choices(_org_for_admin(request, org))


@router.get(
    "/pulse/{org}/before-after", response={200: BeforeAfterOut, 404: ErrorOut, 422: ErrorOut}
)
def before_after(
    request: HttpRequest,
    org: str,
    key: str = Query(..., max_length=80),  # noqa: B008
    on: date = Query(...),  # noqa: B008
):
    return reporting.measure_before_after(_org_for_admin(request, org), key, on)
