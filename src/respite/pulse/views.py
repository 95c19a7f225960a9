"""Pulse pages. Staff pages (org admins) set up units and surveys and read dashboards of released
aggregates; worker pages take answers through a unit link or a single-use invitation."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.core import signing
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from respite.core.memo import ProcessCache
from respite.core.models import AuditLog
from respite.core.pdf import pdf_response, render_pdf
from respite.core.portal import PortalRequest, StaffRequest, portal_view, staff_view
from respite.core.roles import StaffRole
from respite.pulse import charts, dp, releases, reporting
from respite.pulse.forms import (
    AnswerForm,
    HeadcountForm,
    InvitationForm,
    ResultsNoteForm,
    ScheduleForm,
    SealedCodesForm,
    SurveyForm,
    TokenEntryForm,
    UnitForm,
)
from respite.pulse.models import (
    CustomItem,
    DashboardVersion,
    ResultsNote,
    Round,
    Survey,
    SurveyLink,
    SurveyToken,
    TokenUsed,
    Unit,
    bump_dashboards,
    do_invite,
    do_seal_codes,
    do_submit,
)
from respite.screening.instruments import AnswerError

ADMIN = StaffRole.ORG_ADMIN
_ANSWERED_SALT = "respite.pulse.answered"


def _get_survey_for_admin(request: PortalRequest, pk: int) -> Survey:
    return get_object_or_404(Survey, pk=pk, organization=request.organization)


# --- staff ------------------------------------------------------------------------------------
@staff_view(ADMIN)
def index(request: StaffRequest) -> HttpResponse:
    surveys = Survey.objects.for_org(request.organization).prefetch_related("rounds")
    return render(
        request,
        "pulse/staff_index.html",
        {
            "surveys": surveys,
            "unit_count": Unit.objects.filter(organization=request.organization).count(),
        },
    )


def _units_page(request: PortalRequest, status: int = 200, **forms: Any) -> HttpResponse:
    """The units page: the tree, the add form and the headcount form (bound ones passed in)."""
    tree = reporting.unit_tree(request.organization)
    headcount_form = forms.get("headcount_form") or HeadcountForm(units=[u for u, _d in tree])
    context = {
        "tree": tree,
        "form": forms.get("form") or UnitForm(organization=request.organization),
        "headcount_form": headcount_form,
        "headcount_rows": [(headcount_form[f"unit_{u.pk}"], d) for u, d in tree],
    }
    return render(request, "pulse/units.html", context, status=status)


@staff_view(ADMIN)
def units(request: StaffRequest) -> HttpResponse:
    return _units_page(request)


@staff_view(ADMIN)
@require_POST
def unit_headcounts(request: StaffRequest) -> HttpResponse:
    tree = reporting.unit_tree(request.organization)
    form = HeadcountForm(request.POST, units=[u for u, _d in tree])
    if not form.is_valid():
        return _units_page(request, status=400, headcount_form=form)
    with transaction.atomic():
        changed = form.changed_units()
        Unit.objects.bulk_update(changed, ["headcount"])
        bump_dashboards(request.organization.pk)  # bulk_update sends no signal
        AuditLog.record(
            request.user,
            "pulse.headcounts_changed",
            None,
            organization=request.organization,
            count=len(changed),
        )
    messages.success(request, _("Headcounts saved."))
    return redirect("pulse_staff:units", org=request.organization.slug)


@staff_view(ADMIN)
@require_POST
def unit_add(request: StaffRequest) -> HttpResponse:
    form = UnitForm(request.POST, organization=request.organization)
    if not form.is_valid():
        return _units_page(request, status=400, form=form)
    with transaction.atomic():
        unit = form.save()
        # Open shared-link surveys get a link for the new unit at once (invitation surveys have none).
        for survey in Survey.objects.for_org(request.organization).filter(
            status=Survey.Status.OPEN, mode=Survey.Mode.LINK
        ):
            SurveyLink.objects.get_or_create(survey=survey, unit=unit)
        AuditLog.record(request.user, "pulse.unit_added", unit, organization=request.organization)
    messages.success(request, _("Unit added."))
    return redirect("pulse_staff:units", org=request.organization.slug)


@staff_view(ADMIN)
def survey_new(request: StaffRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            survey = form.save(commit=False)
            survey.organization = request.organization
            survey.save()
            CustomItem.objects.bulk_create(
                CustomItem(survey=survey, position=n, text_en=en, text_es=es)
                for n, (en, es) in enumerate(form.cleaned_data["custom_items"])
            )
            bump_dashboards(request.organization.pk)  # bulk_create sends no signal
            AuditLog.record(
                request.user, "pulse.survey_created", survey, organization=request.organization
            )
        return redirect("pulse_staff:survey", org=request.organization.slug, pk=survey.pk)
    return render(
        request, "pulse/survey_new.html", {"form": form}, status=400 if form.errors else 200
    )


def _survey_context(request: PortalRequest, survey: Survey, **extra) -> dict:
    links = {link.unit_id: link for link in survey.links.all()}
    unit_links = [(u, d, links.get(u.pk)) for u, d in reporting.unit_tree(request.organization)]
    return {
        "survey": survey,
        "rounds": survey.rounds.all(),
        "unit_links": unit_links,
        "schedule_form": extra.pop("schedule_form", ScheduleForm()),
        "invitation_form": extra.pop(
            "invitation_form", InvitationForm(organization=request.organization)
        ),
        "codes_form": extra.pop("codes_form", SealedCodesForm(organization=request.organization)),
        "parts": survey.parts(),
        "dp_budget": dp.budget(survey),
        "survey_releases": survey.releases.select_related("round").order_by(
            "round__number", "number"
        ),
        **extra,
    }


@staff_view(ADMIN)
def survey_detail(request: StaffRequest, pk: int) -> HttpResponse:
    survey = _get_survey_for_admin(request, pk)
    return render(request, "pulse/survey_detail.html", _survey_context(request, survey))


@staff_view(ADMIN)
@require_POST
def survey_schedule(request: StaffRequest, pk: int) -> HttpResponse:
    survey = _get_survey_for_admin(request, pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "pulse/survey_detail.html",
            _survey_context(request, survey, schedule_form=form),
            status=400,
        )
    with transaction.atomic():
        last = survey.rounds.order_by("-number").first()
        start = (last.number if last else 0) + 1
        if last and form.dates()[0][0] <= last.ends_on:
            form.add_error("first_day", _("New rounds must start after the last round ends."))
            return render(
                request,
                "pulse/survey_detail.html",
                _survey_context(request, survey, schedule_form=form),
                status=400,
            )
        Round.objects.bulk_create(
            Round(survey=survey, number=start + i, starts_on=a, ends_on=b)
            for i, (a, b) in enumerate(form.dates())
        )
        bump_dashboards(request.organization.pk)  # bulk_create sends no signal
        AuditLog.record(
            request.user,
            "pulse.rounds_scheduled",
            survey,
            organization=request.organization,
            count=len(form.dates()),
        )
    messages.success(request, _("Rounds scheduled."))
    return redirect("pulse_staff:survey", org=request.organization.slug, pk=survey.pk)


@staff_view(ADMIN)
@require_POST
def survey_open(request: StaffRequest, pk: int) -> HttpResponse:
    survey = _get_survey_for_admin(request, pk)
    if not survey.rounds.exists():
        messages.error(request, _("Schedule at least one round first."))
        return redirect("pulse_staff:survey", org=request.organization.slug, pk=survey.pk)
    with transaction.atomic():
        survey.status = Survey.Status.OPEN
        survey.save(update_fields=["status"])
        if not survey.by_invitation:  # invitation surveys have no link anyone could answer through
            for unit in Unit.objects.filter(organization=request.organization):
                SurveyLink.objects.get_or_create(survey=survey, unit=unit)
        AuditLog.record(
            request.user, "pulse.survey_opened", survey, organization=request.organization
        )
    messages.success(request, _("The survey is open. Its questions and thresholds are now locked."))
    return redirect("pulse_staff:survey", org=request.organization.slug, pk=survey.pk)


@staff_view(ADMIN)
@require_POST
def survey_close(request: StaffRequest, pk: int) -> HttpResponse:
    survey = _get_survey_for_admin(request, pk)
    survey.status = Survey.Status.CLOSED
    with transaction.atomic():
        survey.save(update_fields=["status"])
        released = releases.close_rounds(survey)
        AuditLog.record(
            request.user,
            "pulse.survey_closed",
            survey,
            organization=request.organization,
            releases=released,
        )
    return redirect("pulse_staff:survey", org=request.organization.slug, pk=survey.pk)


@staff_view(ADMIN)
@require_POST
def survey_invite(request: StaffRequest, pk: int) -> HttpResponse:
    survey = _get_survey_for_admin(request, pk)
    if not survey.by_invitation or survey.status == Survey.Status.CLOSED:
        messages.error(request, _("This survey does not send invitations."))
        return redirect("pulse_staff:survey", org=request.organization.slug, pk=survey.pk)
    form = InvitationForm(request.POST, organization=request.organization)
    reminder_on = form.reminder_on(survey) if form.is_valid() else None
    if not form.is_valid():
        return render(
            request,
            "pulse/survey_detail.html",
            _survey_context(request, survey, invitation_form=form),
            status=400,
        )
    with transaction.atomic():
        sent = do_invite(
            survey, form.cleaned_data["unit"], form.cleaned_data["addresses"], reminder_on
        )
        AuditLog.record(
            request.user,
            "pulse.invitations_queued",
            survey,
            organization=request.organization,
            unit=form.cleaned_data["unit"].pk,
            count=sent,
            reminder=reminder_on.isoformat() if reminder_on else "",
        )
    messages.success(
        request,
        _("%(n)s invitations are on their way. The addresses are erased once sent.") % {"n": sent},
    )
    return redirect("pulse_staff:survey", org=request.organization.slug, pk=survey.pk)


@staff_view(ADMIN)
@require_POST
def survey_codes(request: StaffRequest, pk: int) -> HttpResponse:
    """Print sealed codes: the sheet is the response to this POST and exists nowhere else. There is
    no GET: asking again issues new codes (audited), never the same ones."""
    survey = _get_survey_for_admin(request, pk)
    if not survey.by_invitation or survey.status == Survey.Status.CLOSED:
        messages.error(request, _("This survey does not send invitations."))
        return redirect("pulse_staff:survey", org=request.organization.slug, pk=survey.pk)
    form = SealedCodesForm(request.POST, organization=request.organization)
    if not form.is_valid():
        return render(
            request,
            "pulse/survey_detail.html",
            _survey_context(request, survey, codes_form=form),
            status=400,
        )
    from django.conf import settings

    unit, count = form.cleaned_data["unit"], form.cleaned_data["count"]
    with transaction.atomic():
        pdf = do_seal_codes(survey, unit, count, settings.RESPITE_SITE_URL)
        AuditLog.record(
            request.user,
            "pulse.sealed_codes_printed",
            survey,
            organization=request.organization,
            unit=unit.pk,
            count=count,
        )
    response = pdf_response(pdf, f"sealed-codes-{survey.pk}-{unit.pk}")
    response["Cache-Control"] = "no-store"
    return response


class BadFilter(ValueError):
    pass


def _filters(request: HttpRequest, survey: Survey) -> dict:
    """Dashboard filters from the query string; anything malformed or unknown raises BadFilter."""
    get = request.GET

    def as_int(name: str) -> int | None:
        raw = get.get(name, "")
        if raw in ("", "all"):
            return None
        try:
            return int(raw)
        except ValueError:
            raise BadFilter(name) from None

    on = None
    if get.get("on"):
        try:
            on = date.fromisoformat(get["on"])
        except ValueError:
            raise BadFilter("on") from None
    measures = reporting.measures_by_key(survey)
    default = "burnout_rate" if "burnout_rate" in measures else next(iter(measures))
    measure = get.get("measure") or default
    if measure not in measures:
        raise BadFilter("measure")
    role = get.get("role") or None
    return {
        "measure_key": measure,
        "round_id": as_int("round"),
        "unit_id": as_int("unit"),
        "role": None if role == "all" else role,
        "intervention": on,
    }


def _get_survey_for_dashboard(request: PortalRequest, pk: int) -> Survey:
    """The survey (404 to anyone not its admin) with its organization's dashboard version, in one
    query: with the survey's and organization's own fields, all a cached dashboard is checked by."""
    version = DashboardVersion.objects.filter(organization_id=OuterRef("organization_id"))
    survey = get_object_or_404(
        Survey.objects.annotate(
            dashboard_version=Coalesce(Subquery(version.values("version")[:1]), 0)
        ),
        pk=pk,
        organization=request.organization,
    )
    survey.organization = request.organization  # the same row; spares a query on a first view
    return survey


def _dashboard(request: PortalRequest, pk: int) -> tuple[Survey, reporting.Dashboard]:
    survey = _get_survey_for_dashboard(request, pk)
    return survey, _dashboard_of(request, survey, _dashboard_key(request, survey))


def _dashboard_of(request: PortalRequest, survey: Survey, key: str) -> reporting.Dashboard:
    dash = _dash_cache.get(key)
    if dash is None:
        try:
            dash = reporting.dashboard(survey, **_filters(request, survey))
        except (BadFilter, KeyError) as exc:
            raise BadFilter(str(exc).strip("'")) from None
        _dash_cache.put(key, dash)
    return dash


# Dashboards read stored releases only, so one is the same for every read until something it is
# built from changes: the survey's and organization's fields, the organization's dashboard version
# (raised with any change of its units, rounds, releases, custom items or released comments; see
# ``models.DashboardVersion``), the filters, the language and the day. Kept per process (the
# dashboard object, the figures part of its page and each chart's SVG), keyed by all of those; the
# time limit matches the cross-organization benchmark's (reporting.benchmark), the one input read
# from other organizations.
DASHBOARD_TTL_S = 600
DASHBOARD_CACHE_SIZE = 256
_dash_cache: ProcessCache[reporting.Dashboard] = ProcessCache(DASHBOARD_CACHE_SIZE, DASHBOARD_TTL_S)
_page_cache: ProcessCache[str] = ProcessCache(DASHBOARD_CACHE_SIZE, DASHBOARD_TTL_S)
_svg_cache: ProcessCache[bytes] = ProcessCache(DASHBOARD_CACHE_SIZE, DASHBOARD_TTL_S)
FILTERS = ("measure", "round", "unit", "role", "on")


def _fields(obj: models.Model) -> tuple:
    return tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields)


def _dashboard_key(request: PortalRequest, survey: Survey) -> str:
    """The filters as given, not parsed: parsing them needs the survey's measures (a query), and
    only valid filters are ever cached (the inputs that decide validity are in the key too)."""
    parts = (
        _fields(survey),
        survey.dashboard_version,  # type: ignore[attr-defined]  # annotated by _get_survey_for_dashboard
        _fields(request.organization),
        [request.GET.get(name, "") for name in FILTERS],
        get_language(),
        timezone.localdate(),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _bad(exc: BadFilter) -> HttpResponse:
    return HttpResponseBadRequest(
        _("Unknown or malformed filter: %(name)s") % {"name": exc},
        content_type="text/plain; charset=utf-8",
    )


@staff_view(ADMIN)
@require_GET
def dashboard(request: StaffRequest, pk: int) -> HttpResponse:
    """The figures part of the page is drawn once per dashboard key and query string; only the
    page around it (the signed-in person's menu, CSRF token, CSP nonce) is drawn per request."""
    survey = _get_survey_for_dashboard(request, pk)
    key = _dashboard_key(request, survey)
    query = request.GET.urlencode()
    page_key = hashlib.sha256(f"{key}?{query}".encode()).hexdigest()
    figures = _page_cache.get(page_key)  # a SafeString, as render_to_string made it
    if figures is None:
        try:
            dash = _dashboard_of(request, survey, key)
        except BadFilter as exc:
            return _bad(exc)
        figures = render_to_string(
            "pulse/_dashboard_figures.html",
            {
                "organization": request.organization,
                "survey": survey,
                "dash": dash,
                "measures": survey.measures(),
                "query": query,
                "tree": reporting.unit_tree(request.organization),
                "role_choices": request.organization.role_group_choices(),
                "has_trend": any(not f.suppressed and f.value is not None for _r, f in dash.trend),
            },
        )
        _page_cache.put(page_key, figures)
    return render(request, "pulse/dashboard.html", {"survey": survey, "figures": figures})


@staff_view(ADMIN)
@require_GET
def chart(request: StaffRequest, pk: int, kind: str) -> HttpResponse:
    """A dashboard chart as SVG, drawn once per dashboard key (see ``_dashboard_key``). The ETag
    names that key: a browser revalidating gets 304 without a byte of the chart."""
    if kind not in ("trend", "heatmap"):
        raise Http404
    survey = _get_survey_for_dashboard(request, pk)
    key = _dashboard_key(request, survey)
    etag = f'"{kind[0]}{key[:40]}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        svg = _svg_cache.get(f"{kind}:{key}")
        if svg is None:
            try:
                dash = _dashboard_of(request, survey, key)
            except BadFilter as exc:
                return _bad(exc)
            svg = charts.trend_svg(dash) if kind == "trend" else charts.heatmap_svg(dash)
            _svg_cache.put(f"{kind}:{key}", svg)
        response = HttpResponse(svg, content_type="image/svg+xml")
    response["ETag"] = etag
    # Released aggregate figures only, on a signed-in admin's browser: it may keep the chart but must
    # ask each time (no-cache), so a new release or a lost session shows nothing stale.
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Cookie, Accept-Language"
    return response


def _csv(dash: reporting.Dashboard) -> str:
    buf = io.StringIO()
    fields = [
        "section",
        "round",
        "unit",
        "role",
        "measure",
        "value",
        "low",
        "high",
        "n",
        "accuracy",
        "suppressed",
        "note",
    ]
    return _write_csv(buf, fields, dash.rows())


def csv_safe(value: object) -> object:
    """Spreadsheet formula injection: unit names and comments are people's text, so a cell that
    begins with = + - or @ gets a leading apostrophe. Nothing else is touched (empty stays empty)."""
    if isinstance(value, str) and value and value[0] in "=+-@":
        return "'" + value
    return value


def _write_csv(buf: io.StringIO, fields: list[str], rows: list[dict]) -> str:
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_safe(v) for k, v in row.items()})
    return buf.getvalue()


