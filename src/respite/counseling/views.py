"""Worker pages: share a screening with a counselor, read and answer replies, book a volunteer therapist.

A worker is known only by the access code held in their session (the same session key the screening
app sets). Every object is loaded through a ``_get_<obj>_for_worker`` helper that 404s anyone else.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respite.core import privacy
from respite.core.models import AccessCode
from respite.core.portal import PortalRequest, client_language, portal_view
from respite.core.resources import crisis_options
from respite.counseling import ics, scheduling
from respite.counseling.forms import (
    BookForm,
    ConfirmDeleteForm,
    FindTherapistForm,
    MessageForm,
    RescheduleForm,
    ShareForm,
)
from respite.counseling.models import (
    LANGUAGES,
    Author,
    Booking,
    BookingStatus,
    Case,
    CounselingSettings,
    EndReason,
    Engagement,
    Message,
    Slot,
    coarse_now,
)
from respite.counseling.states import US_STATES
from respite.screening.forms import CodeForm
from respite.screening.views import get_screening_for_worker


# --- Who is the worker -------------------------------------------------------------------------
def _require_code(request: HttpRequest) -> AccessCode:
    code = privacy.session_code(request)
    if code is None:
        raise Http404
    return code


def _get_case_for_worker(request: PortalRequest, pk) -> Case:
    return get_object_or_404(
        Case, pk=pk, organization=request.organization, access_code=_require_code(request)
    )


def _get_engagement_for_worker(request: PortalRequest, pk) -> Engagement:
    return get_object_or_404(
        Engagement.objects.select_related("clinician"),
        pk=pk,
        organization=request.organization,
        access_code=_require_code(request),
    )


def _get_booking_for_worker(request: PortalRequest, pk) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("engagement", "slot__clinician"),
        pk=pk,
        engagement__organization=request.organization,
        engagement__access_code=_require_code(request),
    )


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- Home and access code ------------------------------------------------------------------------
def _conversations_of(
    request: PortalRequest, code: AccessCode
) -> tuple[QuerySet[Case], QuerySet[Engagement]]:
    """This code's counselor conversations (newest first) and therapist sessions, here."""
    cases = Case.objects.filter(organization=request.organization, access_code=code).order_by(
        "-opened_at"
    )
    engagements = (
        Engagement.objects.filter(organization=request.organization, access_code=code)
        .select_related("clinician")
        .prefetch_related("bookings__slot")
    )
    return cases, engagements


@portal_view
def home(request: PortalRequest) -> HttpResponse:
    """The worker's conversations and sessions, or a code form when no code is in this session."""
    code = privacy.session_code(request)
    if code is None:
        return render(
            request,
            "counseling/code.html",
            {"form": CodeForm(), "next": request.GET.get("next", "")},
        )
    cases, engagements = _conversations_of(request, code)
    target = CounselingSettings.for_org(request.organization).reply_target_hours
    return render(
        request,
        "counseling/home.html",
        {"cases": cases, "engagements": engagements, "reply_target_hours": target},
    )


