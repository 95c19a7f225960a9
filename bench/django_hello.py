"""Django "hello" for bench_http: Respite's settings and full middleware stack, one trivial view.

Served as its own WSGI module (``bench.django_hello:application``) with ``ROOT_URLCONF`` pointed here,
so the shared URL map is untouched. The gap between this and ``hello_wsgi`` is the framework's cost
(middleware, URL resolving, CSP nonce, security headers); the gap between this and a real page is
Respite's own work (queries, templates).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "respite.settings")


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"Hello, world!\n", content_type="text/plain; charset=utf-8")


urlpatterns = [path("", hello)]

settings.ROOT_URLCONF = __name__

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after the URLconf override

application = get_wsgi_application()
