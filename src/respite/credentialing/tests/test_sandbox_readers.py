"""The sandbox's readers, called in this process: the same code ``readers`` runs in a throwaway
process with kernel limits (test_upload_corpus drives that path; coverage cannot see into it)."""

from __future__ import annotations

import io
import json
import sys
import zipfile

import pytest

from respite.credentialing import sandbox
from respite.credentialing.tests.factories import TABLE, make_docx, make_pdf


def _refused(read, data: bytes) -> str:
    with pytest.raises(sandbox.Refused) as refused:
        read(data)
    return refused.value.code


def test_a_pdf_is_read_line_by_line_with_page_and_line():
    rows = sandbox.read_pdf(make_pdf())
    texts = [text for text, _where, _boundary in rows]
    assert any("Application for licensure" in t for t in texts)
    assert {where["page"] for _t, where, _b in rows} == {1, 2}
    assert rows[0][2] is True  # the first line starts a block


def test_a_docx_is_read_with_its_paragraphs_and_table_cells():
    rows = sandbox.read_docx(make_docx())
    texts = " ".join(text for text, _where, _boundary in rows)
    assert "Application for licensure" in texts
    assert all(question[:40] in texts for _n, question in TABLE)
    assert any("table" in where for _t, where, _b in rows)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not a pdf at all", "not_pdf"),
        (b"%PDF-1.7\n1 0 obj <</Encrypt 2 0 R>> endobj\n%%EOF", "encrypted"),
    ],
)
def test_what_is_not_a_readable_pdf_is_refused_with_its_reason(data, code):
    assert _refused(sandbox.read_pdf, data) == code


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_unsafe_or_huge_docx_archives_are_refused_before_parsing(monkeypatch):
    assert _refused(sandbox.read_docx, b"PK not really") == "damaged_docx"
    entity = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert _refused(sandbox.read_docx, _zip({"word/document.xml": entity})) == "unsafe_docx"
    monkeypatch.setattr(sandbox, "MAX_DOCX_MEMBERS", 2)
    many = _zip({f"part{i}.xml": b"<x/>" for i in range(3)})
    assert _refused(sandbox.read_docx, many) == "too_big"
    monkeypatch.setattr(sandbox, "MAX_DOCX_MEMBERS", 2_000)
    monkeypatch.setattr(sandbox, "MAX_DOCX_UNZIPPED", 1_000)
    assert _refused(sandbox.read_docx, _zip({"big.xml": b"<x>" + b"a" * 5_000 + b"</x>"})) == (
        "too_big"
    )


def test_text_past_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_TEXT_CHARS", 50)
    assert _refused(sandbox.read_docx, make_docx()) == "too_long"


def _main(monkeypatch, capsys, kind: str, data: bytes) -> dict:
    monkeypatch.setattr(sandbox, "limit_process", lambda: None)  # not in the test process
    monkeypatch.setattr(sys, "argv", ["sandbox", kind])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert sandbox.main() == 0
    return json.loads(capsys.readouterr().out)


def test_main_prints_lines_or_an_error_code_never_a_traceback(monkeypatch, capsys):
    assert _main(monkeypatch, capsys, "docx", make_docx())["lines"]
    assert _main(monkeypatch, capsys, "pdf", b"junk") == {"error": "not_pdf"}
    assert _main(monkeypatch, capsys, "exe", b"MZ") == {"error": "kind"}
    assert _main(monkeypatch, capsys, "pdf", b"%PDF-1.4 truncated") == {"error": "damaged_pdf"}