@require_POST
@portal_view
def code_enter(request: PortalRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    status = privacy.sign_in_with_code(
        request, form, _("We could not find that code. Check the words and try again.")
    )
    if status is None:
        return redirect(
            _safe_next(request, redirect("counseling:home", org=request.organization.slug).url)
        )
    return render(
        request,
        "counseling/code.html",
        {"form": form, "next": request.POST.get("next", "")},
        status=status,
    )


@require_POST
@portal_view
def new_code(request: PortalRequest) -> HttpResponse:
    """A fresh access code for a worker who never screened but wants to book. Shown once."""
    next_url = _safe_next(
        request, redirect("counseling:therapists", org=request.organization.slug).url
    )
    if (
        privacy.session_code(request) is not None
    ):  # one worker, one code: a signed-in worker keeps theirs
        return redirect(next_url)
    words, code = privacy.new_access_code(request.organization, client_language(request))
    request.session.cycle_key()
    privacy.attach_code(request, code.pk)
    return render(
        request,
        "counseling/code_shown.html",
        {"code": words, "next": next_url},
    )


def my_space_section(request: PortalRequest, code: AccessCode) -> dict:
    """This worker's counselor conversations and therapist sessions, for the My space page."""
    cases, engagements = _conversations_of(request, code)
    return {
        "template": "counseling/_my_space.html",
        "cases": list(cases),
        "engagements": list(engagements),
    }


# --- Sharing and the conversation ------------------------------------------------------------------
@require_POST
@portal_view
def share(request: PortalRequest, pk) -> HttpResponse:
    """Share a saved screening with this organization's counselors (worker's choice, once per screening)."""
    screening = get_screening_for_worker(request, pk)
    if not screening.access_code_id:
        messages.error(
            request, _("Save your results under an access code first, so you can read the reply.")
        )
        return redirect("screening:result", org=request.organization.slug, pk=screening.pk)
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Your message is too long."))
        return redirect("screening:result", org=request.organization.slug, pk=screening.pk)
    existing = Case.objects.filter(screening=screening).first()
    if existing is not None:
        return redirect("counseling:case", org=request.organization.slug, pk=existing.pk)
    now = coarse_now()
    with transaction.atomic():
        case = Case.objects.create(
            organization=request.organization,
            access_code_id=screening.access_code_id,
            screening=screening,
            tier=screening.tier,
            # Moderate or high C-SSRS risk reaches the counselor flagged urgent, top of the queue.
            urgent=screening.results.filter(
                instrument="cssrs", band__in=["moderate", "high"]
            ).exists(),
            opened_at=now,
            awaiting_reply_since=now,
        )
        if form.cleaned_data["message"]:
            Message.objects.create(
                case=case, author=Author.WORKER, body=form.cleaned_data["message"], created_at=now
            )
    # Reading replies needs the code in this session; sharing from a saved result implies it.
    privacy.attach_code(request, screening.access_code_id)
    messages.success(request, _("Shared. A counselor will reply here."))
    return redirect("counseling:case", org=request.organization.slug, pk=case.pk)


def _render_case(
    request: PortalRequest, case: Case, form: MessageForm, status: int = 200
) -> HttpResponse:
    lang = client_language(request)
    context = {
        "case": case,
        "thread": case.messages.all(),
        "form": form,
        "delete_form": ConfirmDeleteForm(),
        "reply_target_hours": CounselingSettings.for_org(request.organization).reply_target_hours,
        "crisis_options": crisis_options(lang) if case.tier == "crisis" else [],
    }
    return render(request, "counseling/case.html", context, status=status)


@portal_view
def case_detail(request: PortalRequest, pk) -> HttpResponse:
    return _render_case(request, _get_case_for_worker(request, pk), MessageForm())


@require_POST
@portal_view
def case_reply(request: PortalRequest, pk) -> HttpResponse:
    case = _get_case_for_worker(request, pk)
    if not case.is_open:
        messages.error(
            request, _("This conversation is closed. Share a new check-in to start another.")
        )
        return redirect("counseling:case", org=request.organization.slug, pk=case.pk)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, form, status=400)
    now = coarse_now()
    with transaction.atomic():
        Message.objects.create(
            case=case, author=Author.WORKER, body=form.cleaned_data["body"], created_at=now
        )
        if case.awaiting_reply_since is None:
            case.awaiting_reply_since = now
            case.save(update_fields=["awaiting_reply_since"])
    return redirect("counseling:case", org=request.organization.slug, pk=case.pk)


@require_POST
@portal_view
def case_delete(request: PortalRequest, pk) -> HttpResponse:
    """Withdraw and delete: the case and every message go, for good."""
    case = _get_case_for_worker(request, pk)
    if not ConfirmDeleteForm(request.POST).is_valid():
        messages.error(request, _("Tick the box to confirm."))
        return redirect("counseling:case", org=request.organization.slug, pk=case.pk)
    case.delete()
    messages.success(request, _("The conversation has been deleted."))
    return redirect("counseling:home", org=request.organization.slug)


# --- Volunteer therapists --------------------------------------------------------------------------
def _day_choice(raw: object, days: list[date]) -> date | None:
    """The day asked for if it has open times, else the first day that has any."""
    if isinstance(raw, date) and raw in days:
        return raw
    return days[0] if days else None


def _language_name(code: str) -> str:
    return str(dict(LANGUAGES).get(code, code))


