"""The HSDS 3.0 API reference (schema/openapi.json, tag v3.0) under /api/v1/: ``/`` (version, profile,
openapi_url), ``/services``, ``/services/{id}``, ``/organizations``, ``/organizations/{id}``,
``/taxonomies``, ``/taxonomies/{id}``, ``/taxonomy_terms``, ``/taxonomy_terms/{id}``,
``/service_at_locations`` and ``/service_at_locations/{id}``, with the standard ``search``,
``organization_id``, ``modified_after``, ``page`` and ``per_page`` parameters where the reference lists them.

Paginated like the HSDS 3 API (``total_items``, ``total_pages``, ``page_number``, ``size``,
``first_page``, ``last_page``, ``empty``, ``contents``). ``organization`` (a portal slug) applies that
portal's curation: its hidden services are left out and its local services included.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from django.db.models import Q, prefetch_related_objects
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from respite.core import pagination
from respite.core.apischema import ErrorOut
from respite.core.lazy import lazy_module
from respite.core.models import Organization
from respite.core.resources import crisis_options
from respite.core.roles import RoleGroup
from respite.directory.hsds import (
    FACETS,
    HSDS_VERSION,
    PREFETCH,
    TAXONOMY,
    _attr,
    _location,
    hsds_id,
    provider_to_hsds,
    resolve,
    service_to_hsds,
)
from respite.directory.models import (
    Audience,
    Channel,
    Confidentiality,
    Cost,
    Location,
    Provider,
    Service,
    Tier,
)

if TYPE_CHECKING:
    from respite.directory import search as directory_search
else:  # numpy-based: imported on the first search, not with the URLconf
    directory_search = lazy_module("respite.directory.search")

router = Router(tags=["directory"])


class ServiceQuery(Schema):
    q: str = Field("", max_length=300, description="Keyword and semantic search text")
    search: str = Field("", max_length=300, description="HSDS API name for q")
    organization_id: str = Field(
        "", max_length=64, pattern=r"^[-a-zA-Z0-9_]*$", description="HSDS organization id"
    )
    modified_after: datetime | None = Field(None, description="Only services changed since")
    organization: str = Field(
        "", max_length=60, pattern=r"^[-a-zA-Z0-9_]*$", description="Portal slug"
    )
    role: Literal[tuple(RoleGroup.values)] | Literal[""] = ""  # type: ignore[valid-type]
    state: str = Field("", pattern=r"^([A-Za-z]{2})?$")
    language: Literal["", "en", "es"] = ""
    cost: Literal[tuple(Cost.values)] | Literal[""] = ""  # type: ignore[valid-type]
    confidentiality: Literal[tuple(Confidentiality.values)] | Literal[""] = ""  # type: ignore[valid-type]
    channel: Literal[tuple(Channel.values)] | Literal[""] = ""  # type: ignore[valid-type]
    audience: Literal[tuple(Audience.values)] | Literal[""] = ""  # type: ignore[valid-type]
    tier: Literal[tuple(Tier.values)] | Literal[""] = ""  # type: ignore[valid-type]
    open_now: bool = False
    available_24_7: bool = False
    page: int = Field(1, ge=1, le=10000)
    per_page: int = Field(20, ge=1, le=100)


class PageOut(pagination.PageFacts):
    search_mode: str = ""
    notice: str = ""
    crisis: bool = False
    no_good_match: bool = False
    crisis_options: list[dict[str, Any]] = []
    contents: list[dict[str, Any]]


HSDS_PROFILE = "https://github.com/openreferral/specification/tree/v3.0"


class RootOut(Schema):
    version: str
    profile: str
    openapi_url: str


@router.get("/", response=RootOut)
def api_root(request: HttpRequest) -> dict[str, str]:
    """HSDS API meta information: the HSDS version, profile and this API's OpenAPI description."""
    return {
        "version": HSDS_VERSION,
        "profile": HSDS_PROFILE,
        "openapi_url": request.build_absolute_uri(reverse("api-v1:openapi-json")),
    }


def _portal(slug: str) -> Organization | None:
    return get_object_or_404(Organization, slug=slug) if slug else None


def _page(items: list, total: int, page: int, per_page: int, **extra) -> dict[str, Any]:
    return pagination.page(items, total, page, per_page, **extra)


