from __future__ import annotations

import functools

from django.http import HttpRequest

from respite.core.apphooks import installed_hooks


def portal(request: HttpRequest) -> dict:
    """Organization branding and navigation for every page.

    Apps add links by declaring ``respite_nav = [(url_name, label), ...]`` on their AppConfig, so a
    new app joins the menu without editing the base template.
    """
    org = getattr(request, "organization", None)
    nav = [(link.url_name, link.label) for h in installed_hooks() for link in h.nav]
    if org is None:
        return {"organization": org, "portal_nav": nav}
    # Offer only help that exists: no counselor, no "talk to someone" (respite.core.services).
    # Callables, so only pages that show the worker menu (not staff pages) pay for the look-up.
    from respite.core.services import cached_available_services, offered

    @functools.cache
    def services() -> dict[str, bool]:
        return cached_available_services(org)

    def portal_nav() -> list:
        return [(name, label) for name, label in nav if offered(name, services())]

    return {"organization": org, "portal_nav": portal_nav, "respite_services": services}


def staff(request: HttpRequest) -> dict:
    """The staff header's navigation on staff pages (``/staff/``) for a signed-in person."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/staff/"):
        return {}
    from respite.core.navigation import staff_navigation

    return {"staff_nav": staff_navigation(user, getattr(request, "organization", None))}
