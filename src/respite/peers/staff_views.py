"""Staff pages: the supporter's inbox and handoff, the program lead's queue, roster, dashboard and
education, and the organization admin's program settings.

Who sees what (see README.md): a request's contact details only ever reach the supporter who
accepted it; supporters it was offered to see the kind of request but no contact; the program lead
sees a reference, its age and state, and the suggested supporters, never contact or department.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respite.core import alerts
from respite.core.models import AuditLog
from respite.core.portal import PortalRequest, StaffRequest, staff_view
from respite.core.roles import StaffRole
from respite.peers import notify, stats
from respite.peers.forms import (
    CloseForm,
    ContactForm,
    DepartmentForm,
    FollowUpForm,
    MaterialForm,
    MessageForm,
    ProgramForm,
    ShiftForm,
    SupporterForm,
)
from respite.peers.models import (
    Department,
    PeerMessage,
    PeerProgram,
    Shift,
    Supporter,
    SupportRequest,
    ThreadError,
    TrainingCompletion,
    TrainingMaterial,
    do_post_message,
    is_lead,
)

supporter_view = staff_view(StaffRole.PEER_SUPPORTER)


# Only the organization's program leads; 404 to everyone else.
lead_view = staff_view(StaffRole.PEER_LEAD, allowed=is_lead)


# --- Supporter ------------------------------------------------------------------------------
def _get_supporter_for_user(request: PortalRequest) -> Supporter:
    return get_object_or_404(Supporter, organization=request.organization, user=request.user)


def _get_request_for_supporter(
    request: PortalRequest, pk, *, assigned_only: bool = True
) -> tuple[SupportRequest, Supporter]:
    """The request if this supporter accepted it (or, when ``assigned_only`` is False, was offered it
    and nobody has accepted yet). 404 for anyone else, lead included: a program lead never sees a
    request's contact details, even one accepted before they became lead."""
    if is_lead(request.user, request.organization):
        raise Http404
    me = _get_supporter_for_user(request)
    req = get_object_or_404(SupportRequest, pk=pk, organization=request.organization)
    if req.assigned_id == me.pk:
        return req, me
    if (
        not assigned_only
        and req.assigned_id is None
        and req.closed_at is None
        and req.offers.filter(pk=me.pk).exists()
    ):
        return req, me
    raise Http404


@supporter_view
def inbox(request: StaffRequest) -> HttpResponse:
    me = Supporter.objects.filter(organization=request.organization, user=request.user).first()
    context: dict[str, Any] = {"me": me, "is_lead": is_lead(request.user, request.organization)}
    if me is not None:
        program = PeerProgram.for_org(request.organization)
        context.update(
            program=program,
            offered=list(SupportRequest.objects.offered_to(me)),
            mine=list(SupportRequest.objects.open().filter(assigned=me)),
            closed=SupportRequest.objects.filter(assigned=me, closed_at__isnull=False).count(),
        )
    return render(request, "peers/staff/inbox.html", context)


@supporter_view
def request_detail(request: StaffRequest, pk) -> HttpResponse:
    """Before accepting: the kind of request only. After: the handoff, with the contact."""
    req, me = _get_request_for_supporter(request, pk, assigned_only=False)
    return _render_request(request, req, me)


def _render_request(request: PortalRequest, req, me, *, status: int = 200, **forms) -> HttpResponse:
    """The request page; a form that failed to validate is passed in to show its errors."""
    program = PeerProgram.for_org(request.organization)
    context = {
        "req": req,
        "me": me,
        "program": program,
        "due_at": req.due_at(program),
        "assigned": req.assigned_id == me.pk,
    }
    if context["assigned"] and req.closed_at is None:
        initial = {
            "follow_up_on": req.follow_up_on,
            "follow_up_done": req.follow_up_done,
            "referral": req.referral or "none",
        }
        context.update(
            contact_form=ContactForm(anonymous=req.anonymous),
            follow_form=FollowUpForm(initial=initial),
            close_form=CloseForm(),
        )
        if req.anonymous:
            context.update(thread=list(req.messages.all()), message_form=MessageForm())
        context.update(forms)
    return render(request, "peers/staff/request.html", context, status=status)


