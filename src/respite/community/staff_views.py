"""Organization admins' view of community gatherings: a list with totals, and take-down.

Admins do not manage gatherings (organizers do, with their private link); they can take one down
when it misuses the organization's portal, and every take-down is audit-logged.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respite.community.models import Event, Note, NoteStatus, Pledge, Rsvp
from respite.core.models import AuditLog
from respite.core.portal import PortalRequest, StaffRequest, staff_view
from respite.core.roles import StaffRole


def _get_event_for_admin(request: PortalRequest, pk) -> Event:
    event = Event.objects.filter(organization=request.organization, pk=pk).first()
    if event is None:
        raise Http404
    return event


def _per_event(qs, value) -> dict:
    return dict(qs.order_by().values("event").annotate(v=value).values_list("event", "v"))


@staff_view(StaffRole.ORG_ADMIN)
def events(request: StaffRequest) -> HttpResponse:
    """Four queries whatever the number of gatherings (one per total, one for the list)."""
    org = request.organization
    attending = _per_event(Rsvp.objects.filter(event__organization=org), Sum("party_size"))
    pledged = _per_event(Pledge.objects.filter(event__organization=org), Sum("amount"))
    pending = _per_event(
        Note.objects.filter(event__organization=org, status=NoteStatus.PENDING), Count("id")
    )
    rows = [
        {
            "event": e,
            "attending": attending.get(e.pk, 0),
            "pledged": pledged.get(e.pk, 0),
            "pending": pending.get(e.pk, 0),
        }
        for e in Event.objects.filter(organization=org).order_by("-starts_at")
    ]
    return render(request, "community/staff_events.html", {"rows": rows})


@staff_view(StaffRole.ORG_ADMIN)
@require_POST
def set_removed(request: StaffRequest, pk) -> HttpResponse:
    event = _get_event_for_admin(request, pk)
    event.removed = request.POST.get("removed") == "yes"
    with transaction.atomic():
        event.save(update_fields=["removed"])
        AuditLog.record(
            request.user,
            "community.event_removed" if event.removed else "community.event_restored",
            event,
            organization=request.organization,
        )
    messages.success(
        request, _("Gathering taken down.") if event.removed else _("Gathering restored.")
    )
    return redirect("community_staff:events", org=request.organization.slug)
