"""The versioned JSON API (/api/v1/). Each app contributes a router by naming it on its AppConfig:
``respite_api = ("prefix", "respite.app.api.router")``."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest
from django.utils.module_loading import import_string
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

api = NinjaAPI(
    title="Respite API",
    version="1",
    description="Anonymous screening, directory and aggregate-only reporting for health-worker well-being.",
    urls_namespace="api-v1",
)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError):
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig):
    return api.create_response(request, {"detail": "The request body is too large."}, status=413)


@api.exception_handler(TooManyFieldsSent)
def too_many_fields(request: HttpRequest, exc: TooManyFieldsSent):
    return api.create_response(request, {"detail": "The request has too many fields."}, status=400)


@api.exception_handler(RecursionError)
def too_deep(request: HttpRequest, exc: RecursionError):
    return api.create_response(request, {"detail": "The request body is nested too deeply."}, status=400)


@api.exception_handler(UnicodeDecodeError)
def not_utf8(request: HttpRequest, exc: UnicodeDecodeError):
    return api.create_response(request, {"detail": "The request body is not valid UTF-8."}, status=400)


for config in apps.get_app_configs():
    spec = getattr(config, "respite_api", None)
    if spec:
        prefix, router_path = spec
        api.add_router(prefix, import_string(router_path))