@require_POST
@supporter_view
def accept(request: StaffRequest, pk) -> HttpResponse:
    req, me = _get_request_for_supporter(request, pk, assigned_only=False)
    if req.assigned_id == me.pk:
        return redirect("peers_staff:request", org=request.organization.slug, pk=req.pk)
    if not req.can_take(me) or not req.do_accept(me):
        messages.error(request, _("This request can no longer be accepted by you."))
        return redirect("peers_staff:inbox", org=request.organization.slug)
    AuditLog.record(request.user, "peers.request_accepted", req, organization=request.organization)
    return redirect("peers_staff:request", org=request.organization.slug, pk=req.pk)


@require_POST
@supporter_view
def decline(request: StaffRequest, pk) -> HttpResponse:
    req, me = _get_request_for_supporter(request, pk, assigned_only=False)
    if req.assigned_id == me.pk:
        raise Http404  # accepted requests are handed back by the lead, not declined
    req.offers.remove(me)
    AuditLog.record(request.user, "peers.request_declined", req, organization=request.organization)
    return redirect("peers_staff:inbox", org=request.organization.slug)


def _open_assigned(request: PortalRequest, pk) -> tuple[SupportRequest, Supporter]:
    req, me = _get_request_for_supporter(request, pk)
    if req.closed_at is not None:
        raise Http404
    return req, me


@require_POST
@supporter_view
def record_contact(request: StaffRequest, pk) -> HttpResponse:
    req, me = _open_assigned(request, pk)
    form = ContactForm(request.POST, anonymous=req.anonymous)
    if not form.is_valid():
        return _render_request(request, req, me, status=400, contact_form=form)
    req.contact_method = form.cleaned_data["method"]
    fields = ["contact_method"]
    if req.contacted_at is None:
        req.contacted_at = timezone.now()
        fields.append("contacted_at")
    if req.anonymous:
        req.supporter_message = form.cleaned_data["message"]
        fields.append("supporter_message")
    with transaction.atomic():
        req.save(update_fields=fields)
        AuditLog.record(
            request.user,
            "peers.contact_recorded",
            req,
            organization=request.organization,
            fields=fields,
        )
        if req.anonymous and req.supporter_message:
            home = reverse("peers:index", kwargs={"org": request.organization.slug})
            for code_id in {req.requester_code_id, req.referrer_code_id} - {None}:
                alerts.alert_worker(code_id, "message", home)
    messages.success(request, _("Contact recorded."))
    return redirect("peers_staff:request", org=request.organization.slug, pk=req.pk)


@require_POST
@supporter_view
def message(request: StaffRequest, pk) -> HttpResponse:
    """The assigned supporter answers an anonymous colleague; they are alerted if they opted in."""
    req, me = _open_assigned(request, pk)
    if not req.anonymous:
        raise Http404
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                do_post_message(req, PeerMessage.Author.SUPPORTER, form.cleaned_data["body"])
                # The audit says that a message was sent, never what it said.
                AuditLog.record(
                    request.user, "peers.message_sent", req, organization=request.organization
                )
        except ThreadError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, _("Message sent."))
            return redirect("peers_staff:request", org=request.organization.slug, pk=req.pk)
    return _render_request(request, req, me, status=400, message_form=form)


@require_POST
@supporter_view
def follow_up(request: StaffRequest, pk) -> HttpResponse:
    req, me = _open_assigned(request, pk)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _render_request(request, req, me, status=400, follow_form=form)
    req.follow_up_on = form.cleaned_data["follow_up_on"]
    req.follow_up_done = form.cleaned_data["follow_up_done"]
    req.referral = form.cleaned_data["referral"]
    with transaction.atomic():
        req.save(update_fields=["follow_up_on", "follow_up_done", "referral"])
        AuditLog.record(
            request.user, "peers.follow_up_recorded", req, organization=request.organization
        )
    messages.success(request, _("Follow-up saved."))
    return redirect("peers_staff:request", org=request.organization.slug, pk=req.pk)


