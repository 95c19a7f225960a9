"""Worker search pages (/o/<org>/directory/) and staff curation pages (/staff/o/<org>/directory/)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from markupsafe import escape

from respite.core.lazy import lazy_module
from respite.core.memo import ProcessCache
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
    """What one result card shows (``directory/card.html``)."""

    service: Service
    name: str
    description: str
    featured: bool
    phones: list[Phone]
    schedules: list[Schedule]  # only for services not open 24/7 (the card says "Open 24/7")


# A card shows nothing of the request: only its service (with phones and hours), the portal (its
# slug and name, and whether it recommends the service) and the language. So each card's HTML is
# rendered once per process and directory version and the page joins the strings: no model
# instances, phone or hours queries, or template work for a card already shown. The version is the
# service table's fingerprint (search's ranking index uses it too); phones and hours are written
# with their service (which moves the fingerprint), and the time limit backs that up for any edit
# that is not, as for recommend()'s cache.
CARD_CACHE_SIZE = 4096
CARD_TTL_S = 300
_card_cache: ProcessCache[SafeString] = ProcessCache(CARD_CACHE_SIZE, CARD_TTL_S)


def _card_key(
    sid: str, result: directory_search.SearchResult, lang: str, organization: Organization
) -> tuple:
    return (
        sid,
        result.version,
        lang,
        get_language(),
        organization.pk,
        organization.slug,
        organization.name,
        sid in result.featured_ids,
    )


def _cards(
    result: directory_search.SearchResult, lang: str, organization: Organization
) -> list[SafeString]:
    """The page's cards as HTML, from the cache or rendered for those not in it (with their phones
    and opening hours in two queries for all of them)."""
    keys = {sid: _card_key(sid, result, lang, organization) for sid in result.ids}
    html: dict[str, SafeString] = {}
    for sid, key in keys.items():
        hit = _card_cache.get(key)
        if hit is not None:
            html[sid] = hit
    missing = [sid for sid in result.ids if sid not in html]
    if missing:
        fresh = _render_cards(missing, result, lang, organization)
        for sid, card in fresh.items():
            _card_cache.put(keys[sid], card)
        html.update(fresh)
    # A service deleted since the ranking read its ids has no card.
    return [html[sid] for sid in result.ids if sid in html]


def _render_cards(
    ids: list[str], result: directory_search.SearchResult, lang: str, organization: Organization
) -> dict[str, SafeString]:
    by_id = Service.objects.defer("embedding", "search_text").in_bulk(ids)
    services = [by_id[sid] for sid in ids if sid in by_id]
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
    template = get_template("directory/card.html")
    return {
        s.id: SafeString(
            template.render(
                {
                    "card": Card(
                        s,
                        *s.localized(lang),
                        s.id in result.featured_ids,
                        phones[s.id],
                        schedules[s.id],
                    ),
                    "organization": organization,
                }
            ).rstrip("\n")
        )
        for s in services
    }


# The filters look the same for everyone who chose the same values in the same language, and
# rendering their selects (a widget template per option, a translated label each) was a fifth of
# the page: their HTML is kept per process, by language and chosen values. A filter with an error
# is rendered afresh (the error quotes the value).
FILTERS_CACHE_SIZE = 512
_filters_cache: ProcessCache[SafeString] = ProcessCache(FILTERS_CACHE_SIZE)


def _filters_html(form: SearchForm) -> SafeString:
    names = [n for n in form.fields if n not in ("q", "page")]
    if form.is_bound and any(n in form.errors for n in names):
        return _render_filters(form)
    key = (get_language(), form.is_bound, tuple(form[n].value() for n in names))
    html = _filters_cache.get(key)
    if html is None:
        html = _render_filters(form)
        _filters_cache.put(key, html)
    return html


def _render_filters(form: SearchForm) -> SafeString:
    return SafeString(get_template("directory/filters.html").render({"form": form}).rstrip("\n"))


# The search box: the same markup for everyone but its value, so it is rendered once per language
# with a mark where the value goes, and the value goes in escaped as the form renderer (Jinja2)
# escapes it. A query with an error (over 300 characters) renders its widget, aria-invalid included.
_QUERY_MARK = "respitequerymark"
_query_inputs: dict[tuple[str, bool], str] = {}


def _query_input(form: SearchForm) -> SafeString:
    field = form["q"]
    if form.is_bound and field.errors:
        return SafeString(str(field))
    value = field.value()
    has_value = value not in (None, "")
    key = (get_language(), has_value)
    html = _query_inputs.get(key)
    if html is None:
        html = _query_inputs[key] = str(SearchForm({"q": _QUERY_MARK} if has_value else None)["q"])
    return SafeString(html.replace(_QUERY_MARK, escape(value)) if has_value else html)


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
            load=False,
        )
        # The page's own query without its page number (as QueryDict.urlencode writes it).
        query = urlencode(
            [(k, v) for k, values in request.GET.lists() if k != "page" for v in values]
        )
        context.update(crisis_options=crisis_options(lang) if result.crisis else [])
        context.update(
            result=result,
            page=page,
            query=query,
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
            load=False,
        )
        context.update(
            result=result,
            page=1,
            query="",
            has_next=result.total > PAGE_SIZE,
            has_prev=False,
            cards=_cards(result, lang, request.organization),
        )
    context["filters"] = _filters_html(form)
    context["query_input"] = _query_input(form)
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
