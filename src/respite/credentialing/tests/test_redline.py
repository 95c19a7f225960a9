"""The redlined form: the organization's own .docx with intrusive questions struck and replaced,
a change table, and a PDF of the same, checked as a rendered image."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from types import SimpleNamespace

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from respite.core.models import AuditLog
from respite.core.testing import assert_tagged_pdf
from respite.credentialing import auditor, readers, redline
from respite.credentialing.models import Audit
from respite.credentialing.tests.conftest import page_url
from respite.credentialing.tests.factories import TABLE, WRAPPED, make_docx
from respite.credentialing.views import location_text

NURSING = auditor.suggestion("nursing", "en")


@pytest.fixture
def docx_audit(admin_client, org):
    upload = SimpleUploadedFile("licensure.docx", make_docx())
    response = admin_client.post(page_url("audit_new", org), {"file": upload, "profession": ""})
    assert response.status_code == 302
    return Audit.objects.get()


def _runs(document):
    """Every run of the document, body and table cells, in order."""
    for block in document.iter_inner_content():
        if isinstance(block, docx.table.Table):
            for row in block.rows:
                for cell in row.cells:
                    for para in cell.paragraphs:
                        yield from para.runs
        else:
            yield from block.runs


def test_redlined_docx_strikes_each_intrusive_question_and_inserts_the_suggestion(
    admin_client, org, docx_audit
):
    response = admin_client.get(page_url("audit_redline_docx", org, pk=docx_audit.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    assert "attachment" in response["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.content))
    runs = list(_runs(document))
    struck = [r.text for r in runs if r.font.strike]
    inserted = [r.text.strip() for r in runs if r.font.underline]
    # The two intrusive questions (one in a paragraph, one in a table cell) are struck in place...
    assert WRAPPED in struck
    assert TABLE[1][1] in struck
    # ...each followed by the wording for the profession the form names (nursing).
    assert inserted.count(NURSING) == 2
    # The acceptable and the non-health questions are untouched.
    untouched = " ".join(r.text for r in runs if not r.font.strike)
    assert TABLE[0][1] in untouched and TABLE[2][1] in untouched
    # The rest of the form is kept: its title, its introduction, its boxes.
    texts = [p.text for p in document.paragraphs]
    assert "Application for licensure" in texts and "I certify that my answers are true." in texts
    # The change table: one row per intrusive question, original, suggestion and reasons.
    changes = document.tables[-1]
    assert [c.text for c in changes.rows[0].cells] == [
        "#",
        "Where",
        "Original question",
        "Suggested wording",
        "Why",
    ]
    body = [[c.text for c in row.cells] for row in changes.rows[1:]]
    assert len(body) == 2
    assert body[0][2].startswith("Within the past five years") and body[0][3] == NURSING
    assert "Asks about the past" in body[0][4]
    assert body[1][1] == "table 1, row 3, cell 2"
    entry = AuditLog.objects.get(action="credentialing.redline_downloaded")
    assert entry.detail == {"format": "docx"}


def test_redlined_pdf_renders_with_struck_and_inserted_text(
    admin_client, org, docx_audit, tmp_path
):
    response = admin_client.get(page_url("audit_redline_pdf", org, pk=docx_audit.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    roles = assert_tagged_pdf(response.content, "en")  # PDF/UA: a screen reader gets the tables
    assert roles.get("Table", 0) >= 2
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Have you ever received counseling or therapy for depression or anxiety?" in text
    assert "practice nursing in a competent" in text
    assert "Changes" in text and "Original question" in text
    # Render the first page to an image and look for what a reader sees: red struck text and blue
    # underlined text on a white page.
    pdf = tmp_path / "redline.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    image = Image.open(next(Path(tmp_path).glob("page*.png"))).convert("RGB")
    width, height = image.size
    # Below the colour key at the top: the form itself.
    body = image.crop((0, height // 4, width, height))
    pixels = list(body.get_flattened_data())
    reddish = sum(1 for r, g, b in pixels if r > 130 and g < 90 and b < 90)
    bluish = sum(1 for r, g, b in pixels if b > 120 and r < 60 and g < 110)
    white = sum(1 for r, g, b in pixels if r > 240 and g > 240 and b > 240)
    assert white > len(pixels) * 0.6  # a page, not a blank or a black box
    assert reddish > 100, "no struck (red) question drawn in the form"
    assert bluish > 100, "no inserted (blue) wording drawn in the form"


def test_pasted_form_gets_a_redlined_docx_too(admin_client, org):
    form = (
        "Medical Staff Reappointment\n"
        "1. Have you ever been treated for a mental, emotional or nervous disorder?  Yes  No\n"
        "2. Do you currently have any condition that impairs your ability to practice medicine?\n"
    )
    admin_client.post(page_url("audit_new", org), {"title": "Reappointment", "text": form})
    audit = Audit.objects.get()
    response = admin_client.get(page_url("audit_redline_docx", org, pk=audit.pk))
    document = docx.Document(io.BytesIO(response.content))
    runs = list(_runs(document))
    assert [r.text for r in runs if r.font.strike] == [
        "Have you ever been treated for a mental, emotional or nervous disorder?"
    ]
    assert [r.text.strip() for r in runs if r.font.underline] == [auditor.suggestion("medicine")]


def test_redline_in_spanish_uses_the_spanish_wording(client, org, org_admin, docx_audit):
    client.force_login(org_admin)
    response = client.get(
        page_url("audit_redline_docx", org, pk=docx_audit.pk), HTTP_ACCEPT_LANGUAGE="es"
    )
    document = docx.Document(io.BytesIO(response.content))
    inserted = [r.text.strip() for r in _runs(document) if r.font.underline]
    assert inserted == [auditor.suggestion("nursing", "es")] * 2
    assert "Pregunta original" in [c.text for c in document.tables[-1].rows[0].cells]


@pytest.mark.parametrize("name", ["audit_redline_docx", "audit_redline_pdf"])
def test_outsiders_and_other_roles_get_404_and_post_is_refused(
    client, org, outsider, counselor, org_admin, docx_audit, name
):
    url = page_url(name, org, pk=docx_audit.pk)
    for user in (outsider, counselor):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code in (302, 404)
    client.force_login(org_admin)
    assert client.post(url).status_code == 405


def test_an_audit_without_a_kept_form_says_so(admin_client, org, docx_audit):
    Audit.objects.filter(pk=docx_audit.pk).update(source_docx=None, source_lines=[])
    response = admin_client.get(page_url("audit_redline_docx", org, pk=docx_audit.pk))
    assert response.status_code == 410
    assert "Audit the form again" in response.content.decode()


def test_a_kept_docx_that_no_longer_opens_gets_a_clear_page_not_an_error(
    admin_client, org, docx_audit
):
    Audit.objects.filter(pk=docx_audit.pk).update(source_docx=b"PK\x03\x04 no longer a document")
    response = admin_client.get(page_url("audit_redline_docx", org, pk=docx_audit.pk))
    assert response.status_code == 422
    assert "could not be opened again" in response.content.decode()


# --- redline.build on its own: the edits a reviewer sees, whatever the form looks like ------------


def _questions(lines: list[auditor.Line]) -> list[SimpleNamespace]:
    """The auditor's findings shaped as the stored questions redline.build reads."""
    return [
        SimpleNamespace(
            position=n,
            text=f.text,
            location=f.location,
            label=f.label,
            suggestion=f.suggestion,
            reason_texts=lambda lang, f=f: [auditor.reason_text(r, lang) for r in f.reasons],
        )
        for n, f in enumerate(auditor.audit(lines), start=1)
    ]