def _csv_download(
    request: StaffRequest, survey: Survey, body: str, kind: str, filename: str
) -> HttpResponse:
    """A CSV export as a download, recorded in the audit log (which export, never its figures)."""
    AuditLog.record(
        request.user, "pulse.exported", survey, organization=request.organization, format=kind
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_view(ADMIN)
@require_GET
def export_csv(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        survey, dash = _dashboard(request, pk)
    except BadFilter as exc:
        return _bad(exc)
    return _csv_download(request, survey, _csv(dash), "csv", f"pulse-{survey.pk}.csv")


@staff_view(ADMIN)
@require_GET
def export_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        survey, dash = _dashboard(request, pk)
    except BadFilter as exc:
        return _bad(exc)
    pdf = render_pdf(
        "pulse/dashboard_pdf.html",
        {
            "survey": survey,
            "dash": dash,
            "organization": request.organization,
            "trend_uri": charts.data_uri(charts.trend_svg(dash)),
            "heatmap_uri": charts.data_uri(charts.heatmap_svg(dash)),
        },
        request,
    )
    AuditLog.record(
        request.user, "pulse.exported", survey, organization=request.organization, format="pdf"
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="pulse-{survey.pk}.pdf"'
    return response


def _round_filter(request: HttpRequest) -> int | None:
    raw = request.GET.get("round", "")
    if raw in ("", "all"):
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadFilter("round") from None


def _overview(request: PortalRequest, pk: int) -> tuple[Survey, reporting.Overview]:
    survey = _get_survey_for_admin(request, pk)
    try:
        return survey, reporting.overview(survey, round_id=_round_filter(request))
    except KeyError as exc:
        raise BadFilter(str(exc).strip("'")) from None


@staff_view(ADMIN)
@require_GET
def overview(request: StaffRequest, pk: int) -> HttpResponse:
    """Every measure of one release: value, change, benchmark; units × measures; participation;
    trends. The same plan and stored noise as the dashboard, so nothing here is new information."""
    try:
        survey, ov = _overview(request, pk)
    except BadFilter as exc:
        return _bad(exc)
    return render(
        request,
        "pulse/overview.html",
        {"survey": survey, "ov": ov, "query": request.GET.urlencode()},
    )


OVERVIEW_FIELDS = [
    "section",
    "round",
    "unit",
    "measure",
    "value",
    "change",
    "benchmark",
    "n",
    "headcount",
    "rate",
    "accuracy",
    "suppressed",
    "note",
]


@staff_view(ADMIN)
@require_GET
def overview_csv(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        survey, ov = _overview(request, pk)
    except BadFilter as exc:
        return _bad(exc)
    body = _write_csv(io.StringIO(), OVERVIEW_FIELDS, ov.rows())
    return _csv_download(request, survey, body, "overview-csv", f"pulse-overview-{survey.pk}.csv")


@staff_view(ADMIN)
@require_GET
def report_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    """The designed report of one release: cover, overview, heat map, trends, themes and how
    anonymity is protected. The same figures as the overview page, nothing else."""
    try:
        survey, ov = _overview(request, pk)
    except BadFilter as exc:
        return _bad(exc)
    trends = [
        (
            s,
            charts.data_uri(charts.sparkline_svg(s.measure, ov.rounds, s.trend)),
            list(zip(ov.rounds, s.trend, strict=True)),
        )
        for s in ov.summaries
    ]
    release = reporting.latest_releases(survey).get(ov.round.pk) if ov.round else None
    pdf = render_pdf(
        "pulse/report_pdf.html",
        {
            "survey": survey,
            "ov": ov,
            "organization": request.organization,
            "trends": trends,
            "release": release,
        },
        request,
    )
    AuditLog.record(
        request.user, "pulse.exported", survey, organization=request.organization, format="report"
    )
    return pdf_response(pdf, f"pulse-report-{survey.pk}")


@staff_view(ADMIN)
@require_GET
def posters_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    """Printable posters, one page per unit (or ``?unit=``): the unit's shared link as a QR code,
    what the survey protects, and the crisis lines. Shared-link surveys only: an invitation survey
    has no link anyone could answer through (print sealed codes instead)."""
    from django.conf import settings

    from respite.core.resources import crisis_options
    from respite.pulse.models import qr_data_uri

    survey = _get_survey_for_admin(request, pk)
    if survey.by_invitation or survey.status != Survey.Status.OPEN:
        return HttpResponseBadRequest(
            _(
                "Posters are for open shared-link surveys. For an invitation survey, print sealed codes."
            ),
            content_type="text/plain; charset=utf-8",
        )
    links = survey.links.select_related("unit").order_by("unit__name")
    if request.GET.get("unit"):
        try:
            links = links.filter(unit_id=int(request.GET["unit"]))
        except ValueError:
            return _bad(BadFilter("unit"))
        if not links:
            return _bad(BadFilter("unit"))
    posters = []
    for link in links:
        url = settings.RESPITE_SITE_URL + reverse(
            "pulse:link", kwargs={"org": request.organization.slug, "key": link.key}
        )
        posters.append({"unit": link.unit, "url": url, "qr": qr_data_uri(url, scale=10)})
    pdf = render_pdf(
        "pulse/posters_pdf.html",
        {
            "survey": survey,
            "organization": request.organization,
            "posters": posters,
            "round": survey.current_round(),
            "k": survey.k(),
            "crisis": crisis_options("en")[:2],
        },
        lang="en",
    )
    AuditLog.record(
        request.user,
        "pulse.posters_printed",
        survey,
        organization=request.organization,
        count=len(posters),
    )
    return pdf_response(pdf, f"pulse-posters-{survey.pk}")


def _released_round(survey: Survey, number: int) -> Round:
    """A round of ``survey`` with a final release (404 otherwise)."""
    rnd = get_object_or_404(Round, survey=survey, number=number)
    if not rnd.releases.filter(final=True).exists():
        raise Http404
    return rnd


def _commitments(request: PortalRequest) -> list[dict] | None:
    """The organization's public commitments from its action plan (assessments), if that app is here."""
    try:
        from respite.assessments.models import public_commitments
    except ImportError:
        return None
    return public_commitments(request.organization, translation.get_language())


@staff_view(ADMIN)
def results_note(request: StaffRequest, pk: int, number: int) -> HttpResponse:
    """The "you said, we did" page of one released round: the admin writes what the organization
    will do and publishes it; workers then see it with the organization-level figures."""
    survey = _get_survey_for_admin(request, pk)
    rnd = _released_round(survey, number)
    note = ResultsNote.objects.filter(round=rnd).first() or ResultsNote(round=rnd)
    form = ResultsNoteForm(request.POST or None, instance=note)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            AuditLog.record(
                request.user,
                "pulse.results_note_saved",
                survey,
                organization=request.organization,
                round=rnd.number,
                published=note.published,
            )
        messages.success(request, _("Saved."))
        return redirect(
            "pulse_staff:results_note", org=request.organization.slug, pk=survey.pk, number=number
        )
    return render(
        request,
        "pulse/results_note.html",
        {
            "survey": survey,
            "round": rnd,
            "form": form,
            "note": note,
            "ov": reporting.overview(survey, round_id=rnd.pk, organization_only=True),
        },
        status=400 if form.errors else 200,
    )


# --- workers ----------------------------------------------------------------------------------
@portal_view
@require_GET
def results_index(request: PortalRequest) -> HttpResponse:
    notes = (
        ResultsNote.objects.filter(
            published=True,
            round__releases__final=True,
            round__survey__organization=request.organization,
        )
        .select_related("round", "round__survey")
        .order_by("-round__ends_on")
    )
    return render(request, "pulse/results_index.html", {"notes": notes})


@portal_view
@require_GET
def results(request: PortalRequest, survey_pk: int, number: int) -> HttpResponse:
    """What the organization heard and what it will do: organization-level released figures only."""
    note = get_object_or_404(
        ResultsNote.objects.select_related("round", "round__survey"),
        published=True,
        round__releases__final=True,
        round__number=number,
        round__survey_id=survey_pk,
        round__survey__organization=request.organization,
    )
    survey = note.round.survey
    lang = (translation.get_language() or "en")[:2]
    return render(
        request,
        "pulse/results.html",
        {
            "survey": survey,
            "round": note.round,
            "ov": reporting.overview(survey, round_id=note.round_id, organization_only=True),
            "actions": note.actions(lang),
            "commitments": _commitments(request),
        },
    )


@portal_view
def worker_index(request: PortalRequest) -> HttpResponse:
    """Enter an invitation code. The invitation e-mail links here with the code after ``#``: the
    browser never sends a fragment, and app.js posts it with this form, so the code reaches neither
    a URL nor a proxy log (without JavaScript the worker types the code the e-mail also shows)."""
    form = TokenEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Only the keyed hash, until the answer is sent (or the 8-hour session ends).
        # A mailed invitation as given, or a sealed code however it was typed.
        request.session[SESSION_INVITATION] = SurveyToken.digests(form.cleaned_data["token"])
        return redirect("pulse:token", org=request.organization.slug)
    return render(request, "pulse/worker_index.html", {"form": form})


SESSION_INVITATION = "pulse_invitation"


def _answered_cookie(survey: Survey, round_: Round) -> str:
    return f"pulse_{survey.pk}_{round_.pk}"


def _answer(
    request: PortalRequest, survey: Survey, unit: Unit, token: SurveyToken | None
) -> HttpResponse:
    round_ = survey.current_round()
    if round_ is None:
        return render(request, "pulse/closed.html", {"survey": survey}, status=410)
    roles = request.organization.role_group_choices()
    form = AnswerForm(survey, request.POST or None, role_choices=roles)
    if request.method == "POST" and form.is_valid():
        role = form.cleaned_data.get("role_group") or ""
        try:
            do_submit(
                survey,
                round_,
                unit,
                role,
                form.answers(),
                form.cleaned_data.get("comment", ""),
                token,
            )
        except TokenUsed:
            raise Http404 from None  # a used invitation looks exactly like an unknown one
        except AnswerError:
            form.add_error(None, _("Some questions need an answer."))
        else:
            if token is not None:
                request.session.pop(SESSION_INVITATION, None)
            response = redirect("pulse:thanks", org=request.organization.slug)
            # A reminder on this device only, so a shared link is not answered twice by accident.
            response.set_signed_cookie(
                _answered_cookie(survey, round_),
                "1",
                salt=_ANSWERED_SALT,
                max_age=60 * 60 * 24 * 120,
                httponly=True,
                samesite="Lax",
            )
            return response
    already = False
    try:
        already = bool(
            request.get_signed_cookie(_answered_cookie(survey, round_), salt=_ANSWERED_SALT)
        )
    except (KeyError, signing.BadSignature):
        already = False
    return render(
        request,
        "pulse/answer.html",
        {"survey": survey, "unit": unit, "form": form, "round": round_, "already": already},
        status=400 if form.errors else 200,
    )


@portal_view
def answer_link(request: PortalRequest, key: str) -> HttpResponse:
    link = get_object_or_404(
        SurveyLink.objects.select_related("survey", "unit"),
        key=key,
        survey__organization=request.organization,
        survey__mode=Survey.Mode.LINK,
    )
    return _answer(request, link.survey, link.unit, None)


@portal_view
def answer_token(request: PortalRequest) -> HttpResponse:
    digests = request.session.get(SESSION_INVITATION) or []
    row = (
        SurveyToken.objects.select_related("survey", "unit")
        .filter(digest__in=digests, survey__organization=request.organization)
        .first()
    )
    if row is None or row.used or not row.survey.by_invitation:
        raise Http404  # used, unknown or not an invitation survey: the same page, so use cannot be watched
    return _answer(request, row.survey, row.unit, row)


@portal_view
def thanks(request: PortalRequest) -> HttpResponse:
    return render(request, "pulse/thanks.html")
