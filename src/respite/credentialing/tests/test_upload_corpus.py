"""Hostile uploads, sent as an attacker with an organization admin's account would send them.

Every file of the corpus must answer 400 with a clear message (English and Spanish), within a
bounded time, without the server process growing, and the server must go on serving. The parse
runs in a limited child process (``credentialing/sandbox.py``); its peak memory is checked too.
"""

from __future__ import annotations

import io
import re
import resource
import struct
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from respite.credentialing import readers, sandbox
from respite.credentialing.tests.factories import make_docx, make_pdf

pytestmark = pytest.mark.django_db

SECONDS = readers.SANDBOX_SECONDS + 15  # the sandbox's wall limit plus start-up on a busy machine


def _docx_with(document_xml: bytes) -> bytes:
    """A real .docx whose main part is replaced."""
    src = zipfile.ZipFile(io.BytesIO(make_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = document_xml if info.filename == "word/document.xml" else src.read(info)
            dst.writestr(info.filename, data)
    return out.getvalue()


BODY = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&x9;</w:t></w:r></w:p></w:body></w:document>'


def billion_laughs() -> bytes:
    entities = b'<!ENTITY x0 "ha">' + b"".join(
        b'<!ENTITY x%d "%s">' % (i, b"&x%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    return _docx_with(b'<?xml version="1.0"?><!DOCTYPE w:document [' + entities + b"]>" + BODY)


def billion_laughs_utf16() -> bytes:
    """The same bomb in UTF-16, which a byte search for "<!DOCTYPE" would miss."""
    entities = '<!ENTITY x0 "ha">' + "".join(
        f'<!ENTITY x{i} "{f"&x{i - 1};" * 10}">' for i in range(1, 10)
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w:document [{entities}]>{BODY.decode()}'
    )
    return _docx_with(xml.encode("utf-16"))


def xxe() -> bytes:
    body = BODY.replace(b"&x9;", b"&xxe;")
    return _docx_with(
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + body
    )


def zip_bomb_honest() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zipfile.ZipFile(io.BytesIO(make_docx())).infolist():
            z.writestr(info.filename, zipfile.ZipFile(io.BytesIO(make_docx())).read(info))
        z.writestr("word/media/padding.bin", b"\0" * (200 * 1024 * 1024))
    return out.getvalue()


def zip_bomb_forged() -> bytes:
    """The same bomb, its sizes rewritten to 1 KiB in both the local and central headers."""
    data = bytearray(zip_bomb_honest())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        for match in re.finditer(re.escape(signature), bytes(data)):
            at = match.start() + offset
            if struct.unpack_from("<I", data, at)[0] >= 100 * 1024 * 1024:
                struct.pack_into("<I", data, at, 1024)
    return bytes(data)


def _pdf(objects: list[bytes]) -> bytes:
    body = b"%PDF-1.4\n"
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return body


def circular_pdf() -> bytes:
    return _pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R 2 0 R] /Count 2 >>"]
    )


def deep_pdf() -> bytes:
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * 200_000 + b"]" * 200_000 + b" >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
        ]
    )


def _heavy_pdf(pages: int) -> bytes:
    """``pages`` pages that all draw one small, highly compressed, very long content stream."""
    import zlib

    content = b"BT /F1 1 Tf " + b"(x) Tj 0 1 Td " * 400_000 + b"ET"
    stream = zlib.compress(content, 9)
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>"
    ] * pages
    return _pdf(objects)


def unsupported_encryption_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue().replace(b"/Filter /Standard", b"/Filter /NoSuch")


CORPUS = {
    "billion laughs": ("bomb.docx", billion_laughs, "XML definitions"),
    "billion laughs in UTF-16": ("bomb16.docx", billion_laughs_utf16, "XML definitions"),
    "external entity (XXE)": ("xxe.docx", xxe, "XML definitions"),
    "zip bomb, honest sizes": ("zip.docx", zip_bomb_honest, "too large once unpacked"),
    "zip bomb, forged sizes": ("forged.docx", zip_bomb_forged, "could not be read|too large"),
    "not a zip": ("broken.docx", lambda: b"PK\x03\x04 broken", "could not be read"),
    "malformed PDF": (
        "broken.pdf",
        lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog",
        "could not be read",
    ),
    "unsupported encryption": ("locked.pdf", unsupported_encryption_pdf, "password-protected"),
    "circular page tree": ("loop.pdf", circular_pdf, "could not be read|No text"),
    "200,000-deep nesting": ("deep.pdf", deep_pdf, "could not be read|No text"),
    "300 pages": ("long.pdf", lambda: _heavy_pdf(300), "more than 100 pages"),
    "100 heavy pages": (
        "heavy.pdf",
        lambda: _heavy_pdf(100),
        "takes too long|too long|could not be read|too large",  # whichever limit trips first
    ),
    "oversize": ("big.txt", lambda: b"Have you ever? " * (400 * 1024), "larger than 5 MB"),
}