@portal_view
def therapists(request: PortalRequest) -> HttpResponse:
    """Every open time of the matching therapists, one day at a time, in the worker's time zone."""
    org = request.organization
    initial = {"state": org.state or "", "language": client_language(request)}
    form = FindTherapistForm(request.GET or None, initial=initial, default_zone=org.time_zone)
    context: dict = {"form": form, "found": None}
    if form.is_valid():
        data = form.cleaned_data
        code = privacy.session_code(request)
        found = scheduling.match(
            state=data["state"],
            language=data["language"],
            specialty=data["specialty"],
            modality=data["modality"],
            exclude=scheduling.excluded_for(code) if code else set(),
        )
        tz = scheduling.worker_zone(data["tz"], org)
        days = scheduling.days_with_slots(found, tz)
        day = _day_choice(data["day"], days)
        for m in found:
            m.times = scheduling.slots_on(m.slots, day, tz) if day else []
        index = days.index(day) if day in days else 0
        state_name = str(dict(US_STATES).get(data["state"], data["state"]))
        spoken = sorted({lang for m in found for lang in (m.clinician.languages or [])})
        context.update(
            found=found,
            on_day=[m for m in found if m.times],
            days=days,
            day=day,
            previous_day=days[index - 1] if day and index > 0 else None,
            next_day=days[index + 1] if day and index + 1 < len(days) else None,
            tz_name=tz.key,
            query={k: v for k, v in request.GET.items() if k != "day"},
            no_language_match=bool(found) and not any(m.language for m in found),
            wanted_language=_language_name(data["language"]),
            spoken_languages=", ".join(_language_name(c) for c in spoken),
            state_name=state_name,
        )
    return render(
        request,
        "counseling/therapists.html",
        context,
        status=400 if request.GET and not form.is_valid() else 200,
    )


@portal_view
def book(request: PortalRequest, slot: int) -> HttpResponse:
    slot_obj = get_object_or_404(Slot.objects.select_related("clinician"), pk=slot)
    code = privacy.session_code(request)
    if code is None:
        return render(
            request,
            "counseling/code.html",
            {"form": CodeForm(), "next": request.get_full_path(), "booking": True},
        )
    clinician = slot_obj.clinician
    active = Engagement.objects.filter(
        access_code=code, clinician=clinician, status="active"
    ).first()
    initial = {"state": request.GET.get("state") or request.organization.state}
    form = BookForm(request.POST or None, initial=initial, needs_contact=active is None)
    context = {
        "slot": slot_obj,
        "clinician": clinician,
        "form": form,
        "engagement": active,
        "when": scheduling.local_time(
            slot_obj, scheduling.worker_zone(request.GET.get("tz", ""), request.organization).key
        ),
        "tz": request.GET.get("tz", ""),
    }
    if request.method != "POST":
        return render(request, "counseling/book.html", context)
    if not form.is_valid():
        return render(request, "counseling/book.html", context, status=400)
    try:
        booking = scheduling.do_book(
            code=code,
            organization=request.organization,
            slot_id=slot_obj.pk,
            state=form.cleaned_data["state"],
            language=client_language(request),
            contact_method=form.cleaned_data["contact_method"],
            contact=form.cleaned_data["contact"],
        )
    except scheduling.BookingError as err:
        context["conflict"] = err.message
        return render(request, "counseling/book.html", context, status=err.status)
    messages.success(request, _("Booked. Download the invitation for your calendar."))
    return redirect(
        "counseling:engagement", org=request.organization.slug, pk=booking.engagement_id
    )


@portal_view
def engagement(request: PortalRequest, pk) -> HttpResponse:
    eng = _get_engagement_for_worker(request, pk)
    bookings = list(eng.bookings.select_related("slot").order_by("slot__starts_at"))
    tz = scheduling.worker_zone(request.GET.get("tz", ""), request.organization)
    for b in bookings:
        b.local_start = b.slot.starts_at.astimezone(tz)  # type: ignore[attr-defined]  # for the template
    return render(
        request,
        "counseling/engagement.html",
        {
            "engagement": eng,
            "bookings": bookings,
            "tz_name": tz.key,
            "delete_form": ConfirmDeleteForm(),
            "sessions_left": max(0, eng.clinician.session_cap - eng.sessions_used()),
        },
    )


