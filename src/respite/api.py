"""The versioned JSON API (/api/v1/). Each app contributes a router by naming it on its AppConfig:
``respite_api = ("prefix", "respite.app.api.router")``.

Every error the API sends (4xx and 5xx, including unknown paths, wrong methods and crashes) is an
RFC 9457 problem details object served as ``application/problem+json``. Apps keep raising
``HttpError(status, message)`` or returning ``Status(4xx, {"detail": ...})``; the shape is made here,
once, so no app can send an error in another shape.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, re_path
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema

from respite.core import privacy
from respite.core.apphooks import installed_hooks
from respite.core.errors import DomainError

logger = logging.getLogger("respite.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:respite:problem:"

# One stable problem type per kind of error; clients branch on ``type``, never on ``detail``.
# The type is a URN (RFC 9457 allows a non-resolvable URI) so it is the same on every deployment.
PROBLEMS: dict[int, tuple[str, Any]] = {
    400: ("bad-request", gettext_lazy("Bad request")),
    401: ("authentication-required", gettext_lazy("Sign-in required")),
    403: ("forbidden", gettext_lazy("Not allowed")),
    404: ("not-found", gettext_lazy("Not found")),
    405: ("method-not-allowed", gettext_lazy("Method not allowed")),
    409: ("conflict", gettext_lazy("Conflict")),
    413: ("request-too-large", gettext_lazy("Request too large")),
    422: ("validation-error", gettext_lazy("Invalid input")),
    429: ("too-many-requests", gettext_lazy("Too many requests")),
    500: ("server-error", gettext_lazy("Server error")),
}


def problem_type(status: int) -> str:
    slug = (
        PROBLEMS[status][0]
        if status in PROBLEMS
        else ("server-error" if status >= 500 else "bad-request")
    )
    return PROBLEM_TYPE_BASE + slug


def problem(status: int, detail: str | None = None, **extensions: Any) -> dict[str, Any]:
    """The problem details object for ``status``: type, title and status, then detail and extensions."""
    title = PROBLEMS[status][1] if status in PROBLEMS else ""
    body: dict[str, Any] = {"type": problem_type(status), "title": str(title), "status": status}
    if detail:
        body["detail"] = detail
    body.update(extensions)
    return body


class RespiteAPI(NinjaAPI):
    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        code = temporal_response.status_code if temporal_response is not None else status
        if code is None or code < 400:
            return super().create_response(
                request, data, status=status, temporal_response=temporal_response
            )
        # An app that returned Status(4xx, {"detail": ...}) or raised HttpError ends up here too.
        if not (isinstance(data, dict) and data.get("type", "").startswith(PROBLEM_TYPE_BASE)):
            detail = data.get("detail") if isinstance(data, dict) else None
            data = problem(code, detail if isinstance(detail, str) else None)
        response = HttpResponse(
            self.renderer.render(request, data, response_status=code),
            status=code,
            content_type=PROBLEM_CONTENT_TYPE,
        )
        if temporal_response is not None:
            for header, value in temporal_response.items():
                if header.lower() != "content-type":
                    response[header] = value
        if code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(privacy.seconds_left_in_window())
        return response

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _problem_for_405(pattern.callback)
        # Anything else under /api/v1/ is an API 404, not the site's HTML page.
        urls.append(re_path(r"^.*$", _unknown_path, name="problem-not-found"))
        return urls

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})  # ninja keys them by int
                extra = [405, 500] + ([400, 413, 422] if "requestBody" in operation else [])
                for code in extra:
                    if code not in responses and str(code) not in responses:
                        responses[code] = {"description": str(PROBLEMS[code][1])}
                for code, response in responses.items():
                    if str(code).isdigit() and int(code) >= 400:
                        response["content"] = {PROBLEM_CONTENT_TYPE: ref}
                        if int(code) == 429:
                            response["headers"] = {
                                "Retry-After": {
                                    "description": "Seconds to wait before trying again.",
                                    "schema": {"type": "integer", "minimum": 1},
                                }
                            }
        return schema


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. `type` is stable per kind of error; `detail` is for people.",
    "type": "object",
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "enum": [PROBLEM_TYPE_BASE + s for s, _t in PROBLEMS.values()],
        },
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object"},
            "description": "For validation-error: each field.",
        },
    },
    "required": ["type", "title", "status"],
}


def _problem_response(
    request: HttpRequest, status: int, detail: str, **extensions: Any
) -> HttpResponse:
    return api.create_response(request, problem(status, detail, **extensions), status=status)


def _problem_for_405(view: Any) -> Any:
    """django-ninja answers a wrong method with a plain-text 405; turn it into a problem, keeping Allow."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            PROBLEM_CONTENT_TYPE
        ):
            allowed = response.get("Allow", "")
            problem_response = _problem_response(
                request,
                405,
                _("This address does not accept %(method)s. Allowed: %(allowed)s.")
                % {"method": request.method, "allowed": allowed},
            )
            problem_response["Allow"] = allowed
            return problem_response
        return response

    return wrapper


