"""Volunteer-therapist pages (their profile, availability and schedule) and the platform admin's
licence verification. Clinicians volunteer across organizations, so these pages take no org."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respite.core.models import AuditLog
from respite.core.portal import AccountRequest, platform_admin_view
from respite.counseling import ics, notify, scheduling
from respite.counseling.forms import AvailabilityForm, ClinicianForm, CompleteForm, ExceptionForm
from respite.counseling.models import (
    AvailabilityException,
    Booking,
    BookingStatus,
    Clinician,
    WeeklyAvailability,
)


class ClinicianRequest(AccountRequest):
    """A request ``clinician_object_view`` let through: the signed-in volunteer's own profile."""

    clinician: Clinician


def _clinician_for(request: HttpRequest) -> Clinician | None:
    return (
        Clinician.objects.filter(user=request.user).first()
        if request.user.is_authenticated
        else None
    )


def clinician_object_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only a signed-in clinician; everyone else (signed out included) gets 404."""

    @wraps(view)
    def wrapper(request: ClinicianRequest, *args, **kwargs) -> HttpResponse:
        clinician = _clinician_for(request)
        if clinician is None or not request.user.is_active:
            raise Http404
        request.clinician = clinician
        return view(request, *args, **kwargs)

    return wrapper


def _get_booking_for_clinician(request: ClinicianRequest, pk) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("engagement", "slot"),
        pk=pk,
        slot__clinician=request.clinician,
    )


@login_required
def schedule(request: HttpRequest) -> HttpResponse:
    clinician = _clinician_for(request)
    if clinician is None:
        return redirect("volunteers:profile")
    scheduling.generate_slots(clinician)
    now = timezone.now()
    upcoming = (
        Booking.objects.filter(slot__clinician=clinician, status=BookingStatus.BOOKED)
        .select_related("slot", "engagement")
        .order_by("slot__starts_at")
    )
    open_count = scheduling.open_slots(now).filter(clinician=clinician).count()
    return render(
        request,
        "counseling/volunteer/schedule.html",
        {
            "clinician": clinician,
            "upcoming": upcoming,
            "open_count": open_count,
            "complete_form": CompleteForm(),
            "availability": clinician.availability.all(),
            "exceptions": clinician.exceptions.filter(date__gte=now.date()),
            "availability_form": AvailabilityForm(),
            "exception_form": ExceptionForm(),
        },
    )


def _may_volunteer(request: HttpRequest) -> bool:
    """A volunteer therapist's profile is written by someone an organization admin invited or approved
    as one (the role), or who already has a profile; nobody else signs themselves up."""
    from respite.core.models import Membership
    from respite.core.roles import StaffRole

    return (
        Membership.objects.for_user(request.user)
        .filter(role=StaffRole.VOLUNTEER_THERAPIST)
        .exists()
    )


@login_required
def profile(request: AccountRequest) -> HttpResponse:
    """Write or edit the volunteer profile. Licence changes go back to a platform admin."""
    clinician = _clinician_for(request)
    if clinician is None and not _may_volunteer(request):
        raise Http404
    form = ClinicianForm(request.POST or None, instance=clinician)
    if request.method == "POST" and form.is_valid():

        def owned(obj: Clinician) -> None:
            obj.user = request.user
            if clinician is not None and set(form.changed_data) & set(ClinicianForm.REVERIFY):
                obj.verified_at, obj.verified_by = None, None

        obj = AuditLog.save_form(form, request.user, "counseling.clinician_saved", prepare=owned)
        messages.success(
            request,
            _("Profile saved.")
            if obj.verified_at
            else _(
                "Profile saved. A platform admin will verify your licence before you are listed."
            ),
        )
        return redirect("volunteers:schedule")
    return render(
        request,
        "counseling/volunteer/profile.html",
        {"form": form, "clinician": clinician},
        status=400 if form.errors else 200,
    )


@require_POST
@clinician_object_view
def availability_add(request: ClinicianRequest) -> HttpResponse:
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        form.instance.clinician = request.clinician
        form.save()
        scheduling.generate_slots(request.clinician)
        messages.success(request, _("Availability added."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("volunteers:schedule")


@require_POST
@clinician_object_view
def availability_delete(request: ClinicianRequest, pk: int) -> HttpResponse:
    get_object_or_404(WeeklyAvailability, pk=pk, clinician=request.clinician).delete()
    scheduling.generate_slots(request.clinician)
    return redirect("volunteers:schedule")


@require_POST
@clinician_object_view
def exception_add(request: ClinicianRequest) -> HttpResponse:
    form = ExceptionForm(request.POST)
    if form.is_valid():
        form.instance.clinician = request.clinician
        form.save()
        scheduling.generate_slots(request.clinician)
        messages.success(
            request, _("Time off added. Sessions already booked are kept: decline them if needed.")
        )
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("volunteers:schedule")


@require_POST
@clinician_object_view
def exception_delete(request: ClinicianRequest, pk: int) -> HttpResponse:
    get_object_or_404(AvailabilityException, pk=pk, clinician=request.clinician).delete()
    scheduling.generate_slots(request.clinician)
    return redirect("volunteers:schedule")


@require_POST
@clinician_object_view
def booking_decline(request: ClinicianRequest, pk) -> HttpResponse:
    booking = _get_booking_for_clinician(request, pk)
    if booking.status == BookingStatus.BOOKED:
        scheduling.do_decline(booking)
        messages.success(request, _("Session declined. The worker will see it on their page."))
    return redirect("volunteers:schedule")


@require_POST
@clinician_object_view
def booking_complete(request: ClinicianRequest, pk) -> HttpResponse:
    booking = _get_booking_for_clinician(request, pk)
    form = CompleteForm(request.POST)
    if booking.status == BookingStatus.BOOKED and form.is_valid():
        scheduling.do_complete(booking, last=form.cleaned_data["last"])
        messages.success(request, _("Session marked done."))
    return redirect("volunteers:schedule")


@clinician_object_view
def booking_ics(request: ClinicianRequest, pk) -> HttpResponse:
    booking = _get_booking_for_clinician(request, pk)
    if booking.status != BookingStatus.BOOKED:
        raise Http404
    return ics.ics_response(ics.clinician_invite(booking))


# --- Platform admin: licence verification ---------------------------------------------------------
@platform_admin_view
def review(request: HttpRequest) -> HttpResponse:
    clinicians = Clinician.objects.select_related("verified_by").order_by(
        "verified_at", "display_name"
    )
    return render(request, "counseling/volunteer/review.html", {"clinicians": clinicians})


@require_POST
@platform_admin_view
def verify(request: AccountRequest, pk: int) -> HttpResponse:
    """Record that a platform admin checked the licence with the state board: who and when."""
    clinician = get_object_or_404(Clinician, pk=pk)
    revoke = request.POST.get("revoke") == "1"
    if clinician.user_id == request.user.pk:
        messages.error(request, _("Another platform admin must verify your own licence."))
        return redirect("volunteers:review")
    with transaction.atomic():
        clinician.verified_at = None if revoke else timezone.now()
        clinician.verified_by = None if revoke else request.user
        clinician.save(update_fields=["verified_at", "verified_by"])
        AuditLog.record(
            request.user,
            "counseling.clinician_unverified" if revoke else "counseling.clinician_verified",
            clinician,
        )
    messages.success(
        request,
        _("Verification removed.") if revoke else _("Licence verified. The clinician is listed."),
    )
    return redirect("volunteers:review")


# --- Private calendar feed -------------------------------------------------------------------------
@clinician_object_view
def calendar_feed_manage(request: ClinicianRequest) -> HttpResponse:
    """Create (or replace) the private feed link, or revoke it. The link is shown once."""
    clinician = request.clinician
    link = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            notify.revoke_feed(clinician)
            AuditLog.record(request.user, "counseling.calendar_feed_revoked", clinician)
            messages.success(request, _("The calendar link no longer works."))
            return redirect("volunteers:calendar_feed_manage")
        token = notify.new_feed_token(clinician)
        AuditLog.record(request.user, "counseling.calendar_feed_created", clinician)
        link = request.build_absolute_uri(
            reverse("volunteers:calendar_feed", kwargs={"token": token})
        )
    return render(
        request, "counseling/volunteer/calendar_feed.html", {"clinician": clinician, "link": link}
    )


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """What a calendar app fetches: no session, the unguessable link is the key. Unknown and revoked
    links get the same 404."""
    clinician = notify.clinician_for_feed(token)
    if clinician is None:
        raise Http404
    response = HttpResponse(
        notify.feed_calendar(clinician), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="respite-sessions.ics"'
    return response
