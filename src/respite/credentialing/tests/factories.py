"""Application forms made on the fly: PDF (WeasyPrint from HTML, with a table) and DOCX (python-docx)."""

from __future__ import annotations

import io

INTRO = "Board of Nursing. Application for licensure. Answer every question; attach an explanation for each yes."
WRAPPED = (
    "Within the past five years, have you been diagnosed with or treated for bipolar disorder, schizophrenia, "
    "paranoia, or any other psychotic disorder that required hospitalization or ongoing medication?"
)
TABLE = [
    ("1.", "Have you ever been convicted of a felony or misdemeanor?"),
    ("2.", "Have you ever received counseling or therapy for depression or anxiety?"),
    (
        "3.",
        "Do you currently have any condition, physical or mental, that impairs your ability to practice nursing safely?",
    ),
]


def make_pdf() -> bytes:
    from weasyprint import HTML

    rows = "".join(
        f"<tr><td>{n}</td><td>{q}</td><td>☐ Yes</td><td>☐ No</td></tr>" for n, q in TABLE
    )
    html = f"""<html><body style="font-family: sans-serif; font-size: 11pt">
      <h1>Application for licensure</h1><p>{INTRO}</p>
      <ol><li style="width: 9cm">{WRAPPED} ☐ Yes ☐ No</li></ol>
      <div style="page-break-before: always"></div>
      <table style="width: 100%; border-collapse: collapse"><thead><tr><th>#</th><th>Question</th><th>Yes</th><th>No</th></tr></thead>
      <tbody>{rows}</tbody></table></body></html>"""
    return HTML(string=html).write_pdf()


def make_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Application for licensure", level=1)
    document.add_paragraph(INTRO)
    document.add_paragraph("Health history")
    document.add_paragraph(f"A. {WRAPPED} ☐ Yes ☐ No")
    table = document.add_table(rows=len(TABLE) + 1, cols=4)
    for cell, text in zip(table.rows[0].cells, ["#", "Question", "Yes", "No"], strict=True):
        cell.text = text
    for row, (n, question) in zip(table.rows[1:], TABLE, strict=True):
        row.cells[0].text, row.cells[1].text, row.cells[2].text, row.cells[3].text = (
            n,
            question,
            "☐",
            "☐",
        )
    document.add_paragraph("I certify that my answers are true.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
