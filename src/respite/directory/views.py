"""Worker search pages (/o/<org>/directory/) and staff curation pages (/staff/o/<org>/directory/)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from respite.core.lazy import lazy_module
from respite.core.models import AuditLog, Organization
from respite.core.portal import (
    PortalRequest,
    StaffRequest,
    client_language,
    portal_view,
    staff_view,
)
from respite.core.resources import crisis_options
from respite.core.roles import StaffRole
from respite.directory.forms import CurationForm, LocalServiceForm, SearchForm
from respite.directory.models import Curation, Phone, Provider, Schedule, Service

if TYPE_CHECKING:
    from respite.directory import search as directory_search
else:  # numpy-based: imported on the first search, not with the URLconf
    directory_search = lazy_module("respite.directory.search")

PAGE_SIZE = 10


def _get_service_for_worker(request: PortalRequest, pk: str) -> Service:
    """By Respite id (the slug links use) or by the UUID HSDS exports give it."""
    visible = Service.objects.visible_to(request.organization)
    service = visible.filter(pk=pk).first()
    if service is None:
        from respite.directory.hsds import resolve

        service = visible.filter(pk=resolve("service", pk, visible)).first()
    if service is None or (
        service.portal_service
        and service.portal_service not in directory_search.offered_kinds(request.organization)
    ):
        raise Http404
    return service


def _get_shared_service_for_admin(request: HttpRequest, pk: str) -> Service:
    service = Service.objects.filter(pk=pk, portal__isnull=True).first()
    if service is None:
        raise Http404
    return service


def _get_local_service_for_admin(request: PortalRequest, pk: str) -> Service:
    service = Service.objects.filter(pk=pk, portal=request.organization).first()
    if service is None:
        raise Http404
    return service


@dataclass(frozen=True)
class Card:
    """What one result card shows (``directory/search.html``)."""

    service: Service
    name: str
    description: str
    featured: bool
    phones: list[Phone]
    schedules: list[Schedule]  # only for services not open 24/7 (the card says "Open 24/7")


def _cards(
    result: directory_search.SearchResult, lang: str, organization: Organization
) -> list[Card]:
    """The page's cards, with their phones and opening hours in two queries for the whole page."""
    services = result.services
    # A local service says "Last verified ... by <this portal>": the portal is at hand, no query.
    for s in services:
        if s.portal_id == organization.pk:
            s.portal = organization
    phones: dict[str, list[Phone]] = defaultdict(list)
    schedules: dict[str, list[Schedule]] = defaultdict(list)
    if services:
        for phone in Phone.objects.filter(service_id__in=[s.id for s in services]):
            phones[phone.service_id].append(phone)
        timed = [s.id for s in services if not s.available_24_7]
        if timed:
            for schedule in Schedule.objects.filter(service_id__in=timed):
                schedules[schedule.service_id].append(schedule)
    return [
        Card(s, *s.localized(lang), s.id in result.featured_ids, phones[s.id], schedules[s.id])
        for s in services
    ]


@require_GET
@portal_view
def search_page(request: PortalRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    lang = client_language(request)
    context: dict[str, Any] = {"form": form, "lang": lang, "result": None}
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = directory_search.Filters(
            role_group=d["role"],
            state=(d["state"] or "").upper(),
            language=d["language"],
            cost=d["cost"],
            confidentiality=d["confidentiality"],
            channel=d["channel"],
            audience=d["audience"],
            open_now=d["open_now"],
            available_24_7=d["available_24_7"],
            worker_view=True,
        )
        page = d.get("page") or 1
        result = directory_search.search(
            d["q"],
            organization=request.organization,
            filters=filters,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            prefetch=False,
        )
        query = request.GET.copy()
        query.pop("page", None)
        context.update(crisis_options=crisis_options(lang) if result.crisis else [])
        context.update(
            result=result,
            page=page,
            query=query.urlencode(),
            has_next=page * PAGE_SIZE < result.total,
            has_prev=page > 1,
            cards=_cards(result, lang, request.organization),
        )
    elif not form.is_bound:
        result = directory_search.search(
            "",
            organization=request.organization,
            filters=directory_search.Filters(worker_view=True),
            limit=PAGE_SIZE,
            prefetch=False,
        )
        context.update(
            result=result,
            page=1,
            query="",
            has_next=result.total > PAGE_SIZE,
            has_prev=False,
            cards=_cards(result, lang, request.organization),
        )
    if form.is_bound:
        chosen = [n for n in form.fields if n not in ("q", "page") and form.data.get(n)]
        context["active_filters"] = len(chosen)
        context["filter_errors"] = any(n in form.errors for n in form.fields if n != "q")
    if context["result"] is not None and context["result"].weak:
        context.update(_talk_links(request.organization.slug))
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "directory/search.html", context, status=status)


