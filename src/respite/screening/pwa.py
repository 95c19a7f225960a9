"""The installable app: a web app manifest per portal and one service worker for the whole site.

What the service worker keeps, and nothing else (a lost or shared phone must not reveal results):
the crisis page, the offline page, the static files those need, and the worker's own safety plan once
they have opened it. Every other page goes to the network and is never stored. Closing one's space or
deleting everything sends Clear-Site-Data, which drops the cached plan with the rest.
"""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from respite.core.models import Organization
from respite.core.portal import client_language
from respite.core.resources import crisis_options

PRECACHE_STATIC = ("respite/app.css", "respite/app.js", "favicon.svg", "respite/icons/icon-192.png")


def _precache() -> list[str]:
    return [
        reverse("crisis"),
        reverse("screening_pwa:offline"),
        *(static(p) for p in PRECACHE_STATIC),
    ]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    precache = _precache()
    # The version changes whenever the precache list (hashed static names in production) changes.
    version = hashlib.sha256(json.dumps(precache).encode()).hexdigest()[:12]
    body = render(
        request,
        "screening/sw.js",
        {
            "version": version,
            "precache": json.dumps(precache),
            "offline": json.dumps(reverse("screening_pwa:offline")),
            "crisis": json.dumps(reverse("crisis")),
            "push_script": json.dumps(static("respite/sw-push.js")),
        },
    ).content
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # browsers re-check the worker on every visit
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown for any page that needs the network when there is none: the crisis lines, always."""
    return render(request, "screening/offline.html", {"crisis_options": crisis_options()})


@require_GET
def manifest(request: HttpRequest, org: str) -> JsonResponse:
    organization = get_object_or_404(Organization, slug=org)
    start = reverse("portal", kwargs={"org": organization.slug})
    data = {
        "name": organization.name,
        "short_name": organization.name[:12],
        "description": _("Confidential support for health workers"),
        "lang": client_language(request),
        "id": start,
        "start_url": start,
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": organization.accent_color or "#1d5c63",
        "icons": [
            {"src": static("respite/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("respite/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("respite/icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