@csrf_exempt  # an unknown path has nothing to protect; without this a POST would get Django's HTML 403
def _unknown_path(request: HttpRequest) -> HttpResponse:
    return _problem_response(request, 404, _("There is no API endpoint at this address."))


class _BundledSwagger(Swagger):
    """Swagger UI from django-ninja's bundled page and files, served by this site (settings adds
    their directories), never a CDN, so the page works under the strict CSP. ninja renders that page
    only when it is an installed app, and as an app every process imported it at start-up.

    ninja's other pages (``Redoc``) would fall back to their CDN versions, which the CSP blocks and
    which would tell a third party who reads the docs: render them the same way before using one."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        # A copy per request: the instance is shared by the server's threads.
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        auth = api.auth if isinstance(api.auth, list | tuple) else ()
        context = {
            "swagger_settings": json.dumps(settings, indent=1),
            "api": api,
            # The page sends the CSRF token only when an API-wide auth asks for it (ninja's rule).
            "add_csrf": any(getattr(a, "csrf", False) for a in auth),
        }
        return render(request, self.template, context)


api = RespiteAPI(
    title="Respite API",
    version="1",
    description=(
        "Anonymous screening, directory and aggregate-only reporting for health-worker well-being.\n\n"
        "**Errors.** Every 4xx and 5xx response is an RFC 9457 problem details object "
        "(`application/problem+json`) with a stable `type` per kind of error: "
        + ", ".join(
            f"`{PROBLEM_TYPE_BASE}{slug}` ({code})" for code, (slug, _t) in PROBLEMS.items()
        )
        + ". A 422 lists each invalid field in `errors`; a 429 carries `Retry-After` (seconds); "
        "a 405 carries `Allow`.\n\n"
        "**Staff endpoints** (pulse dashboards, peer-support dashboard) take an API token made on the "
        "staff pages (`Authorization: Bearer …`, scopes `pulse:read` and `peers:read`), or the staff "
        "session cookie of a signed-in staff member who has passed the second factor; send the CSRF "
        "token in `X-CSRFToken` for unsafe methods."
    ),
    urls_namespace="api-v1",
    # validatorUrl None: Swagger UI would otherwise send the schema address to validator.swagger.io.
    docs=_BundledSwagger(settings={"validatorUrl": None}),
)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors
    ]
    fields = ", ".join(dict.fromkeys(_field_name(e["loc"]) for e in errors))
    return _problem_response(
        request,
        422,
        _("These fields are missing or not valid: %(fields)s.") % {"fields": fields},
        errors=errors,
    )


def _field_name(loc: Sequence[str]) -> str:
    """body.payload.answers.3 -> answers.3: the part of the location a client wrote."""
    parts = [
        p for p in loc if p not in ("body", "payload", "query", "path", "header", "cookie", "form")
    ]
    return ".".join(parts) or "body"


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    detail = f"{exc.field}: {exc.message}" if exc.field else exc.message
    return _problem_response(request, 422, detail)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    response = _problem_response(request, exc.status_code, str(exc))
    wait = getattr(exc, "wait", None)  # ninja's own Throttled knows its wait
    if exc.status_code == 429 and wait:
        response["Retry-After"] = str(int(wait))
    return response


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _problem_response(request, 413, _("The request body is too large."))


@api.exception_handler(TooManyFieldsSent)
def too_many_fields(request: HttpRequest, exc: TooManyFieldsSent) -> HttpResponse:
    return _problem_response(request, 400, _("The request has too many fields."))


@api.exception_handler(RecursionError)
def too_deep(request: HttpRequest, exc: RecursionError) -> HttpResponse:
    return _problem_response(request, 400, _("The request body is nested too deeply."))


@api.exception_handler(UnicodeDecodeError)
def not_utf8(request: HttpRequest, exc: UnicodeDecodeError) -> HttpResponse:
    return _problem_response(request, 400, _("The request body is not valid UTF-8."))


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with the traceback (the privacy filter applies); the client learns nothing of the cause.
    logger.error("Unhandled error in an API endpoint", exc_info=exc)
    return _problem_response(
        request, 500, _("Something went wrong on our side. Please try again later.")
    )


for _hooks in installed_hooks():
    if _hooks.api:
        api.add_router(_hooks.api.prefix, import_string(_hooks.api.target))
