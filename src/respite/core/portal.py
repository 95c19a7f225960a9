"""Helpers every app's views use: loading the organization of a portal URL and staff access."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from respite.core.models import Organization, has_role


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve ``/o/<org>/`` to ``request.organization`` (404 for unknown slugs)."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args, **kwargs) -> HttpResponse:
        request.organization = get_object_or_404(Organization, slug=org)
        return view(request, *args, **kwargs)

    return wrapper


def staff_view(*roles: str) -> Callable:
    """Require a staff account with one of ``roles`` in the portal's organization.

    Anyone else gets 404, not 403: outsiders should not learn that a page exists.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @portal_view
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, request.organization, *roles):
                raise Http404
            return view(request, *args, **kwargs)

        # Read by the role matrix (core/tests/test_role_matrix.py).
        wrapper.staff_roles = frozenset(roles)
        return wrapper

    return decorator


def client_language(request: HttpRequest) -> str:
    return (getattr(request, "LANGUAGE_CODE", None) or "en")[:2]