def _talk_links(org_slug: str) -> dict[str, str]:
    """Where a worker can talk to a person in this portal (the peers and counseling apps, if installed)."""
    links = {}
    for key, name in (("peers_url", "peers:index"), ("counseling_url", "counseling:home")):
        try:
            links[key] = reverse(name, kwargs={"org": org_slug})
        except NoReverseMatch:
            links[key] = ""
    return links


@require_GET
@portal_view
def service_detail(request: PortalRequest, pk: str) -> HttpResponse:
    service = _get_service_for_worker(request, pk)
    lang = client_language(request)
    name, description = service.localized(lang)
    return render(
        request,
        "directory/service.html",
        {"service": service, "name": name, "description": description},
    )


# --- staff curation ------------------------------------------------------------------------------


@staff_view(StaffRole.ORG_ADMIN)
def curate(request: StaffRequest) -> HttpResponse:
    org = request.organization
    curations = {c.service_id: c for c in Curation.objects.filter(organization=org)}
    shared = Paginator(
        Service.objects.filter(portal__isnull=True).select_related("provider"), 50
    ).get_page(request.GET.get("page"))
    local = Service.objects.filter(portal=org)
    rows = [(s, curations.get(s.id)) for s in shared]
    return render(request, "directory/curate.html", {"rows": rows, "page": shared, "local": local})


@require_POST
@staff_view(StaffRole.ORG_ADMIN)
def curate_action(request: StaffRequest, pk: str) -> HttpResponse:
    org = request.organization
    service = _get_shared_service_for_admin(request, pk)
    form = CurationForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Unknown action."), status=400)
    action = form.cleaned_data["action"]
    with transaction.atomic():
        curation, _created = Curation.objects.get_or_create(organization=org, service=service)
        curation.hidden = {"hide": True, "show": False}.get(action, curation.hidden)
        curation.featured = {"feature": True, "unfeature": False}.get(action, curation.featured)
        curation.save(update_fields=["hidden", "featured"])
        AuditLog.record(request.user, f"directory.service_{action}", service, organization=org)
    messages.success(request, _("Saved."))
    return redirect("directory_staff:curate", org=org.slug)


def _save_local(request: PortalRequest, form: LocalServiceForm, action: str) -> Service:
    org = request.organization

    def local(service: Service) -> None:
        if service.portal_id is None:
            provider, _created = Provider.objects.get_or_create(
                id=f"portal-{org.pk}",
                defaults={
                    "name": org.name,
                    "portal": org,
                    "description": _("Services offered by %s") % org.name,
                },
            )
            service.provider = provider
            service.portal = org
            service.area_scope = "local"
            service.area_states = [org.state] if org.state else []
            service.area_name = org.name
        # Workers see "Last verified <date> by <organization>", never a staff member's name.
        service.assured_by = org.name
        service.embedding = None  # recomputed on the next search

    with transaction.atomic():
        service = AuditLog.save_form(form, request.user, action, organization=org, prepare=local)
        service.phones.all().delete()
        if form.cleaned_data.get("phone"):
            Phone.objects.create(service=service, number=form.cleaned_data["phone"], type="voice")
    return service


@staff_view(StaffRole.ORG_ADMIN)
def local_add(request: StaffRequest) -> HttpResponse:
    form = LocalServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _save_local(request, form, "directory.local_service_added")
        messages.success(request, _("Service added."))
        return redirect("directory_staff:curate", org=request.organization.slug)
    return render(
        request, "directory/local_form.html", {"form": form}, status=400 if form.errors else 200
    )


@staff_view(StaffRole.ORG_ADMIN)
def local_edit(request: StaffRequest, pk: str) -> HttpResponse:
    service = _get_local_service_for_admin(request, pk)
    phone = service.phones.first()
    form = LocalServiceForm(
        request.POST or None, instance=service, initial={"phone": phone.number if phone else ""}
    )
    if request.method == "POST" and form.is_valid():
        _save_local(request, form, "directory.local_service_changed")
        messages.success(request, _("Service saved."))
        return redirect("directory_staff:curate", org=request.organization.slug)
    return render(
        request,
        "directory/local_form.html",
        {"form": form, "service": service},
        status=400 if form.errors else 200,
    )


@require_POST
@staff_view(StaffRole.ORG_ADMIN)
def local_delete(request: StaffRequest, pk: str) -> HttpResponse:
    service = _get_local_service_for_admin(request, pk)
    with transaction.atomic():
        AuditLog.record(
            request.user,
            "directory.local_service_deleted",
            service,
            organization=request.organization,
        )
        service.delete()
    messages.success(request, _("Service removed."))
    return redirect("directory_staff:curate", org=request.organization.slug)
