"""Branded error pages: every status a worker can meet speaks their language, keeps the crisis bar and
offers a way home. 400/403/404/500 use Django's handlers with the templates in ``templates/``; this
module adds the CSRF failure page (with a retry) and the 405 page (Django's is an empty body)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from respite.core.models import Organization

_PORTAL_PATH = re.compile(r"^/o/([-a-zA-Z0-9_]+)/")


def _with_portal(request: HttpRequest) -> HttpRequest:
    """Errors raised before a portal view ran (CSRF, method) still lead home to the worker's portal."""
    match = _PORTAL_PATH.match(request.path)
    if getattr(request, "organization", None) is None and match:
        # The portal's page templates read it, as they do after portal_view.
        request.organization = Organization.objects.filter(slug=match.group(1)).first()  # type: ignore[attr-defined]
    return request


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:  # noqa: ARG001 - Django's signature
    """A lost or stale CSRF cookie: explain, and offer to reload the page the form came from."""
    referer = request.headers.get("referer", "")
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return render(
        _with_portal(request), "403_csrf.html", {"retry": referer if safe else ""}, status=403
    )


class BrandedErrorMiddleware:
    """Give an empty 405 (from require_POST and friends) the branded page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not response.content
            and not request.path.startswith("/api/")
        ):
            branded = render(_with_portal(request), "405.html", status=405)
            branded["Allow"] = response.get("Allow", "")
            return branded
        if (
            response.status_code == 404
            and getattr(request, "organization", None) is None
            and _PORTAL_PATH.match(request.path)
        ):
            # No route matched (an expired or damaged sealed link, see core.urlseal): still lead home.
            return render(_with_portal(request), "404.html", status=404)
        return response