@require_POST
@portal_view
def booking_cancel(request: PortalRequest, pk) -> HttpResponse:
    """Cancel one session, after the worker confirmed: one tap never cancels, and the series with
    this therapist continues unless the worker chooses to end it."""
    booking = _get_booking_for_worker(request, pk)
    choice = request.POST.get("confirm", "")
    if booking.status == BookingStatus.BOOKED and choice not in ("keep", "end"):
        return render(request, "counseling/cancel_confirm.html", {"booking": booking})
    if booking.status == BookingStatus.BOOKED:
        scheduling.do_cancel(booking, keep_series=choice == "keep")
        messages.success(request, _("Session cancelled. The time is free for someone else."))
    return redirect(
        "counseling:engagement", org=request.organization.slug, pk=booking.engagement_id
    )


@portal_view
def booking_move(request: PortalRequest, pk) -> HttpResponse:
    """Move one session to another open time with the same therapist, one day at a time; the series
    and the other sessions stay, and the therapist's calendar gets the new time (SEQUENCE raised)."""
    booking = _get_booking_for_worker(request, pk)
    if booking.status != BookingStatus.BOOKED:
        raise Http404
    clinician = booking.slot.clinician
    tz = scheduling.worker_zone(request.GET.get("tz", ""), request.organization)
    status = 200
    conflict = ""
    if request.method == "POST":
        form = RescheduleForm(request.POST)
        if form.is_valid():
            try:
                scheduling.do_reschedule(booking, form.cleaned_data["slot"])
            except scheduling.BookingError as err:
                conflict, status = err.message, err.status
            else:
                messages.success(
                    request, _("Session moved. The therapist has been sent the new time.")
                )
                return redirect(
                    "counseling:engagement", org=request.organization.slug, pk=booking.engagement_id
                )
        else:
            conflict, status = _("Choose one of the times below."), 400
    slots = list(scheduling.open_slots().filter(clinician=clinician).order_by("starts_at"))
    days = sorted({s.starts_at.astimezone(tz).date() for s in slots})
    try:
        wanted = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        wanted = None
    day = _day_choice(wanted, days)
    index = days.index(day) if day in days else 0
    return render(
        request,
        "counseling/reschedule.html",
        {
            "booking": booking,
            "clinician": clinician,
            "current": booking.slot.starts_at.astimezone(tz),
            "times": scheduling.slots_on(slots, day, tz) if day else [],
            "days": days,
            "day": day,
            "previous_day": days[index - 1] if day and index > 0 else None,
            "next_day": days[index + 1] if day and index + 1 < len(days) else None,
            "tz_name": tz.key,
            "conflict": conflict,
        },
        status=status,
    )


@portal_view
def booking_ics(request: PortalRequest, pk) -> HttpResponse:
    booking = _get_booking_for_worker(request, pk)
    if booking.status != BookingStatus.BOOKED:
        raise Http404
    return ics.ics_response(ics.worker_invite(booking))


@require_POST
@portal_view
def rematch(request: PortalRequest, pk) -> HttpResponse:
    """Ask for a different therapist: sessions with this one are cancelled and they are not offered again."""
    eng = _get_engagement_for_worker(request, pk)
    if eng.is_active:
        scheduling.do_end(eng, EndReason.REMATCH)
    messages.success(request, _("We will show you other therapists."))
    query = urlencode({"state": eng.state, "language": eng.language})
    return redirect(
        f"{reverse('counseling:therapists', kwargs={'org': request.organization.slug})}?{query}"
    )


@require_POST
@portal_view
def engagement_delete(request: PortalRequest, pk) -> HttpResponse:
    """Withdraw and delete: sessions, bookings and contact go; the therapist's times are freed."""
    eng = _get_engagement_for_worker(request, pk)
    if not ConfirmDeleteForm(request.POST).is_valid():
        messages.error(request, _("Tick the box to confirm."))
        return redirect("counseling:engagement", org=request.organization.slug, pk=eng.pk)
    eng.delete()
    messages.success(request, _("Your sessions and contact details have been deleted."))
    return redirect("counseling:home", org=request.organization.slug)