def _upload(client: Client, org, name: str, data: bytes, lang: str = "en"):
    return client.post(
        f"/staff/o/{org.slug}/credentialing/new/",
        {"file": SimpleUploadedFile(name, data)},
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def _rss_kib(who: int) -> int:
    return resource.getrusage(who).ru_maxrss


def _sandbox_peak_kib(name: str, data: bytes) -> int:
    """The sandbox's peak memory for this file, measured from a process with no other children."""
    import subprocess
    import sys

    probe = (
        "import resource, sys, django\ndjango.setup()\nfrom respite.credentialing import readers\n"
        "try:\n    readers.read_file(sys.argv[1], sys.stdin.buffer.read())\nexcept Exception:\n    pass\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, name],
        input=data,
        capture_output=True,
        timeout=120,
        check=True,
    )
    return int(done.stdout.split()[-1])


@pytest.mark.parametrize("kind", list(CORPUS))
def test_hostile_upload_is_a_clear_400_in_bounded_time_and_memory(kind, org, org_admin):
    name, build, message = CORPUS[kind]
    data = build()
    client = Client()
    client.force_login(org_admin)
    own_before = _rss_kib(resource.RUSAGE_SELF)
    started = time.monotonic()
    response = _upload(client, org, name, data)
    elapsed = time.monotonic() - started
    body = response.content.decode()
    assert response.status_code == 400, (kind, response.status_code)
    assert re.search(message, body), (
        kind,
        re.findall(r'class="errorlist[^>]*>(.*?)</ul>', body, re.S),
    )
    assert "root:" not in body  # the XXE did not read /etc/passwd into the page
    assert elapsed < SECONDS, (kind, elapsed)
    # The server process did not swallow the file's expansion; the parser's child stayed in its box.
    assert _rss_kib(resource.RUSAGE_SELF) - own_before < 150 * 1024, kind
    # The parser's child stayed in its box. Measured from a fresh process: in this one, ru_maxrss of
    # children is the largest child ever reaped, and subprocess reaps earlier tests' servers and
    # browsers whenever it starts a new child (the sandbox's start included).
    if name.endswith((".pdf", ".docx")):
        assert _sandbox_peak_kib(name, data) < sandbox.MEMORY_BYTES // 1024 + 64 * 1024, kind
    # Still serving: the next request works, and a good file is still audited.
    assert client.get(f"/staff/o/{org.slug}/credentialing/").status_code == 200
    assert _upload(client, org, "good.docx", make_docx()).status_code == 302


@pytest.mark.parametrize("kind", ["billion laughs", "unsupported encryption", "300 pages"])
def test_refusals_are_in_spanish_for_a_spanish_admin(kind, org, org_admin):
    name, build, _message = CORPUS[kind]
    client = Client()
    client.force_login(org_admin)
    body = _upload(client, org, name, build(), lang="es").content.decode()
    spanish = {
        "billion laughs": "definiciones XML",
        "unsupported encryption": "contraseña",
        "300 pages": "más de 100 páginas",
    }[kind]
    assert spanish in body


def test_anonymous_audit_api_bounds_text_size_and_rate(client, settings):
    """The public auditor is stateless and anonymous: its input is capped and its use metered."""
    big = "Have you ever been treated for depression? " * (readers.MAX_ANONYMOUS_TEXT_CHARS // 40)
    started = time.monotonic()
    response = client.post(
        "/api/v1/credentialing/audit", {"text": big}, content_type="application/json"
    )
    assert response.status_code == 422 and time.monotonic() - started < 5
    ok = {"text": "Have you ever been treated for depression?"}
    settings.RESPITE_ANONYMOUS_AUDITS_PER_ADDRESS = 3
    statuses = [
        Client(REMOTE_ADDR="203.0.113.5")
        .post("/api/v1/credentialing/audit", ok, content_type="application/json")
        .status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    other = Client(REMOTE_ADDR="203.0.113.6").post(
        "/api/v1/credentialing/audit", ok, content_type="application/json"
    )
    assert other.status_code == 200
