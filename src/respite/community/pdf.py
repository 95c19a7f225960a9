"""Printable PDFs (WeasyPrint): the facilitator packet and the foldable thank-you cards.

Both are rendered from templates with their own print CSS, entirely from local data: WeasyPrint is
given no base URL, so a template can never make it fetch anything from the network.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.text import slugify


def render_pdf(template: str, context: dict, request: HttpRequest | None = None) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango is slow and only PDFs need it

    html = render_to_string(template, context, request=request)
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url: str, *args, **kwargs):  # noqa: ARG001
    raise ValueError("community PDFs load no external resources")


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    name = slugify(filename.removesuffix(".pdf")) or "document"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
