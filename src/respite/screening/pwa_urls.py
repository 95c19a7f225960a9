from django.urls import path

from respite.screening import pwa

app_name = "screening_pwa"
urlpatterns = [
    # At the root, so the worker's scope covers the crisis page and every portal.
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("o/<slug:org>/manifest.webmanifest", pwa.manifest, name="manifest"),
]
