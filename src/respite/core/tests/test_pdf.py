"""The shared PDF helper: every PDF is tagged PDF/UA with language and title, and fetches nothing.

The PDFs the product makes (board report, facilitator packet, note cards, credentialing report,
pulse report) are each checked with ``assert_tagged_pdf`` in their app's own PDF test; this file
checks the helper itself and that no app calls WeasyPrint around it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from respite.core.pdf import html_to_pdf, render_pdf
from respite.core.testing import assert_tagged_pdf

PAGE = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>Texto</p><table><tr><th>A</th></tr><tr><td>1</td></tr></table>{extra}</body></html>"""


def test_a_page_becomes_a_tagged_pdf_with_language_and_title():
    roles = assert_tagged_pdf(html_to_pdf(PAGE.format(lang="es", title="Informe", extra="")), "es")
    assert roles.get("H1") == 1 and roles.get("Table") == 1


def test_render_pdf_sets_the_language_without_a_request(monkeypatch):
    from django.template import Template
    from django.template.context import make_context

    page = Template(
        '<!DOCTYPE html><html lang="{{ LANG }}"><head><title>T</title></head><body><p>x</p></body></html>'
    )

    def render_to_string(template, context, request=None):  # a PDF built in a task has no request
        assert request is None
        return page.render(make_context(context))

    monkeypatch.setattr("respite.core.pdf.render_to_string", render_to_string)
    assert_tagged_pdf(render_pdf("any.html", {}, lang="es"), "es")


@pytest.mark.parametrize(
    "url", ["file:///usr/share/pixmaps/debian-logo.png", "http://127.0.0.1:9/x.png"]
)
def test_the_renderer_fetches_nothing(url):
    # an image or stylesheet pointing anywhere but data: is refused; the PDF still comes out, without it
    extra = f'<img src="{url}" alt="x"><link rel="stylesheet" href="{url}">'
    data = html_to_pdf(PAGE.format(lang="en", title="T", extra=extra))
    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 0
    dot = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    inline = html_to_pdf(
        PAGE.format(lang="en", title="T", extra=f'<img src="data:image/png;base64,{dot}" alt="x">')
    )
    assert len(PdfReader(io.BytesIO(inline)).pages[0].images) == 1  # data: URIs do work


def test_no_app_calls_weasyprint_except_through_core_pdf():
    src = Path(__file__).resolve().parents[2]
    callers = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if "tests" not in p.parts
        and re.search(r"^\s*(from|import) weasyprint", p.read_text(), re.M)
    ]
    assert callers == ["core/pdf.py"]
