"""HSDS-shaped read API: /api/v1/services, /api/v1/services/{id}, /api/v1/organizations.

Paginated like the HSDS 3 API (``total_items``, ``total_pages``, ``page_number``, ``size``,
``first_page``, ``last_page``, ``empty``, ``contents``). ``organization`` (a portal slug) applies that
portal's curation: its hidden services are left out and its local services included.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from respite.core import pagination
from respite.core.models import Organization
from respite.core.roles import RoleGroup
from respite.directory import search as directory_search
from respite.directory.hsds import provider_to_hsds, service_to_hsds
from respite.directory.models import (
    Audience,
    Channel,
    Confidentiality,
    Cost,
    Provider,
    Service,
    Tier,
)

router = Router(tags=["directory"])


class ServiceQuery(Schema):
    q: str = Field("", max_length=300, description="Keyword and semantic search text")
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
    contents: list[dict[str, Any]]


class Error(Schema):
    detail: str


def _portal(slug: str) -> Organization | None:
    return get_object_or_404(Organization, slug=slug) if slug else None


def _page(items: list, total: int, page: int, per_page: int, **extra) -> dict[str, Any]:
    return pagination.page(items, total, page, per_page, **extra)


@router.get("/services", response={200: PageOut, 404: Error})
def list_services(request: HttpRequest, params: Query[ServiceQuery]):
    portal = _portal(params.organization)
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
    )
    result = directory_search.search(
        params.q,
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
    )


@router.get("/services/{service_id}", response={200: dict[str, Any], 404: Error})
def get_service(request: HttpRequest, service_id: str, organization: str = ""):
    portal = _portal(organization)
    service = get_object_or_404(
        Service.objects.visible_to(portal).select_related("provider", "portal"), pk=service_id
    )
    data = service_to_hsds(service)
    data["organization"] = provider_to_hsds(service.provider)
    return data


class OrgQuery(Schema):
    organization: str = Field("", max_length=60, pattern=r"^[-a-zA-Z0-9_]*$")
    page: int = Field(1, ge=1, le=10000)
    per_page: int = Field(20, ge=1, le=100)


@router.get("/organizations", response={200: PageOut, 404: Error})
def list_organizations(request: HttpRequest, params: Query[OrgQuery]):
    portal = _portal(params.organization)
    visible = Service.objects.visible_to(portal).values("provider_id")
    qs = Provider.objects.filter(id__in=visible).select_related("portal").order_by("name", "id")
    total = qs.count()
    start = (params.page - 1) * params.per_page
    items = [provider_to_hsds(p) for p in qs[start : start + params.per_page]]
    return _page(items, total, params.page, params.per_page)