@require_POST
@supporter_view
def close(request: StaffRequest, pk) -> HttpResponse:
    req, me = _open_assigned(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm closing."))
        return redirect("peers_staff:request", org=request.organization.slug, pk=req.pk)
    words = req.do_close()
    AuditLog.record(request.user, "peers.request_closed", req, organization=request.organization)
    return render(request, "peers/staff/closed.html", {"req": req, "code": words})


@supporter_view
def availability(request: StaffRequest) -> HttpResponse:
    me = _get_supporter_for_user(request)
    form = ShiftForm(request.POST or None, instance=Shift(supporter=me))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Shift added."))
        return redirect("peers_staff:availability", org=request.organization.slug)
    shifts = me.shifts.filter(end__gte=timezone.now())
    return render(
        request,
        "peers/staff/availability.html",
        {"form": form, "shifts": shifts, "me": me},
        status=400 if form.errors else 200,
    )


@require_POST
@supporter_view
def shift_delete(request: StaffRequest, shift_id: int) -> HttpResponse:
    me = _get_supporter_for_user(request)
    get_object_or_404(Shift, pk=shift_id, supporter=me).delete()
    return redirect("peers_staff:availability", org=request.organization.slug)


@supporter_view
def training(request: StaffRequest) -> HttpResponse:
    me = _get_supporter_for_user(request)
    materials = TrainingMaterial.objects.filter(organization=request.organization, published=True)
    done = set(me.completions.values_list("material_id", flat=True))
    return render(
        request, "peers/staff/training.html", {"materials": materials, "done": done, "me": me}
    )


@supporter_view
def material_detail(request: StaffRequest, material_id: int) -> HttpResponse:
    me = _get_supporter_for_user(request)
    material = get_object_or_404(
        TrainingMaterial, pk=material_id, organization=request.organization, published=True
    )
    done = me.completions.filter(material=material).exists()
    return render(request, "peers/staff/material.html", {"material": material, "done": done})


@require_POST
@supporter_view
def material_complete(request: StaffRequest, material_id: int) -> HttpResponse:
    me = _get_supporter_for_user(request)
    material = get_object_or_404(
        TrainingMaterial, pk=material_id, organization=request.organization, published=True
    )
    TrainingCompletion.objects.get_or_create(material=material, supporter=me)
    messages.success(request, _("Marked as completed."))
    return redirect("peers_staff:training", org=request.organization.slug)


# --- Program lead ---------------------------------------------------------------------------
def _get_request_for_lead(request: PortalRequest, pk) -> SupportRequest:
    return get_object_or_404(SupportRequest, pk=pk, organization=request.organization)


@lead_view
def dashboard(request: StaffRequest) -> HttpResponse:
    figures = stats.dashboard(request.organization, request.GET.get("period", "365"))
    return render(
        request,
        "peers/staff/dashboard.html",
        {
            "figures": figures,
            "workload": stats.workload(request.organization),
            "periods": stats.PERIODS,
        },
    )


@lead_view
def queue(request: StaffRequest) -> HttpResponse:
    program = PeerProgram.for_org(request.organization)
    rows = (
        SupportRequest.objects.open()
        .filter(organization=request.organization)
        .select_related("assigned")
        .prefetch_related("offers")
        .order_by("created_at")
    )
    now = timezone.now()
    return render(
        request,
        "peers/staff/queue.html",
        {
            "rows": [
                {"req": r, "overdue": r.contacted_at is None and now > r.due_at(program)}
                for r in rows
            ],
            "program": program,
        },
    )


@lead_view
def lead_request(request: StaffRequest, pk) -> HttpResponse:
    req = _get_request_for_lead(request, pk)
    program = PeerProgram.for_org(request.organization)
    suggestions = req.suggestions() if req.closed_at is None else []
    return render(
        request,
        "peers/staff/lead_request.html",
        {
            "req": req,
            "program": program,
            "due_at": req.due_at(program),
            "suggestions": suggestions,
            "offered": set(req.offers.values_list("pk", flat=True)),
        },
    )


@require_POST
@lead_view
def lead_offer(request: StaffRequest, pk) -> HttpResponse:
    """Offer the request to one more suggested supporter; handing back an accepted request first
    when the lead reassigns it."""
    req = _get_request_for_lead(request, pk)
    if req.closed_at is not None:
        raise Http404
    try:
        supporter_id = int(request.POST.get("supporter", ""))
    except ValueError:
        supporter_id = 0
    supporter = next((s for s in req.suggestions() if s.pk == supporter_id), None)
    if supporter is None:
        messages.error(
            request,
            _(
                "That supporter cannot take this request (same department, paused, busy or "
                "another language)."
            ),
        )
        return redirect("peers_staff:lead_request", org=request.organization.slug, pk=req.pk)
    with transaction.atomic():
        if req.assigned_id and req.contacted_at is None:
            req.assigned, req.accepted_at = None, None
            req.save(update_fields=["assigned", "accepted_at"])
        req.offers.add(supporter)
        AuditLog.record(
            request.user,
            "peers.request_offered",
            req,
            organization=request.organization,
            supporter=supporter.pk,
        )
        notify.offered(req, [supporter])
    messages.success(request, _("Offered to %s.") % supporter.display_name)
    return redirect("peers_staff:lead_request", org=request.organization.slug, pk=req.pk)


@lead_view
def roster(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "peers/staff/roster.html",
        {
            "workload": stats.workload(request.organization),
            "departments": Department.objects.filter(organization=request.organization),
            "department_form": DepartmentForm(),
        },
    )


@lead_view
def supporter_edit(request: StaffRequest, supporter_id: int | None = None) -> HttpResponse:
    instance = (
        get_object_or_404(Supporter, pk=supporter_id, organization=request.organization)
        if supporter_id
        else None
    )
    form = SupporterForm(request.organization, request.POST or None, instance=instance)
    before = set(instance.departments.values_list("pk", flat=True)) if instance else set()
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            supporter = AuditLog.save_form(
                form, request.user, "peers.supporter_saved", organization=request.organization
            )
            after = set(supporter.departments.values_list("pk", flat=True))
            if before != after:
                # Ids only: which departments a supporter left or joined, and who changed it.
                AuditLog.record(
                    request.user,
                    "peers.supporter_departments_changed",
                    supporter,
                    organization=request.organization,
                    added=sorted(after - before),
                    removed=sorted(before - after),
                )
        messages.success(request, _("Roster saved."))
        return redirect("peers_staff:roster", org=request.organization.slug)
    return render(
        request,
        "peers/staff/supporter_form.html",
        {"form": form, "supporter": instance},
        status=400 if form.errors else 200,
    )


@require_POST
@lead_view
def department_add(request: StaffRequest) -> HttpResponse:
    form = DepartmentForm(request.POST, instance=Department(organization=request.organization))
    if (
        form.is_valid()
        and not Department.objects.filter(
            organization=request.organization, name__iexact=form.cleaned_data["name"]
        ).exists()
    ):
        department = form.save()
        AuditLog.record(
            request.user, "peers.department_added", department, organization=request.organization
        )
        messages.success(request, _("Department added."))
    else:
        messages.error(request, _("Give a new department name."))
    return redirect("peers_staff:roster", org=request.organization.slug)


@lead_view
def materials(request: StaffRequest) -> HttpResponse:
    items = TrainingMaterial.objects.filter(organization=request.organization)
    supporters = list(Supporter.objects.filter(organization=request.organization))
    done = set(
        TrainingCompletion.objects.filter(material__organization=request.organization).values_list(
            "supporter_id", "material_id"
        )
    )
    grid = [
        {"supporter": s, "marks": [(m, (s.pk, m.pk) in done) for m in items if m.published]}
        for s in supporters
    ]
    return render(
        request,
        "peers/staff/materials.html",
        {"materials": items, "grid": grid, "published": [m for m in items if m.published]},
    )


@lead_view
def material_edit(request: StaffRequest, material_id: int | None = None) -> HttpResponse:
    instance = (
        get_object_or_404(TrainingMaterial, pk=material_id, organization=request.organization)
        if material_id
        else TrainingMaterial(organization=request.organization)
    )
    form = MaterialForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        AuditLog.save_form(
            form, request.user, "peers.material_saved", organization=request.organization
        )
        messages.success(request, _("Training material saved."))
        return redirect("peers_staff:materials", org=request.organization.slug)
    return render(
        request,
        "peers/staff/material_form.html",
        {"form": form, "material": instance},
        status=400 if form.errors else 200,
    )


# --- Organization admin ---------------------------------------------------------------------
@staff_view(StaffRole.ORG_ADMIN)
def program_settings(request: StaffRequest) -> HttpResponse:
    program = PeerProgram.for_org(request.organization)
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        AuditLog.save_form(
            form, request.user, "peers.settings_changed", organization=request.organization
        )
        messages.success(request, _("Settings saved."))
        return redirect("peers_staff:settings", org=request.organization.slug)
    return render(
        request, "peers/staff/settings.html", {"form": form}, status=400 if form.errors else 200
    )
