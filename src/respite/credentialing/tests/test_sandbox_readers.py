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


def _locked_pdf(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt(user_password=user_password, owner_password="owner-only")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_password_protected_pdf_is_refused_but_one_that_opens_without_a_password_is_read():
    assert _refused(sandbox.read_pdf, _locked_pdf("secret")) == "encrypted"
    # Restricted (owner password only): anyone can open it, so the uploader gets an audit.
    rows = sandbox.read_pdf(_locked_pdf(""))
    assert any("Application for licensure" in text for text, _where, _b in rows)


def test_a_pdf_over_the_page_limit_or_without_text_is_refused(monkeypatch):
    from pypdf import PdfWriter

    blank = PdfWriter()
    blank.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    blank.write(out)
    assert _refused(sandbox.read_pdf, out.getvalue()) == "no_text_pdf"
    monkeypatch.setattr(sandbox, "MAX_PAGES", 1)
    assert _refused(sandbox.read_pdf, make_pdf()) == "pages"  # two pages


def test_a_blank_line_on_a_pdf_page_starts_a_new_block(monkeypatch):
    from pypdf import PageObject

    monkeypatch.setattr(
        PageObject,
        "extract_text",
        lambda self, *a, **k: "Have you ever been\ntreated for depression?\n\n  \nSignature",
    )
    rows = sandbox.read_pdf(make_pdf())
    page_one = [(text, boundary) for text, where, boundary in rows if where["page"] == 1]
    assert page_one == [
        ("Have you ever been", True),
        ("treated for depression?", False),  # a wrapped line continues its question
        ("Signature", True),  # after the blank lines: a block of its own
    ]


def _docx_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_docx_merged_cell_is_read_once_and_a_nested_table_is_read_in_place():
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.rows[0].cells[0].merge(table.rows[0].cells[1])
    merged.text = "Have you ever been treated for depression?"
    table.rows[0].cells[2].text = "Yes / No"
    inner = table.rows[1].cells[0].add_table(rows=1, cols=1)
    inner.rows[0].cells[0].text = "Do you take any medication?"
    rows = sandbox.read_docx(_docx_bytes(document))
    texts = [text for text, _where, _b in rows]
    assert texts.count("Have you ever been treated for depression?") == 1
    nested = [where for text, where, _b in rows if text == "Do you take any medication?"]
    assert nested == [{"table": 2, "row": 1, "cell": 1}]


def test_a_docx_without_text_is_refused():
    import docx

    document = docx.Document()
    document.add_paragraph("   ")
    assert _refused(sandbox.read_docx, _docx_bytes(document)) == "no_text_docx"


@pytest.mark.parametrize(
    ("failure", "code"),
    [(MemoryError, "too_big"), (RecursionError, "damaged_docx")],
)
def test_a_parser_that_runs_out_of_memory_or_recursion_is_reported_as_a_code(
    monkeypatch, capsys, failure, code
):
    def explode(data):
        raise failure

    monkeypatch.setattr(sandbox, "read_docx", explode)
    assert _main(monkeypatch, capsys, "docx", b"PK") == {"error": code}


def test_the_sandbox_caps_memory_and_cpu_and_may_not_write_files(monkeypatch):
    import resource

    limits: dict = {}
    monkeypatch.setattr(
        resource, "setrlimit", lambda which, value: limits.__setitem__(which, value)
    )
    monkeypatch.setattr(sys, "setrecursionlimit", lambda n: limits.__setitem__("recursion", n))
    sandbox.limit_process()
    assert limits[resource.RLIMIT_AS] == (sandbox.MEMORY_BYTES, sandbox.MEMORY_BYTES)
    assert limits[resource.RLIMIT_CPU][0] == sandbox.CPU_SECONDS
    assert limits[resource.RLIMIT_FSIZE] == (0, 0)
    assert limits[resource.RLIMIT_CORE] == (0, 0)
    assert limits["recursion"] <= 10_000
