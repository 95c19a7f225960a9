from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone


class NoStoreMiddleware:
    """Tell browsers and proxies not to keep pages: a lost or shared phone must not reveal results."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response.setdefault("Cache-Control", "no-store")
        response.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        return response


class StaffTimeZoneMiddleware:
    """Signed-in staff see times in their own time zone (or their organization's). Workers have no
    account, so their pages keep the deployment's zone and show dates only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        import zoneinfo

        from respite.core.navigation import staff_data

        with timezone.override(zoneinfo.ZoneInfo(staff_data(user)["time_zone"])):
            return self.get_response(request)


class DjangoAdminGateMiddleware:
    """Django admin answers 404 unless the operator turned it on (``RESPITE_DJANGO_ADMIN``; off by
    default in production). Everything staff do has a console page; the admin is for emergencies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/") and not settings.RESPITE_DJANGO_ADMIN:
            raise Http404
        return self.get_response(request)


class TwoFactorMiddleware:
    """After the password, a person whose role needs a second factor (``core.twofactor``) reaches only
    the second-factor pages and sign-out until they enrol or verify. Every other page redirects there;
    the API sees such a session as nobody (401); Django admin asks for the code in its own sign-in."""

    EXEMPT = ("/staff/two-factor/", "/staff/logout/", "/static/", "/i18n/", "/crisis/", "/admin/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.RESPITE_TWO_FACTOR_REQUIRED
            and user is not None
            and user.is_authenticated
            and not user.is_verified()
        ):
            from respite.core.twofactor import is_required

            if is_required(user):
                if request.path.startswith("/api/"):
                    from django.contrib.auth.models import AnonymousUser

                    request.user = AnonymousUser()
                elif not request.path.startswith(self.EXEMPT):
                    from urllib.parse import urlencode

                    from django.shortcuts import redirect
                    from django.urls import reverse

                    target = reverse("core:two_factor")
                    if request.method == "GET":
                        target += "?" + urlencode({"next": request.get_full_path()})
                    return redirect(target)
        return self.get_response(request)