@router.get("/services", response={200: PageOut, 404: ErrorOut})
def list_services(request: HttpRequest, params: Query[ServiceQuery]):
    portal = _portal(params.organization)
    text = params.q or params.search
    provider = _provider_key(params.organization_id)
    modified_after = params.modified_after
    if modified_after is not None and modified_after.tzinfo is None:
        modified_after = modified_after.replace(tzinfo=UTC)
    filters = directory_search.Filters(
        role_group=params.role,
        state=params.state.upper(),
        language=params.language,
        cost=params.cost,
        confidentiality=params.confidentiality,
        channel=params.channel,
        audience=params.audience,
        tier=params.tier,
        open_now=params.open_now,
        available_24_7=params.available_24_7,
        # A search is a worker's question: leader-only material only when asked for. A plain
        # listing (no q) stays the whole catalogue, as an HSDS client expects.
        worker_view=bool(text.strip()),
        provider=provider,
        modified_after=modified_after,
    )
    result = directory_search.search(
        text,
        organization=portal,
        filters=filters,
        limit=params.per_page,
        offset=(params.page - 1) * params.per_page,
    )
    prefetch_related_objects(
        result.services, *(p for p in PREFETCH if p not in ("phones", "schedules"))
    )
    items = [service_to_hsds(s) for s in result.services]
    return _page(
        items,
        result.total,
        params.page,
        params.per_page,
        search_mode=result.mode,
        notice=result.notice,
        crisis=result.crisis,
        no_good_match=result.weak,
        # A client that shows the results must be able to show the crisis options first.
        crisis_options=crisis_options(params.language or None) if result.crisis else [],
    )


@router.get("/services/{service_id}", response={200: dict[str, Any], 404: ErrorOut})
def get_service(request: HttpRequest, service_id: str, organization: str = ""):
    portal = _portal(organization)
    visible = Service.objects.visible_to(portal).select_related("provider", "portal")
    # Exports name services by UUID (derived from the slug): accept that id too.
    service = get_object_or_404(
        visible.prefetch_related(*PREFETCH), pk=resolve("service", service_id, visible)
    )
    if service.portal_service and service.portal_service not in directory_search.offered_kinds(
        portal
    ):
        raise Http404  # the portal's own service exists only where the portal offers it now
    data = service_to_hsds(service)
    data["organization"] = provider_to_hsds(service.provider)
    return data


class OrgQuery(Schema):
    search: str = Field("", max_length=300, description="Words in the name or description")
    organization: str = Field("", max_length=60, pattern=r"^[-a-zA-Z0-9_]*$")
    page: int = Field(1, ge=1, le=10000)
    per_page: int = Field(20, ge=1, le=100)


def _words(text: str, *fields: str) -> Q:
    """Every word of ``text`` in one of ``fields`` (case-insensitive)."""
    q = Q()
    for word in text.split()[:10]:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        q &= any_field
    return q


@router.get("/organizations", response={200: PageOut, 404: ErrorOut})
def list_organizations(request: HttpRequest, params: Query[OrgQuery]):
    portal = _portal(params.organization)
    visible = Service.objects.visible_to(portal).values("provider_id")
    qs = Provider.objects.filter(id__in=visible).select_related("portal").order_by("name", "id")
    if params.search.strip():
        qs = qs.filter(_words(params.search, "name", "alternate_name", "description"))
    total = qs.count()
    start = (params.page - 1) * params.per_page
    items = [provider_to_hsds(p) for p in qs[start : start + params.per_page]]
    return _page(items, total, params.page, params.per_page)


def _provider_key(organization_id: str) -> str:
    """A provider's own id from its slug or its exported UUID ("" when none is asked for)."""
    if not organization_id:
        return ""
    if Provider.objects.filter(pk=organization_id).exists():
        return organization_id
    for pk in Provider.objects.values_list("id", flat=True):
        if hsds_id("organization", pk) == organization_id:
            return pk
    return organization_id  # matches nothing: an empty page, as HSDS expects


class PageQuery(Schema):
    search: str = Field("", max_length=300, description="Words in the name or description")
    page: int = Field(1, ge=1, le=10000)
    per_page: int = Field(20, ge=1, le=100)


def _terms() -> list[dict[str, Any]]:
    terms = [
        _attr("", link_type, value)["taxonomy_term"]
        for link_type, (_fname, allowed, _is_list) in FACETS.items()
        for value in sorted(allowed)
    ]
    return [*terms, _attr("", "availability", "24_7")["taxonomy_term"]]


def _taxonomies() -> list[dict[str, Any]]:
    return [
        {
            "id": hsds_id("taxonomy", TAXONOMY),
            "name": TAXONOMY,
            "description": "Respite facets: eligibility, audience, channel, tier, "
            "confidentiality, service area scope, availability",
        }
    ]


