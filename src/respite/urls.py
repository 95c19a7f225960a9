from django.contrib import admin
from django.urls import include, path

from respite.api import api
from respite.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("crisis/", core_views.crisis, name="crisis"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("staff/", include("respite.core.urls")),
    path("o/<slug:org>/", core_views.portal, name="portal"),
    path("o/<slug:org>/", include("respite.screening.urls")),
]
