"""Every PDF Respite makes goes through here: tagged PDF/UA-1 from WeasyPrint, local data only.

PDF/UA gives a screen reader the structure tree (headings, lists, tables, reading order), MarkInfo,
the document language (from ``<html lang>``) and the title (from ``<title>``, shown instead of the file
name). Public-sector buyers ask for it. WeasyPrint may fetch nothing but ``data:`` URIs, so a template
(or text typed by someone) can never make the server reach the network or read a local file.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import slugify

from respite.core.text import language

# WeasyPrint narrates every rendering step at INFO; the server log needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF_VARIANT = "pdf/ua-1"


def html_to_pdf(html: str) -> bytes:
    """A tagged PDF/UA-1 document from a complete HTML page (with ``<html lang>`` and ``<title>``)."""
    from weasyprint import HTML  # imported here: loading Pango is slow and only PDFs need it
    from weasyprint.urls import URLFetcher

    document = HTML(string=html, base_url=None, url_fetcher=URLFetcher(allowed_protocols=("data",)))
    return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)


def render_pdf(
    template: str,
    context: dict[str, Any],
    request: HttpRequest | None = None,
    *,
    lang: str | None = None,
) -> bytes:
    """Render ``template`` in ``lang`` (default: the active language) and make it a tagged PDF.

    ``LANG`` is put in the context so ``<html lang="{{ LANG }}">`` is right even without a request
    (a PDF built in a task has no request, hence no context processors).
    """
    lang = language(lang)
    with translation.override(lang):
        html = render_to_string(
            template, {"LANG": lang, "LANGUAGE_CODE": lang, **context}, request=request
        )
    return html_to_pdf(html)


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """An attachment download; the file name is reduced to safe ASCII."""
    response = HttpResponse(data, content_type="application/pdf")
    name = slugify(filename.removesuffix(".pdf")) or "document"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
