"""The audit report as a PDF: the same template data as the page, rendered by WeasyPrint."""

from __future__ import annotations

from django.http import HttpRequest

from respite.core import pdf


def render_pdf(context: dict, request: HttpRequest) -> bytes:
    # Form text is escaped by the template; core.pdf lets the renderer fetch nothing but data: URIs.
    return pdf.render_pdf("credentialing/report_pdf.html", context, request)
