"""The audit report as a PDF: the same template data as the page, rendered by WeasyPrint."""

from __future__ import annotations

import logging

from django.http import HttpRequest
from django.template.loader import render_to_string

# WeasyPrint narrates every rendering step at INFO; the server log needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def render_pdf(context: dict, request: HttpRequest) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("credentialing/report_pdf.html", context, request=request)
    # Form text is escaped by the template; still, the renderer may fetch nothing but data: URIs.
    return HTML(
        string=html, url_fetcher=URLFetcher(allowed_protocols=("data",)), base_url=None
    ).write_pdf()