def _build(kind: str, lines: list[auditor.Line], data: bytes | None = None, questions=None):
    return redline.build(
        kind=kind,
        data=data,
        lines=[{"text": line.text, "location": line.location} for line in lines],
        questions=_questions(lines) if questions is None else questions,
        lang="en",
        location_text=location_text,
    )


def _marked(document) -> tuple[list[str], list[str]]:
    runs = list(_runs(document))
    return (
        [r.text for r in runs if r.font.strike],
        [r.text.strip() for r in runs if r.font.underline],
    )


def test_a_question_wrapped_over_two_pdf_lines_is_struck_on_both_and_reworded_once():
    lines = [
        auditor.Line("Board of Nursing application", {"page": 1, "line": 1}, boundary=True),
        auditor.Line("4. Have you ever been treated for", {"page": 1, "line": 2}, boundary=True),
        auditor.Line("depression or anxiety?  Yes  No", {"page": 1, "line": 3}),
    ]
    result = _build("pdf", lines)
    document = docx.Document(io.BytesIO(result.docx))
    struck, inserted = _marked(document)
    assert struck == ["Have you ever been treated for", "depression or anxiety?"]
    assert inserted == [NURSING]
    # The box labels after the question stay, and the wording follows the question itself.
    assert document.paragraphs[2].text == f"depression or anxiety? {NURSING}  Yes  No"
    assert [c.found for c in result.changes] == [True]
    # The PDF is drawn from the same edit: struck, inserted and plain text segments in order.
    assert result.blocks[2]["segments"] == [
        ("del", "depression or anxiety?"),
        ("ins", f" {NURSING}"),
        ("text", "  Yes  No"),
    ]


