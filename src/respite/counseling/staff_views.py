"""Counselor and organization-admin pages.

Counselors of the organization read shared screenings and reply; they never see the access code.
Organization admins get counts only, suppressed below the minimum group size; they never read a case.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respite.core import privacy
from respite.core.models import AuditLog
from respite.core.portal import PortalRequest, StaffRequest, View, client_language, staff_view
from respite.core.roles import StaffRole
from respite.counseling.forms import CounselingSettingsForm, CounselorReplyForm
from respite.counseling.integrations import recommend_resources
from respite.counseling.models import (
    Author,
    Case,
    CaseStatus,
    CounselingSettings,
    Engagement,
    Message,
)
from respite.screening import instruments


def _object_view(*roles: str) -> Callable[[View], View]:
    """staff_view for one case: signed-out visitors get 404 too, not a login page naming the object."""
    return staff_view(*roles, login_page=False)


def _get_case_for_counselor(request: PortalRequest, pk) -> Case:
    # staff_view(COUNSELOR) already checked the role in request.organization; platform and org
    # admins do not pass it (has_role lets platform admins through for org_admin only).
    return get_object_or_404(
        Case.objects.select_related("screening"), pk=pk, organization=request.organization
    )


QUEUE_PAGE_SIZE = 50


@staff_view(StaffRole.COUNSELOR)
def queue(request: StaffRequest) -> HttpResponse:
    target = CounselingSettings.for_org(request.organization).reply_target_hours
    show_closed = request.GET.get("show") == "closed"
    cases = Case.objects.filter(
        organization=request.organization,
        status=CaseStatus.CLOSED if show_closed else CaseStatus.OPEN,
    )
    cases = cases.order_by("-closed_at") if show_closed else cases.queue()
    now = timezone.now()
    page = Paginator(cases.annotate(n_messages=Count("messages")), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {"case": c, "overdue": c.is_overdue(target, now), "due": c.reply_due(target)} for c in page
    ]
    # Counted over every open case, not only this page (same rule as Case.is_overdue).
    overdue_count = (
        0
        if show_closed
        else Case.objects.filter(
            organization=request.organization,
            status=CaseStatus.OPEN,
            awaiting_reply_since__lt=now - timedelta(hours=target),
        ).count()
    )
    return render(
        request,
        "counseling/staff/queue.html",
        {
            "rows": rows,
            "page": page,
            "reply_target_hours": target,
            "show_closed": show_closed,
            "overdue_count": overdue_count,
        },
    )


def _answers(case: Case, lang: str) -> list[dict]:
    """Scores, bands and each answer in words: what the worker chose to share."""
    out = []
    for stored in case.screening.results.all():
        result = stored.rescore()
        inst = result.instrument
        answered = [
            {
                "text": instruments.tr(item.text, lang),
                "answer": item.option_label(result.answers[item.id], lang),
                "value": result.answers[item.id],
            }
            for item in inst.items
            if item.id in result.answers
        ]
        out.append(
            {
                "result": result.as_dict(lang),
                "name": instruments.tr(inst.name, lang),
                "answers": answered,
            }
        )
    return out


def _case_context(
    request: PortalRequest, case: Case, form: CounselorReplyForm | None = None
) -> dict:
    lang = client_language(request)
    target = CounselingSettings.for_org(request.organization).reply_target_hours
    if form is None:
        form = CounselorReplyForm(resources=_resources(request, case))
    return {
        "case": case,
        "thread": case.messages.all(),
        "results": _answers(case, lang),
        "form": form,
        "overdue": case.is_overdue(target),
        "due": case.reply_due(target),
        "reply_target_hours": target,
    }


def _resources(request: PortalRequest, case: Case) -> list[dict]:
    return recommend_resources(
        organization=request.organization,
        tier=case.tier,
        role_group=case.screening.role_group,
        language=case.screening.language,
        state=request.organization.state,
    )


@_object_view(StaffRole.COUNSELOR)
def case_detail(request: StaffRequest, pk) -> HttpResponse:
    case = _get_case_for_counselor(request, pk)
    return render(request, "counseling/staff/case.html", _case_context(request, case))


@require_POST
@_object_view(StaffRole.COUNSELOR)
def case_reply(request: StaffRequest, pk) -> HttpResponse:
    case = _get_case_for_counselor(request, pk)
    form = CounselorReplyForm(request.POST, resources=_resources(request, case))
    if not case.is_open:
        raise Http404
    if not form.is_valid():
        return render(
            request, "counseling/staff/case.html", _case_context(request, case, form), status=400
        )
    now = timezone.now()
    with transaction.atomic():
        msg = Message.objects.create(
            case=case,
            author=Author.COUNSELOR,
            counselor=request.user,
            body=form.cleaned_data.get("body", ""),
            resources=form.shared_resources(),
            suggests_booking=form.cleaned_data["suggests_booking"],
            created_at=now,
        )
        case.awaiting_reply_since = None
        case.first_reply_at = case.first_reply_at or now
        case.booking_suggested = case.booking_suggested or msg.suggests_booking
        case.save(update_fields=["awaiting_reply_since", "first_reply_at", "booking_suggested"])
        AuditLog.record(
            request.user,
            "counseling.case_replied",
            case,
            organization=request.organization,
            message=msg.pk,
            resources=len(msg.resources),
            suggests_booking=msg.suggests_booking,
        )
    messages.success(request, _("Reply sent."))
    return redirect("counseling_staff:case", org=request.organization.slug, pk=case.pk)


@require_POST
@_object_view(StaffRole.COUNSELOR)
def case_urgent(request: StaffRequest, pk) -> HttpResponse:
    case = _get_case_for_counselor(request, pk)
    case.urgent = request.POST.get("urgent") == "1"
    with transaction.atomic():
        case.save(update_fields=["urgent"])
        AuditLog.record(
            request.user,
            "counseling.case_marked_urgent" if case.urgent else "counseling.case_unmarked_urgent",
            case,
            organization=request.organization,
        )
    return redirect("counseling_staff:case", org=request.organization.slug, pk=case.pk)


@require_POST
@_object_view(StaffRole.COUNSELOR)
def case_close(request: StaffRequest, pk) -> HttpResponse:
    case = _get_case_for_counselor(request, pk)
    reopen = request.POST.get("reopen") == "1"
    case.status = CaseStatus.OPEN if reopen else CaseStatus.CLOSED
    case.closed_at = None if reopen else timezone.now()
    if not reopen:
        case.awaiting_reply_since = None
    with transaction.atomic():
        case.save(update_fields=["status", "closed_at", "awaiting_reply_since"])
        AuditLog.record(
            request.user,
            "counseling.case_reopened" if reopen else "counseling.case_closed",
            case,
            organization=request.organization,
        )
    messages.success(request, _("Case reopened.") if reopen else _("Case closed."))
    return redirect("counseling_staff:queue", org=request.organization.slug)


@staff_view(StaffRole.ORG_ADMIN)
def settings_view(request: StaffRequest) -> HttpResponse:
    instance = CounselingSettings.for_org(request.organization)
    form = CounselingSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        AuditLog.save_form(
            form, request.user, "counseling.settings_changed", organization=request.organization
        )
        messages.success(request, _("Settings saved."))
        return redirect("counseling_staff:settings", org=request.organization.slug)
    return render(
        request,
        "counseling/staff/settings.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def report_figures(organization) -> dict:
    """Counts only, each suppressed below the organization's minimum group size (never content)."""
    k = privacy.min_group_size(organization)
    cases = Case.objects.filter(organization=organization)
    agg = cases.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status=CaseStatus.OPEN)),
        replied=Count("pk", filter=Q(first_reply_at__isnull=False)),
        referred=Count("pk", filter=Q(booking_suggested=True)),
    )
    replies = Message.objects.filter(
        case__organization=organization, author=Author.COUNSELOR
    ).count()
    waits = [
        (c.first_reply_at - c.opened_at).total_seconds() / 3600
        for c in cases.filter(first_reply_at__isnull=False).only("opened_at", "first_reply_at")
        if c.first_reply_at is not None
    ]
    engagements = Engagement.objects.filter(organization=organization)
    n_eng = engagements.count()
    n_booked = engagements.filter(bookings__status__in=["booked", "completed"]).distinct().count()
    total = agg["total"]
    status = privacy.suppress_counts(
        {"open": agg["open"], "closed": total - agg["open"]}, k, total=total
    )
    referral = privacy.suppress_counts(
        {"referred": agg["referred"], "not_referred": total - agg["referred"]}, k, total=total
    )
    return {
        "k": k,
        "cases": privacy.cell(total, total, k),
        "open": status["open"],
        "closed": status["closed"],
        "referred": referral["referred"],
        "replies": privacy.cell(replies, agg["replied"], k),
        "median_hours": privacy.cell(
            round(statistics.median(waits), 1) if waits else None, len(waits), k
        ),
        "engagements": privacy.cell(n_eng, n_eng, k),
        "engagements_booked": privacy.cell(n_booked, n_booked, k),
    }


@staff_view(StaffRole.ORG_ADMIN)
def report(request: StaffRequest) -> HttpResponse:
    return render(
        request, "counseling/staff/report.html", {"figures": report_figures(request.organization)}
    )
