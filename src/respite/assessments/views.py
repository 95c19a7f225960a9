"""Staff pages for organizational self-assessments. Organization admins only: everyone else gets 404.

Every change is written to the audit log with ids and field names only.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from respite.assessments import charts, frameworks, report
from respite.assessments.forms import (
    ActionItemForm,
    AnswersForm,
    CommitmentForm,
    GapPlanForm,
    InviteRatersForm,
    RatingsForm,
    StartForm,
)
from respite.assessments.models import (
    ActionItem,
    Assessment,
    Commitment,
    Rater,
    do_record_ratings,
    spreads,
)
from respite.core.models import AuditLog
from respite.core.notify import notify_staff, site_link
from respite.core.portal import PortalRequest, StaffRequest, client_language, staff_view
from respite.core.roles import StaffRole

admin_view = staff_view(StaffRole.ORG_ADMIN)
rater_view = staff_view(StaffRole.ASSESSMENT_RATER, StaffRole.ORG_ADMIN)


def _get_assessment_for_admin(request: PortalRequest, pk) -> Assessment:
    assessment = get_object_or_404(Assessment, pk=pk, organization=request.organization)
    if frameworks.get(assessment.framework) is None:
        raise Http404
    return assessment


def _get_rater_for_user(request: PortalRequest, pk) -> Rater:
    """The caller's own invitation to rate this assessment (404 for anyone not invited)."""
    rater = get_object_or_404(
        Rater.objects.select_related("assessment"),
        assessment__pk=pk,
        assessment__organization=request.organization,
        user=request.user,
    )
    if frameworks.get(rater.assessment.framework) is None:
        raise Http404
    return rater


def _get_item_for_admin(request: PortalRequest, pk: int) -> ActionItem:
    return get_object_or_404(ActionItem, pk=pk, organization=request.organization)


def _get_commitment_for_admin(request: PortalRequest, pk: int) -> Commitment:
    return get_object_or_404(Commitment, pk=pk, organization=request.organization)


def _get_framework(framework_id: str) -> frameworks.Framework:
    spec = frameworks.get(framework_id)
    if spec is None:
        raise Http404
    return spec


@require_GET
@admin_view
def index(request: StaffRequest) -> HttpResponse:
    org, lang = request.organization, client_language(request)
    assessments = list(Assessment.objects.filter(organization=org).prefetch_related("answers"))
    rows: list[dict[str, Any]] = [
        {"assessment": a, "name": frameworks.tr(a.spec.name, lang), "card": a.scorecard(lang)}
        for a in assessments
        if frameworks.get(a.framework)
    ]
    due = list(ActionItem.objects.filter(organization=org).due(within_days=14))
    specs = [
        {
            "spec": f,
            "name": frameworks.tr(f.name, lang),
            "description": frameworks.tr(f.description, lang),
            "completed": sum(
                1 for r in rows if r["assessment"].framework == f.id and r["assessment"].is_complete
            ),
        }
        for f in frameworks.registry().values()
    ]
    return render(
        request,
        "assessments/index.html",
        {
            "rows": rows,
            "frameworks": specs,
            "due": due,
            "start_form": StartForm(lang=lang),
            "today": timezone.localdate(),
        },
    )


@require_POST
@admin_view
def start(request: StaffRequest) -> HttpResponse:
    lang = client_language(request)
    form = StartForm(request.POST, lang=lang)
    if not form.is_valid():
        messages.error(request, _("Choose one of the frameworks."))
        return redirect("assessments:index", org=request.organization.slug)
    spec = _get_framework(form.cleaned_data["framework"])
    title = form.cleaned_data["title"] or f"{spec.short_name} — {timezone.localdate():%Y-%m-%d}"
    with transaction.atomic():
        assessment = Assessment.objects.create(
            organization=request.organization,
            framework=spec.id,
            title=title,
            started_by=request.user,
        )
        AuditLog.record(
            request.user,
            "assessment.started",
            assessment,
            organization=request.organization,
            framework=spec.id,
        )
    return redirect("assessments:answer", org=request.organization.slug, pk=assessment.pk)


