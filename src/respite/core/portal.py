"""Helpers every app's views use: the typed requests of portal and staff pages, and the one set of
access decorators (portal, staff roles, program leads, platform admins).

A view decorated here gets a request that carries what the decorator resolved, and says so in its
annotation, as healthchecks' ``ApiRequest`` does::

    @portal_view
    def page(request: PortalRequest) -> HttpResponse: ...  # request.organization is set

    @staff_view(StaffRole.COUNSELOR)
    def queue(request: StaffRequest) -> HttpResponse: ...  # and request.user is signed in

Whoever may not see a page gets 404, not 403: outsiders should not learn that it exists.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from respite.core.models import Organization, has_role, is_platform_admin
from respite.core.text import language

if TYPE_CHECKING:
    from django.contrib.auth.models import User

View = Callable[..., HttpResponse]


class PortalRequest(HttpRequest):
    """A request under ``/o/<org>/`` once ``portal_view`` resolved the organization."""

    organization: Organization


class StaffRequest(PortalRequest):
    """A request ``staff_view`` let through: a signed-in, active account with a role in the portal."""

    user: User


class AccountRequest(HttpRequest):
    """A request ``account_view`` let through: a signed-in account (pages that belong to no org)."""

    user: User


# Worker pages look their organization up by slug on every request. The rows are kept per process
# (the column values, never a shared instance: every request gets its own object) and dropped when
# any organization, role or roster changes (``navigation.invalidate`` bumps the version, through the
# shared cache when there is one), or after ``navigation.TTL`` seconds, which bounds staleness in
# other processes when the cache is per-process. Staff pages always read the row.
_org_rows: dict[str, tuple[float, object, tuple]] = {}
_ORG_ROWS_MAX = 256


def _organization_by_slug(slug: str) -> Organization:
    from django.db import router

    from respite.core.navigation import READ_AT_VERSION, TTL
    from respite.core.navigation import version as nav_version

    version = nav_version()
    now = time.monotonic()
    hit = _org_rows.get(slug)
    fields = [f.attname for f in Organization._meta.concrete_fields]
    if hit is not None and hit[1] == version and now - hit[0] < TTL:
        # A JSON value (role groups) is a list or dict: each request gets its own copy to change.
        values = [copy.deepcopy(v) if isinstance(v, dict | list) else v for v in hit[2]]
        organization = Organization.from_db(router.db_for_read(Organization), fields, values)
    else:
        organization = get_object_or_404(Organization, slug=slug)
        if len(_org_rows) >= _ORG_ROWS_MAX:
            _org_rows.clear()
        _org_rows[slug] = (now, version, tuple(getattr(organization, f) for f in fields))
    # The version this request's organization was read at: what is cached for it on this request
    # (``services.cached_available_services``, asked up to five times on a result page) is checked
    # against it instead of reading the shared counter again each time.
    organization.__dict__[READ_AT_VERSION] = version
    return organization


def portal_view(view: View) -> View:
    """Resolve ``/o/<org>/`` to ``request.organization`` (404 for unknown slugs)."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
        request.organization = _organization_by_slug(org)  # type: ignore[attr-defined]  # this is where a request becomes a PortalRequest
        return view(request, *args, **kwargs)

    return wrapper


def _fresh_portal_view(view: View) -> View:
    """``portal_view`` reading the organization's row every time (staff pages: settings they edit)."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
        request.organization = get_object_or_404(Organization, slug=org)  # type: ignore[attr-defined]  # a PortalRequest from here
        return view(request, *args, **kwargs)

    return wrapper


OrgCheck = Callable[[Any, Organization], bool]


def staff_view(
    *roles: str, allowed: OrgCheck | None = None, login_page: bool = True
) -> Callable[[View], View]:
    """Require a staff account with one of ``roles`` in the portal's organization.

    ``allowed(user, organization)`` replaces the role look-up when a role is not a membership (the
    peer program's leads). ``login_page=False`` answers 404 to signed-out visitors too, for pages
    about one object, so a login page does not confirm that the object exists.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        @_fresh_portal_view
        def wrapper(request: PortalRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                if not login_page:
                    raise Http404
                return redirect_to_login(request.get_full_path())
            ok = (
                allowed(request.user, request.organization)
                if allowed is not None
                else has_role(request.user, request.organization, *roles)
            )
            if not ok:
                raise Http404
            return view(request, *args, **kwargs)

        # Read by the role matrix (core/tests/test_role_matrix.py).
        wrapper.staff_roles = frozenset(roles)  # type: ignore[attr-defined]  # a marker on the function
        return wrapper

    return decorator


AccountCheck = Callable[[Any], bool]


def account_view(allowed: AccountCheck) -> Callable[[View], View]:
    """Pages that belong to no organization: only accounts for which ``allowed(user)`` is true,
    404 to everyone else (signed out included)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated or not request.user.is_active:
                raise Http404
            if not allowed(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


platform_admin_view = account_view(is_platform_admin)


def client_language(request: HttpRequest) -> str:
    return language(getattr(request, "LANGUAGE_CODE", None))
