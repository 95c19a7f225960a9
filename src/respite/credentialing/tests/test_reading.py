"""Reading forms: segmentation of pasted text, PDF and DOCX (tables included), and clear errors."""

from __future__ import annotations

import io

import pytest

from respite.credentialing import auditor, readers
from respite.credentialing.tests.factories import TABLE, WRAPPED, make_docx, make_pdf

EXPECTED = [WRAPPED, *[q for _n, q in TABLE]]
LABELS = ["intrusive", "other", "intrusive", "acceptable"]


def _texts(findings):
    return [f.text for f in findings]


def test_numbered_list_with_boxes_wrapping_follow_ups_and_footnotes():
    text = """STATE BOARD OF PHARMACY
Section 4 - Professional Fitness

1. Have you ever been convicted of a felony or a
   misdemeanor other than a minor traffic violation?        ☐ Yes  ☐ No
2) Within the past five years, have you been diagnosed with
   or treated for any mental or emotional disorder?          [ ] Yes [ ] No
   If yes, please explain.
(a) Do you currently have any condition that impairs your ability
    to practice pharmacy safely?  Yes / No
Q4. Have you ever been treated for alcohol or drug dependence?*   Y   N
* For purposes of this question, dependence includes any substance use disorder.
"""
    findings = auditor.audit_text(text)
    assert _texts(findings) == [
        "Have you ever been convicted of a felony or a misdemeanor other than a minor traffic violation?",
        "Within the past five years, have you been diagnosed with or treated for any mental or emotional disorder? If yes, please explain.",
        "Do you currently have any condition that impairs your ability to practice pharmacy safely?",
        "Have you ever been treated for alcohol or drug dependence?*",
    ]
    assert [f.label for f in findings] == ["other", "intrusive", "acceptable", "intrusive"]
    assert findings[3].notes == (
        "For purposes of this question, dependence includes any substance use disorder.",
    )
    assert "fine_print" in findings[3].reasons
    assert findings[0].location == {"paragraph": 2, "line": 4}
    assert {f.profession for f in findings} == {"pharmacy"}


def test_tables_pasted_as_tabs_or_pipes():
    text = (
        "#\tQuestion\tYes\tNo\n1\tHave you ever been hospitalized for a psychiatric condition?\t☐\t☐\n"
        "| 2 | Has your license ever been revoked? | ☐ | ☐ |\n"
    )
    findings = auditor.audit_text(text)
    assert _texts(findings) == [
        "Have you ever been hospitalized for a psychiatric condition?",
        "Has your license ever been revoked?",
    ]
    assert findings[0].location == {"paragraph": 1, "line": 2, "cell": 2}


def test_health_attestations_count_as_questions_but_other_certifications_do_not():
    text = (
        "I attest that I do not currently have any condition that impairs my ability to practice medicine safely.\n"
        "I attest that I have never been treated for a mental illness.\n"
        "I certify that my answers are true and complete.\n"
    )
    findings = auditor.audit_text(text)
    assert [f.label for f in findings] == ["acceptable", "intrusive"]
    assert "asks_past" in findings[1].reasons


def test_statements_headings_and_signature_lines_are_not_questions():
    text = "Health Status\nThe board supports licensees who seek care.\nSignature: ________ Date: ______\n"
    assert auditor.audit_text(text) == []


def test_pdf_with_wrapped_question_and_table_is_read():
    form = readers.read_file("application.pdf", make_pdf())
    findings = auditor.audit(form.lines)
    assert _texts(findings) == EXPECTED
    assert [f.label for f in findings] == LABELS
    assert findings[0].location["page"] == 1 and findings[1].location["page"] == 2
    assert {f.profession for f in findings} == {"nursing"}


def test_docx_with_paragraphs_and_table_is_read():
    form = readers.read_file("application.docx", make_docx())
    findings = auditor.audit(form.lines)
    assert _texts(findings) == EXPECTED
    assert [f.label for f in findings] == LABELS
    assert "paragraph" in findings[0].location
    assert findings[1].location == {"table": 1, "row": 2, "cell": 2}


def test_docx_merged_cells_are_read_once():
    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    merged = table.rows[0].cells[0].merge(table.rows[0].cells[1])
    merged.text = "Have you ever been treated for depression?"
    table.rows[0].cells[2].text = "Yes / No"
    out = io.BytesIO()
    document.save(out)
    findings = auditor.audit(readers.read_file("f.docx", out.getvalue()).lines)
    assert _texts(findings) == ["Have you ever been treated for depression?"]


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("form.pdf", b"%PDF-1.7\nthis is not really a pdf", "could not be read"),
        ("form.pdf", b"PK\x03\x04 a zip named pdf", "not a PDF"),
        ("form.docx", b"PK\x03\x04 broken zip", "could not be read"),
        ("form.docx", b"%PDF-1.7 a pdf named docx", "could not be read"),
        ("form.exe", b"MZ\x90\x00", "Upload a .txt, .pdf or .docx file"),
        ("form", b"Have you ever?", "Upload a .txt, .pdf or .docx file"),
        ("form.txt", b"", "empty"),
        ("form.txt", b"x" * (readers.MAX_BYTES + 1), "larger than 5 MB"),
        ("form.txt", b"\x00\x01binary", "not look like a text file"),
    ],
)
def test_bad_files_get_a_clear_error(name, data, message):
    with pytest.raises(readers.InputError, match=message):
        readers.read_file(name, data)


def test_encrypted_pdf_gets_a_clear_error():
    with pytest.raises(readers.InputError, match="password"):
        readers.read_file("locked.pdf", _encrypted_pdf())


def test_pdf_without_text_gets_a_clear_error():
    from weasyprint import HTML

    with pytest.raises(readers.InputError, match="No text"):
        readers.read_file(
            "scan.pdf", HTML(string="<div style='height:3cm;background:#000'></div>").write_pdf()
        )


def test_pasted_text_too_long_or_empty_gets_a_clear_error_in_the_users_language():
    from django.utils import translation

    with pytest.raises(readers.InputError, match="too long"):
        readers.read_text("x" * (readers.MAX_TEXT_CHARS + 1))
    with translation.override("es"), pytest.raises(readers.InputError) as empty:
        readers.read_text(" \n \n")
    assert str(empty.value) == "No hay texto que auditar."


class _Done:
    def __init__(self, returncode: int, stdout: bytes):
        self.returncode, self.stdout = returncode, stdout


@pytest.mark.parametrize(
    ("ending", "message"),
    [
        # Past the wall-clock limit.
        ("timeout", "takes too long to read"),
        # Killed by the kernel (CPU or memory limit) before it printed anything.
        (_Done(-9, b""), "takes too long to read"),
        # Cut off mid-answer.
        (_Done(0, b'{"lines": [['), "takes too long to read"),
        # A refusal code this version does not know: still the file's own "damaged" message.
        (_Done(0, b'{"error": "new_code"}'), "could not be read; it may be damaged"),
    ],
)
def test_however_the_sandbox_ends_the_uploader_gets_a_message(monkeypatch, ending, message):
    import subprocess

    def run(*args, **kwargs):
        if ending == "timeout":
            raise subprocess.TimeoutExpired(args[0], readers.SANDBOX_SECONDS)
        return ending

    monkeypatch.setattr(readers.subprocess, "run", run)
    with pytest.raises(readers.InputError, match=message):
        readers.read_file("form.pdf", b"%PDF-1.7 whatever")
