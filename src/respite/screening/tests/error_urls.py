"""The site's URLs plus views that fail on purpose, to reach Django's 403 and 500 handlers."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from respite.core.portal import portal_view
from respite.urls import urlpatterns as site_urls


@portal_view
def forbidden(request, **kwargs):
    raise PermissionDenied


@portal_view
def broken(request, **kwargs):
    raise RuntimeError("boom")


urlpatterns = [
    path("o/<slug:org>/test-forbidden/", forbidden),
    path("o/<slug:org>/test-broken/", broken),
    *site_urls,
]
