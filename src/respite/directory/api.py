"""HSDS-shaped read API: /api/v1/services, /api/v1/services/{id}, /api/v1/organizations.

Paginated like the HSDS 3 API (``total_items``, ``total_pages``, ``page_number``, ``size``,
``first_page``, ``last_page``, ``empty``, ``contents``). ``organization`` (a portal slug) applies that
portal's curation: its hidden services are left out and its local services included.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from respite.core import pagination
from respite.core.apischema import ErrorOut
from respite.core.models import Organization
from respite.core.resources import crisis_options
from respite.core.roles import RoleGroup
from respite.directory import search as directory_search
from respite.directory.hsds import (
    FACETS,
    TAXONOMY,
    _attr,
    hsds_id,
    provider_to_hsds,
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


class PageOut(Schema):
    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    search_mode: str = ""
    notice: str = ""
    crisis: bool = False
    no_good_match: bool = False
    crisis_options: list[dict[str, Any]] = []
    contents: list[dict[str, Any]]


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
    service = visible.filter(pk=service_id).first()
    if service is None:
        # Exports name services by UUID (derived from the slug): accept that id too.
        slug = next(
            (
                pk
                for pk in visible.values_list("id", flat=True)
                if hsds_id("service", pk) == service_id
            ),
            None,
        )
        service = get_object_or_404(visible, pk=slug)
    data = service_to_hsds(service)
    data["organization"] = provider_to_hsds(service.provider)
    return data


class OrgQuery(Schema):
    organization: str = Field("", max_length=60, pattern=r"^[-a-zA-Z0-9_]*$")
    page: int = Field(1, ge=1, le=10000)
    per_page: int = Field(20, ge=1, le=100)


@router.get("/organizations", response={200: PageOut, 404: ErrorOut})
def list_organizations(request: HttpRequest, params: Query[OrgQuery]):
    portal = _portal(params.organization)
    visible = Service.objects.visible_to(portal).values("provider_id")
    qs = Provider.objects.filter(id__in=visible).select_related("portal").order_by("name", "id")
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
    page: int = Field(1, ge=1, le=10000)
    per_page: int = Field(20, ge=1, le=100)


def _terms() -> list[dict[str, Any]]:
    terms = [
        _attr("", link_type, value)["taxonomy_term"]
        for link_type, (_fname, allowed, _is_list) in FACETS.items()
        for value in sorted(allowed)
    ]
    return [*terms, _attr("", "availability", "24_7")["taxonomy_term"]]


@router.get("/taxonomies", response={200: PageOut})
def list_taxonomies(request: HttpRequest, params: Query[PageQuery]):
    items = [
        {
            "id": hsds_id("taxonomy", TAXONOMY),
            "name": TAXONOMY,
            "description": "Respite facets: eligibility, audience, channel, tier, "
            "confidentiality, service area scope, availability",
        }
    ]
    start = (params.page - 1) * params.per_page
    return _page(items[start : start + params.per_page], len(items), params.page, params.per_page)


@router.get("/taxonomy_terms", response={200: PageOut})
def list_taxonomy_terms(request: HttpRequest, params: Query[PageQuery]):
    terms = _terms()
    start = (params.page - 1) * params.per_page
    return _page(terms[start : start + params.per_page], len(terms), params.page, params.per_page)


class SalQuery(PageQuery):
    organization: str = Field("", max_length=60, pattern=r"^[-a-zA-Z0-9_]*$")


@router.get("/service_at_locations", response={200: PageOut, 404: ErrorOut})
def list_service_at_locations(request: HttpRequest, params: Query[SalQuery]):
    portal = _portal(params.organization)
    qs = (
        Location.objects.filter(service__in=Service.objects.visible_to(portal))
        .select_related("service")
        .order_by("service_id", "id")
    )
    total = qs.count()
    start = (params.page - 1) * params.per_page
    items = []
    for loc in qs[start : start + params.per_page]:
        location = {"id": hsds_id("location", loc.id), "location_type": loc.location_type}
        if loc.name:
            location["name"] = loc.name
        if loc.description:
            location["description"] = loc.description
        items.append(
            {
                "id": hsds_id("service_at_location", f"{loc.service_id}:{location['id']}"),
                "service_id": hsds_id("service", loc.service_id),
                "location_id": location["id"],
                "location": location,
            }
        )
    return _page(items, total, params.page, params.per_page)


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
        .prefetch_related("phones", "schedules", "locations")
        .order_by("id")
    ]
    return data