def _matching(items: list[dict[str, Any]], search: str) -> list[dict[str, Any]]:
    words = search.lower().split()
    return [
        item
        for item in items
        if all(
            any(w in str(item.get(k, "")).lower() for k in ("name", "code", "description"))
            for w in words
        )
    ]


def _slice(items: list[dict[str, Any]], params: PageQuery) -> dict[str, Any]:
    start = (params.page - 1) * params.per_page
    return _page(items[start : start + params.per_page], len(items), params.page, params.per_page)


@router.get("/taxonomies", response={200: PageOut})
def list_taxonomies(request: HttpRequest, params: Query[PageQuery]):
    return _slice(_matching(_taxonomies(), params.search), params)


@router.get("/taxonomies/{taxonomy_id}", response={200: dict[str, Any], 404: ErrorOut})
def get_taxonomy(request: HttpRequest, taxonomy_id: str):
    found = [t for t in _taxonomies() if t["id"] == taxonomy_id]
    if not found:
        raise Http404
    return found[0]


@router.get("/taxonomy_terms", response={200: PageOut})
def list_taxonomy_terms(request: HttpRequest, params: Query[PageQuery]):
    return _slice(_matching(_terms(), params.search), params)


@router.get("/taxonomy_terms/{term_id}", response={200: dict[str, Any], 404: ErrorOut})
def get_taxonomy_term(request: HttpRequest, term_id: str):
    found = [t for t in _terms() if t["id"] == term_id]
    if not found:
        raise Http404
    return found[0]


class SalQuery(PageQuery):
    organization_id: str = Field(
        "", max_length=64, pattern=r"^[-a-zA-Z0-9_]*$", description="HSDS organization id"
    )
    modified_after: datetime | None = Field(None, description="Only services changed since")
    organization: str = Field("", max_length=60, pattern=r"^[-a-zA-Z0-9_]*$")


def _sal_locations(portal: Organization | None):
    return (
        Location.objects.filter(service__in=Service.objects.visible_to(portal))
        .select_related("service")
        .prefetch_related(
            "addresses", "accessibility", "schedules", "service__phones", "service__contacts"
        )
        .order_by("service_id", "id")
    )


def _sal(loc: Location) -> dict[str, Any]:
    service = loc.service
    phones = list(service.phones.all())
    contacts = list(service.contacts.all())
    return _location(loc, hsds_id("service", service.id), phones, contacts)


@router.get("/service_at_locations", response={200: PageOut, 404: ErrorOut})
def list_service_at_locations(request: HttpRequest, params: Query[SalQuery]):
    portal = _portal(params.organization)
    qs = _sal_locations(portal)
    if params.organization_id:
        qs = qs.filter(service__provider_id=_provider_key(params.organization_id))
    if params.modified_after is not None:
        after = params.modified_after
        qs = qs.filter(
            service__updated_at__gte=after if after.tzinfo else after.replace(tzinfo=UTC)
        )
    if params.search.strip():
        qs = qs.filter(
            _words(params.search, "name", "description", "service__name", "service__search_text")
        )
    total = qs.count()
    start = (params.page - 1) * params.per_page
    items = [_sal(loc) for loc in qs[start : start + params.per_page]]
    return _page(items, total, params.page, params.per_page)


@router.get("/service_at_locations/{sal_id}", response={200: dict[str, Any], 404: ErrorOut})
def get_service_at_location(request: HttpRequest, sal_id: str, organization: str = ""):
    """The service at this location, in full (the reference answers with the compiled service)."""
    portal = _portal(organization)
    for loc in _sal_locations(portal):
        record = _sal(loc)
        if record["id"] == sal_id:
            data = service_to_hsds(loc.service)
            data["organization"] = provider_to_hsds(loc.service.provider)
            data["service_at_locations"] = [record]
            return data
    raise Http404


@router.get("/organizations/{organization_id}", response={200: dict[str, Any], 404: ErrorOut})
def get_organization(request: HttpRequest, organization_id: str, organization: str = ""):
    portal = _portal(organization)
    visible = Service.objects.visible_to(portal)
    provider = get_object_or_404(
        Provider.objects.filter(id__in=visible.values("provider_id")).select_related("portal"),
        pk=_provider_key(organization_id),
    )
    data = provider_to_hsds(provider)
    data["services"] = [
        service_to_hsds(s)
        for s in visible.filter(provider=provider)
        .select_related("portal")
        .prefetch_related(*PREFETCH)
        .order_by("id")
    ]
    return data