def test_a_question_not_found_in_the_kept_document_is_listed_to_change_by_hand():
    lines = [auditor.Line("Have you ever been treated for depression?", {"paragraph": 1})]
    other = docx.Document()
    other.add_paragraph("Have you ever had a traffic ticket?")
    out = io.BytesIO()
    other.save(out)
    result = _build("docx", lines, data=out.getvalue())
    document = docx.Document(io.BytesIO(result.docx))
    assert _marked(document) == ([], [])  # nothing struck by guesswork
    assert [c.found for c in result.changes] == [False]
    where = document.tables[-1].rows[1].cells[1].text
    assert where == "paragraph 1 (not located in the document: change it by hand)"


def test_a_form_without_intrusive_questions_says_nothing_was_changed():
    lines = [
        auditor.Line("1. Have you ever been convicted of a felony?", {"paragraph": 1}, True),
        auditor.Line(f"2. {TABLE[2][1]}", {"paragraph": 2}, True),
    ]
    result = _build("text", lines)
    assert result.changes == []
    document = docx.Document(io.BytesIO(result.docx))
    assert _marked(document) == ([], [])
    assert document.paragraphs[-1].text == "No intrusive question was found; nothing was changed."


def test_questions_in_merged_and_nested_table_cells_are_struck_in_place():
    question = "Have you ever been treated for depression?"
    form = docx.Document()
    form.add_paragraph("Board of Nursing application")
    table = form.add_table(rows=2, cols=3)
    table.rows[0].cells[0].merge(table.rows[0].cells[1]).text = "Health history"
    table.rows[0].cells[2].text = "Yes / No"
    table.rows[1].cells[0].add_table(rows=1, cols=1).rows[0].cells[0].text = question
    out = io.BytesIO()
    form.save(out)
    data = out.getvalue()
    lines = readers.read_file("form.docx", data).lines
    assert [f.location for f in auditor.audit(lines) if f.label == "intrusive"] == [
        {"table": 2, "row": 1, "cell": 1}
    ]
    result = _build("docx", list(lines), data=data)
    document = docx.Document(io.BytesIO(result.docx))
    inner = document.tables[0].rows[1].cells[0].tables[0].rows[0].cells[0].paragraphs[0]
    assert [(r.text, bool(r.font.strike)) for r in inner.runs] == [
        (question, True),
        (f" {NURSING}", False),
    ]
    # In the PDF the merged heading cell is drawn once: two cells in the first row, not three.
    table_block = next(b for b in result.blocks if b["kind"] == "table")
    assert [[seg for cell in row for seg in cell] for row in table_block["rows"]][0] == [
        [("text", "Health history")],
        [("text", "Yes / No")],
    ]


def test_a_document_without_words_heading_and_table_styles_still_gets_its_change_table():
    form = docx.Document()
    for name in ("Heading 1", "Table Grid"):
        style = form.styles[name]
        style.element.getparent().remove(style.element)
    form.add_paragraph("Have you ever been treated for depression?")
    out = io.BytesIO()
    form.save(out)
    lines = [auditor.Line("Have you ever been treated for depression?", {"paragraph": 1}, True)]
    result = _build("docx", lines, data=out.getvalue())
    document = docx.Document(io.BytesIO(result.docx))
    headings = [p for p in document.paragraphs if p.text == "Changes"]
    assert len(headings) == 1 and headings[0].runs[0].bold
    assert document.tables[-1].rows[1].cells[2].text == "Have you ever been treated for depression?"
