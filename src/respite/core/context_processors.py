from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

from respite.core.apphooks import installed_hooks


def portal(request: HttpRequest) -> dict:
    """Organization branding and navigation for every page.

    Apps add links by declaring ``respite_nav = [(url_name, label), ...]`` on their AppConfig, so a
    new app joins the menu without editing the base template.
    """
    org = getattr(request, "organization", None)
    if org is None:
        return {"organization": org, "portal_nav": []}
    nav = [(link.url_name, link.label) for h in installed_hooks() for link in h.nav]
    # Offer only help that exists: no counselor, no "talk to someone" (respite.core.services).
    # Callables, so only pages that show the worker menu (not staff pages) pay for the look-up.
    from respite.core.services import cached_available_services, offered

    @functools.cache
    def services() -> dict[str, bool]:
        return cached_available_services(org)

    def portal_nav() -> list[tuple[str, Any]]:
        where = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
        return [
            (_portal_href(name, org.slug, where), label)
            for name, label in nav
            if offered(name, services())
        ]

    return {"organization": org, "portal_nav": portal_nav, "respite_services": services}


@functools.lru_cache(maxsize=1024)
def _portal_href(url_name: str, slug: str, where: tuple) -> str:  # noqa: ARG001 - a cache key
    """A menu link of a portal: the same on every page, so reversed once per process (a ``{% url %}``
    per link and page cost a fifth of a portal page; issue 19). ``where`` (the script prefix and
    the URLconf, which ``reverse`` reads) is in the key."""
    return reverse(url_name, kwargs={"org": slug})


def staff(request: HttpRequest) -> dict:
    """The staff header's navigation on staff pages (``/staff/``) for a signed-in person."""
    if not request.path.startswith("/staff/"):  # first: a worker page need not load a user
        return {}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from respite.core.navigation import staff_navigation

    return {"staff_nav": staff_navigation(user, getattr(request, "organization", None))}
