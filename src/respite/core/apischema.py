"""Schemas every app's API shares. Errors are answered as RFC 9457 problem details by
``respite.api`` (which documents them as the ``Problem`` schema); routers declare their error
responses with ``ErrorOut`` so the generated OpenAPI lists each status an operation can answer."""

from __future__ import annotations

from ninja import Schema


class ErrorOut(Schema):
    """What a router returns or raises for an error: ``detail``, in the client's language."""

    detail: str
