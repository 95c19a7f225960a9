"""Staff pages of the credentialing-question auditor (organization admins only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from respite.core.models import AuditLog
from respite.core.portal import PortalRequest, StaffRequest, client_language, staff_view
from respite.core.roles import StaffRole
from respite.credentialing import auditor, readers, redline, report
from respite.credentialing.forms import AuditForm, ChecklistForm
from respite.credentialing.models import CHECKLIST, Audit, Label


def _get_audit_for_admin(request: PortalRequest, pk: int) -> Audit:
    """The audit, if it belongs to the organization whose admin is asking (404 otherwise)."""
    return get_object_or_404(Audit, pk=pk, organization=request.organization)


def location_text(location: dict) -> str:
    names = {
        "page": _("page %(n)s"),
        "paragraph": _("paragraph %(n)s"),
        "line": _("line %(n)s"),
        "table": _("table %(n)s"),
        "row": _("row %(n)s"),
        "cell": _("cell %(n)s"),
    }
    # A fixed order: PostgreSQL's jsonb does not keep the keys in the order they were written.
    return ", ".join(
        label % {"n": location[key]} for key, label in names.items() if key in location
    )


def _context(request: HttpRequest, audit: Audit) -> dict:
    lang = client_language(request)
    rows: list[dict[str, Any]] = [
        {
            "q": q,
            "location": location_text(q.location),
            "reasons": q.reason_texts(lang),
            "suggestion": q.suggestion(lang),
        }
        for q in audit.questions.all()
    ]
    counts = {label: sum(1 for r in rows if r["q"].label == label) for label in Label.values}
    checklist = audit.checklist()
    return {
        "audit": audit,
        "rows": rows,
        "counts": counts,
        "checklist": checklist,
        "remaining": [item for item in checklist if not item["done"]],
        "profession": auditor.profession_name(audit.profession, lang),
        "recommended": auditor.suggestion(audit.profession, lang),
    }


@require_GET
@staff_view(StaffRole.ORG_ADMIN)
def audit_list(request: StaffRequest) -> HttpResponse:
    """Every saved audit, newest first, with its counts and checklist progress over time."""
    audits = (
        Audit.objects.for_organization(request.organization)
        .with_counts()
        .order_by("-created_at", "-pk")[:100]
    )
    return render(
        request, "credentialing/audit_list.html", {"audits": audits, "total": len(CHECKLIST)}
    )


@require_http_methods(["GET", "POST"])
@staff_view(StaffRole.ORG_ADMIN)
def audit_new(request: StaffRequest) -> HttpResponse:
    form = AuditForm(request.POST, request.FILES) if request.method == "POST" else AuditForm()
    if request.method == "POST":
        if form.is_valid():
            audit = Audit.do_create(
                organization=request.organization,
                title=form.cleaned_data["title"],
                form=form.cleaned_data["form"],
                user=request.user,
                profession=form.cleaned_data.get("profession") or None,
                findings=form.cleaned_data["findings"],
            )
            AuditLog.record(
                request.user,
                "credentialing.audit_created",
                audit,
                organization=request.organization,
                questions=audit.questions.count(),
                source=audit.source_kind,
            )
            return redirect(audit)
        return render(request, "credentialing/audit_new.html", {"form": form}, status=400)
    return render(request, "credentialing/audit_new.html", {"form": form})


@require_GET
@staff_view(StaffRole.ORG_ADMIN)
def audit_detail(request: StaffRequest, pk: int) -> HttpResponse:
    audit = _get_audit_for_admin(request, pk)
    return render(
        request,
        "credentialing/audit_detail.html",
        {**_context(request, audit), "checklist_form": ChecklistForm(instance=audit)},
    )


@require_POST
@staff_view(StaffRole.ORG_ADMIN)
def audit_checklist(request: StaffRequest, pk: int) -> HttpResponse:
    audit = _get_audit_for_admin(request, pk)
    form = ChecklistForm(request.POST, instance=audit)
    if form.is_valid() and form.has_changed():
        AuditLog.save_form(
            form, request.user, "credentialing.checklist_updated", organization=request.organization
        )
        messages.success(request, _("Checklist saved."))
    return redirect(audit)


@require_GET
@staff_view(StaffRole.ORG_ADMIN)
def audit_report(request: StaffRequest, pk: int) -> HttpResponse:
    audit = _get_audit_for_admin(request, pk)
    pdf = report.render_pdf({**_context(request, audit), "generated": timezone.now()}, request)
    AuditLog.record(
        request.user, "credentialing.report_downloaded", audit, organization=request.organization
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credentialing-audit-{audit.pk}.pdf"'
    return response


def _redline(request: HttpRequest, audit: Audit) -> redline.Redline:
    return redline.build(
        kind=audit.source_kind,
        data=bytes(audit.source_docx) if audit.source_docx else None,
        lines=audit.source_lines,
        questions=list(audit.questions.all()),
        lang=client_language(request),
        location_text=location_text,
    )


def _redline_or_gone(request: HttpRequest, audit: Audit) -> redline.Redline | HttpResponse:
    if not (audit.source_docx or audit.source_lines):
        # Audits saved before the form itself was kept: nothing to redline.
        return render(
            request,
            "credentialing/redline_unavailable.html",
            {"audit": audit},
            status=410,
        )
    try:
        return _redline(request, audit)
    except readers.InputError as err:
        return render(
            request,
            "credentialing/redline_unavailable.html",
            {"audit": audit, "error": str(err)},
            status=422,
        )


@require_GET
@staff_view(StaffRole.ORG_ADMIN)
def audit_redline_docx(request: StaffRequest, pk: int) -> HttpResponse:
    """The form with each intrusive question struck through and the suggested wording inserted."""
    audit = _get_audit_for_admin(request, pk)
    result = _redline_or_gone(request, audit)
    if isinstance(result, HttpResponse):
        return result
    AuditLog.record(
        request.user,
        "credentialing.redline_downloaded",
        audit,
        organization=request.organization,
        format="docx",
    )
    response = HttpResponse(
        result.docx,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="credentialing-redline-{audit.pk}.docx"'
    )
    return response


@require_GET
@staff_view(StaffRole.ORG_ADMIN)
def audit_redline_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    audit = _get_audit_for_admin(request, pk)
    result = _redline_or_gone(request, audit)
    if isinstance(result, HttpResponse):
        return result
    pdf = redline.render_pdf(
        {
            "audit": audit,
            "blocks": result.blocks,
            "changes": result.changes,
            "generated": timezone.now(),
            "profession": auditor.profession_name(audit.profession, client_language(request)),
        },
        request,
    )
    AuditLog.record(
        request.user,
        "credentialing.redline_downloaded",
        audit,
        organization=request.organization,
        format="pdf",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credentialing-redline-{audit.pk}.pdf"'
    return response