@admin_view
def answer(request: StaffRequest, pk) -> HttpResponse:
    assessment = _get_assessment_for_admin(request, pk)
    lang = client_language(request)
    form = AnswersForm(assessment, request.POST or None, lang=lang)
    if request.method == "POST" and form.is_valid():
        changed = assessment.do_record_answers(request.user, form.changed_answers())
        messages.success(request, _("Saved %(n)d answer(s).") % {"n": len(changed)})
        if "scorecard" in request.POST:
            return redirect(
                "assessments:scorecard", org=request.organization.slug, pk=assessment.pk
            )
        return redirect("assessments:answer", org=request.organization.slug, pk=assessment.pk)
    return render(
        request,
        "assessments/answer.html",
        {
            "assessment": assessment,
            "form": form,
            "spec_name": frameworks.tr(assessment.spec.name, lang),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@admin_view
def complete(request: StaffRequest, pk) -> HttpResponse:
    assessment = _get_assessment_for_admin(request, pk)
    if assessment.is_complete:
        return redirect("assessments:scorecard", org=request.organization.slug, pk=assessment.pk)
    if not assessment.answers.exists():
        messages.error(
            request, _("Answer at least one criterion before completing the assessment.")
        )
        return redirect("assessments:answer", org=request.organization.slug, pk=assessment.pk)
    with transaction.atomic():
        assessment.completed_at = timezone.now()
        assessment.save(update_fields=["completed_at"])
        AuditLog.record(
            request.user, "assessment.completed", assessment, organization=request.organization
        )
    messages.success(request, _("Assessment completed. It now counts toward progress over time."))
    return redirect("assessments:scorecard", org=request.organization.slug, pk=assessment.pk)


@require_GET
@admin_view
def scorecard(request: StaffRequest, pk) -> HttpResponse:
    assessment = _get_assessment_for_admin(request, pk)
    lang = client_language(request)
    context = report.build(assessment, lang)
    gaps = [g["score"] for g in context["gaps"]]
    plan_form = GapPlanForm(
        gaps=gaps,
        organization=request.organization,
        initial={
            "areas": [g.area.id for g in gaps[:3]],
            "due_date": timezone.localdate() + timedelta(days=90),
        },
    )
    return render(request, "assessments/scorecard.html", {**context, "plan_form": plan_form})


@require_GET
@admin_view
def chart(request: StaffRequest, pk) -> HttpResponse:
    assessment = _get_assessment_for_admin(request, pk)
    return HttpResponse(
        report.chart_svg(assessment, client_language(request)), content_type="image/svg+xml"
    )


@require_POST
@admin_view
def plan_from_gaps(request: StaffRequest, pk) -> HttpResponse:
    """Turn chosen gaps into action items, one per area, named after the area's weakest criterion."""
    assessment = _get_assessment_for_admin(request, pk)
    lang = client_language(request)
    card = assessment.scorecard(lang)
    gaps = {g.area.id: g for g in card.gaps()}
    form = GapPlanForm(request.POST, gaps=list(gaps.values()), organization=request.organization)
    if not form.is_valid():
        messages.error(request, _("Choose at least one gap and a due date."))
        return redirect("assessments:scorecard", org=request.organization.slug, pk=assessment.pk)
    created = []
    with transaction.atomic():
        for area_id in form.cleaned_data["areas"]:
            gap = gaps[area_id]
            weakest = gap.weak[0][0] if gap.weak else None
            title = frameworks.tr(weakest.text, lang) if weakest else gap.name
            item = ActionItem.objects.create(
                organization=request.organization,
                assessment=assessment,
                framework=assessment.framework,
                area=area_id,
                goal=(weakest.goal_id or "") if weakest else "",
                title=title[:200],
                owner=form.cleaned_data["owner"],
                owner_account=form.cleaned_data["owner_account"],
                due_date=form.cleaned_data["due_date"],
                created_by=request.user,
            )
            created.append(item.pk)
            AuditLog.record(
                request.user,
                "action_item.created",
                item,
                organization=request.organization,
                assessment=str(assessment.pk),
                area=area_id,
            )
    messages.success(
        request,
        _("Added %(n)d action(s) to the plan. Give each an owner and check the dates.")
        % {"n": len(created)},
    )
    return redirect("assessments:plan", org=request.organization.slug)


def _download(
    request: PortalRequest,
    assessment: Assessment,
    content: bytes | str,
    content_type: str,
    ext: str,
) -> HttpResponse:
    AuditLog.record(
        request.user,
        "assessment.report_exported",
        assessment,
        organization=request.organization,
        format=ext,
    )
    response = HttpResponse(content, content_type=content_type)
    name = f"{request.organization.slug}-{assessment.framework}-{assessment.on_date:%Y-%m-%d}.{ext}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@admin_view
def report_pdf(request: StaffRequest, pk) -> HttpResponse:
    assessment = _get_assessment_for_admin(request, pk)
    lang = client_language(request)
    return _download(
        request,
        assessment,
        report.pdf(report.build(assessment, lang), lang),
        "application/pdf",
        "pdf",
    )


@require_GET
@admin_view
def report_csv(request: StaffRequest, pk) -> HttpResponse:
    assessment = _get_assessment_for_admin(request, pk)
    text = report.csv_text(report.build(assessment, client_language(request)))
    return _download(request, assessment, text, "text/csv; charset=utf-8", "csv")


def _progress(request: PortalRequest, spec: frameworks.Framework):
    lang = client_language(request)
    done = list(
        Assessment.objects.completed()
        .for_framework(spec.id)
        .filter(organization=request.organization)
        .order_by("completed_at")
        .prefetch_related("answers")
    )
    cards = [(a, a.scorecard(lang)) for a in done]
    return lang, cards


@require_GET
@admin_view
def progress(request: StaffRequest, framework: str) -> HttpResponse:
    spec = _get_framework(framework)
    lang, cards = _progress(request, spec)
    areas = [(a.id, frameworks.tr(a.name, lang)) for a in spec.areas]
    table = [
        {
            "assessment": a,
            "overall": c.overall,
            "cells": [c.percent_by_area()[area_id] for area_id, _n in areas],
        }
        for a, c in cards
    ]
    return render(
        request,
        "assessments/progress.html",
        {
            "spec": spec,
            "spec_name": frameworks.tr(spec.name, lang),
            "areas": areas,
            "table": table,
        },
    )


@require_GET
@admin_view
def progress_chart(request: StaffRequest, framework: str) -> HttpResponse:
    spec = _get_framework(framework)
    lang, cards = _progress(request, spec)
    series = {
        frameworks.tr(area.name, lang): [c.percent_by_area()[area.id] for _a, c in cards]
        for area in spec.areas
    }
    return HttpResponse(
        charts.progress_svg([a.on_date for a, _c in cards], series), content_type="image/svg+xml"
    )


@require_GET
@admin_view
def plan(request: StaffRequest) -> HttpResponse:
    org, lang = request.organization, client_language(request)
    items = list(ActionItem.objects.filter(organization=org).select_related("owner_account"))
    today = timezone.localdate()
    groups = []
    for spec in frameworks.registry().values():
        rows = [
            {
                "item": i,
                "area": i.area_name(lang),
                "goal": i.goal_text(lang),
                "overdue": i.is_overdue(today),
            }
            for i in items
            if i.framework == spec.id
        ]
        groups.append(
            {
                "spec": spec,
                "name": frameworks.tr(spec.name, lang),
                "rows": rows,
                "suggested": [
                    {"id": c.id, "title": frameworks.tr(c.title, lang)} for c in spec.commitments
                ],
            }
        )
    commitments = list(Commitment.objects.filter(organization=org))
    return render(
        request,
        "assessments/plan.html",
        {"groups": groups, "commitments": commitments, "today": today},
    )


def _item_form(
    request: PortalRequest, item: ActionItem, spec: frameworks.Framework
) -> ActionItemForm:
    return ActionItemForm(
        request.POST or None,
        instance=item,
        organization=request.organization,
        spec=spec,
        lang=client_language(request),
    )


@admin_view
def item_new(request: StaffRequest, framework: str) -> HttpResponse:
    spec = _get_framework(framework)
    item = ActionItem(organization=request.organization, framework=spec.id, created_by=request.user)
    form = _item_form(request, item, spec)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            item = form.save()
            AuditLog.record(
                request.user,
                "action_item.created",
                item,
                organization=request.organization,
                area=item.area,
            )
        messages.success(request, _("Action added."))
        return redirect("assessments:plan", org=request.organization.slug)
    return render(
        request,
        "assessments/item_form.html",
        {"form": form, "spec_name": frameworks.tr(spec.name, client_language(request))},
        status=400 if form.errors else 200,
    )


@admin_view
def item_edit(request: StaffRequest, pk: int) -> HttpResponse:
    item = _get_item_for_admin(request, pk)
    spec = _get_framework(item.framework)
    old_status = item.status
    form = _item_form(request, item, spec)
    if request.method == "POST" and form.is_valid():

        def completed_on(item: ActionItem) -> None:
            if item.status == ActionItem.Status.DONE and old_status != ActionItem.Status.DONE:
                item.completed_on = timezone.localdate()
            elif item.status != ActionItem.Status.DONE:
                item.completed_on = None

        AuditLog.save_form(
            form,
            request.user,
            "action_item.updated",
            organization=request.organization,
            prepare=completed_on,
        )
        messages.success(request, _("Action saved."))
        return redirect("assessments:plan", org=request.organization.slug)
    return render(
        request,
        "assessments/item_form.html",
        {
            "form": form,
            "item": item,
            "spec_name": frameworks.tr(spec.name, client_language(request)),
        },
        status=400 if form.errors else 200,
    )


@admin_view
def commitment_new(request: StaffRequest) -> HttpResponse:
    """A new commitment, optionally prefilled from a framework's suggestion (?suggested=framework:id)."""
    lang = client_language(request)
    framework_id, _sep, suggestion_id = request.GET.get("suggested", "").partition(":")
    spec = frameworks.get(framework_id)
    suggestion = (
        next((c for c in spec.commitments if c.id == suggestion_id), None) if spec else None
    )
    commitment = Commitment(organization=request.organization, created_by=request.user)
    initial: dict[str, Any] = {"target_date": timezone.localdate() + timedelta(days=365)}
    if spec and suggestion:
        commitment.framework, commitment.area, commitment.suggested = (
            spec.id,
            suggestion.area_id or "",
            suggestion.id,
        )
        initial.update(
            title=frameworks.tr(suggestion.title, lang),
            description=frameworks.tr(suggestion.description, lang),
        )
    form = CommitmentForm(request.POST or None, instance=commitment, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            commitment = form.save()
            AuditLog.record(
                request.user,
                "commitment.created",
                commitment,
                organization=request.organization,
                suggested=commitment.suggested,
            )
        messages.success(request, _("Commitment added."))
        return redirect("assessments:plan", org=request.organization.slug)
    return render(
        request,
        "assessments/commitment_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@admin_view
def commitment_edit(request: StaffRequest, pk: int) -> HttpResponse:
    commitment = _get_commitment_for_admin(request, pk)
    form = CommitmentForm(request.POST or None, instance=commitment)
    if request.method == "POST" and form.is_valid():
        AuditLog.save_form(
            form, request.user, "commitment.updated", organization=request.organization
        )
        messages.success(request, _("Commitment saved."))
        return redirect("assessments:plan", org=request.organization.slug)
    return render(
        request,
        "assessments/commitment_form.html",
        {"form": form, "commitment": commitment},
        status=400 if form.errors else 200,
    )


# --- Several raters ---------------------------------------------------------------------------


@admin_view
def raters(request: StaffRequest, pk) -> HttpResponse:
    """Who is invited to rate, how far each has got, and the invitation form."""
    assessment = _get_assessment_for_admin(request, pk)
    form = InviteRatersForm(assessment, request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(
                request,
                "assessments/raters.html",
                _raters_context(request, assessment, form),
                status=400,
            )
        with transaction.atomic():
            for user in form.cleaned_data["users"]:
                rater = Rater.objects.create(
                    assessment=assessment, user=user, invited_by=request.user
                )
                AuditLog.record(
                    request.user,
                    "assessment.rater_invited",
                    assessment,
                    organization=request.organization,
                    rater=rater.pk,
                )
                # Queued in the same transaction (respite.core.tasks): no mail leaves from a request.
                notify_staff(
                    [user],
                    "assessments.rater_invited",
                    partial(_invitation, assessment=assessment),
                    key=f"rater-invitation:{rater.pk}",
                )
        messages.success(
            request, _("Invited %(n)d rater(s).") % {"n": len(form.cleaned_data["users"])}
        )
        return redirect("assessments:raters", org=request.organization.slug, pk=assessment.pk)
    return render(request, "assessments/raters.html", _raters_context(request, assessment, form))


def _invitation(_user, *, assessment: Assessment) -> tuple[str, str]:
    """The invitation email: which assessment and where to rate it; nothing else."""
    subject = _("Respite: you are invited to rate a self-assessment")
    body = _(
        "%(org)s invites you to rate “%(title)s” on your own before the team meets. "
        "Nobody sees your ratings until then.\n\nRate it here: %(link)s"
    ) % {
        "org": assessment.organization.name,
        "title": assessment.title,
        "link": site_link("assessments:rate", org=assessment.organization.slug, pk=assessment.pk),
    }
    return subject, body


def _raters_context(request: HttpRequest, assessment: Assessment, form) -> dict:
    rows = [
        {"rater": r, "rated": r.n_rated}
        for r in assessment.raters.select_related("user").annotate(n_rated=Count("ratings"))
    ]
    return {
        "assessment": assessment,
        "spec_name": frameworks.tr(assessment.spec.name, client_language(request)),
        "rows": rows,
        "total": len(assessment.spec.criteria),
        "form": form,
    }


@require_GET
@rater_view
def rate_index(request: StaffRequest) -> HttpResponse:
    """The assessments the signed-in staff member is invited to rate in this organization."""
    lang = client_language(request)
    invitations = [
        {"rater": r, "name": frameworks.tr(r.assessment.spec.name, lang)}
        for r in Rater.objects.filter(
            user=request.user, assessment__organization=request.organization
        ).select_related("assessment")
        if frameworks.get(r.assessment.framework)
    ]
    return render(request, "assessments/rate_index.html", {"invitations": invitations})


@rater_view
def rate(request: StaffRequest, pk) -> HttpResponse:
    """One rater's own ratings. Nobody else's ratings are shown here, so each rates independently."""
    rater = _get_rater_for_user(request, pk)
    lang = client_language(request)
    form = RatingsForm(rater, request.POST or None, lang=lang)
    context = {
        "rater": rater,
        "assessment": rater.assessment,
        "form": form,
        "spec_name": frameworks.tr(rater.assessment.spec.name, lang),
    }
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "assessments/rate.html", context, status=400)
        submit = "submit" in request.POST
        changed = do_record_ratings(rater, form.ratings(), submit=submit)
        AuditLog.record(
            request.user,
            "assessment.rated",
            rater.assessment,
            organization=request.organization,
            criteria=changed,
            submitted=submit,
        )
        if submit:
            messages.success(request, _("Thank you: your ratings are submitted."))
        else:
            messages.success(request, _("Saved %(n)d rating(s).") % {"n": len(changed)})
        return redirect("assessments:rate", org=request.organization.slug, pk=rater.assessment.pk)
    return render(request, "assessments/rate.html", context)


@admin_view
def consensus(request: StaffRequest, pk) -> HttpResponse:
    """For the team's meeting: each criterion's median and spread, the raters' evidence notes
    (without names), and the agreed rating, which becomes the assessment's answer."""
    assessment = _get_assessment_for_admin(request, pk)
    lang = client_language(request)
    by_criterion = spreads(assessment)
    form = AnswersForm(
        assessment,
        request.POST or None,
        lang=lang,
        suggested={cid: sp.suggested for cid, sp in by_criterion.items()},
    )
    if request.method == "POST" and form.is_valid():
        changed = assessment.do_record_answers(request.user, form.changed_answers(), consensus=True)
        messages.success(request, _("Saved %(n)d agreed rating(s).") % {"n": len(changed)})
        return redirect("assessments:consensus", org=request.organization.slug, pk=assessment.pk)
    notes: dict[str, list[str]] = {}
    # Notes ordered by text, not by rater: the meeting discusses evidence, not who wrote it.
    for criterion, note in assessment.ratings.exclude(note="").values_list("criterion", "note"):
        notes.setdefault(criterion, []).append(note)
    levels = [frameworks.tr(lv.label, lang) for lv in assessment.spec.scale]
    for group in form.groups:
        for row in group["rows"]:
            spread = by_criterion[row["criterion"].id]
            row["spread"] = spread
            row["distribution"] = list(zip(levels, spread.counts(), strict=True))
            row["notes"] = sorted(notes.get(row["criterion"].id, []))
    raters_total = assessment.raters.count()
    submitted = assessment.raters.filter(submitted_on__isnull=False).count()
    return render(
        request,
        "assessments/consensus.html",
        {
            "assessment": assessment,
            "form": form,
            "spec_name": frameworks.tr(assessment.spec.name, lang),
            "raters_total": raters_total,
            "submitted": submitted,
            "disagreements": sum(1 for sp in by_criterion.values() if sp.disagree),
        },
        status=400 if request.method == "POST" else 200,
    )
