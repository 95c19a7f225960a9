"""URL map. Apps mount themselves through ``respite_urls = [(prefix, "dotted.urls"), ...]`` on their
AppConfig, so adding an app needs no edit here. Portal pages live under ``o/<slug:org>/``, staff pages
under ``staff/``."""

from django.contrib import admin
from django.urls import include, path

from respite.api import api
from respite.core import views as core_views
from respite.core.apphooks import installed_hooks

urlpatterns = [
    path("", core_views.home, name="home"),
    path("crisis/", core_views.crisis, name="crisis"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("staff/", include("respite.core.urls")),
    path("o/<slug:org>/", core_views.portal, name="portal"),
    path(
        "o/<slug:org>/logo/<str:digest>.png",
        core_views.organization_logo,
        name="organization_logo",
    ),
    path("o/<slug:org>/alerts/", core_views.worker_alerts, name="worker_alerts"),
    path("o/<slug:org>/alerts/push/", core_views.worker_alerts_push, name="worker_alerts_push"),
]

for _hooks in installed_hooks():
    for _mount in _hooks.urls:
        urlpatterns.append(path(_mount.prefix, include(_mount.target)))
