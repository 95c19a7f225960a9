"""Reading application forms: pasted text, .txt, .pdf (pypdf) and .docx (python-docx).

Every failure becomes an ``InputError`` whose message can be shown to the person who uploaded the
file as is; nothing here logs or keeps the file.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

from respite.credentialing.auditor import Line, text_lines

MAX_BYTES = 5 * 1024 * 1024
MAX_PAGES = 300
MAX_TEXT_CHARS = 500_000
# A .docx is a zip: refuse archives that would expand past this (zip bombs).
MAX_DOCX_UNZIPPED = 60 * 1024 * 1024
KINDS = {
    "txt": "text/plain",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class InputError(ValueError):
    """The file cannot be audited; the message says why in words the uploader understands."""


@dataclass(frozen=True)
class Form:
    kind: str  # "text", "txt", "pdf", "docx"
    lines: list[Line]
    # The uploaded .docx itself, kept so the redlined copy can be the organization's own document.
    data: bytes = b""

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def read_text(text: str) -> Form:
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            _("The text is too long (more than %(n)s characters).") % {"n": f"{MAX_TEXT_CHARS:,}"}
        )
    lines = text_lines(text)
    if not lines:
        raise InputError(_("There is no text to audit."))
    return Form("text", lines)


def read_file(name: str, data: bytes) -> Form:
    """Read an uploaded form, choosing the reader by the file's extension and checking its content."""
    if len(data) > MAX_BYTES:
        raise InputError(
            _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    if not data:
        raise InputError(_("The file is empty."))
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext == "txt":
        return _read_txt(data)
    if ext == "pdf":
        return _read_pdf(data)
    if ext == "docx":
        return _read_docx(data)
    raise InputError(_("Upload a .txt, .pdf or .docx file (this one is not)."))


def _read_txt(data: bytes) -> Form:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything; kept for clarity
        raise InputError(_("The text file is not in a readable encoding (save it as UTF-8)."))
    if "\x00" in text:
        raise InputError(_("This does not look like a text file."))
    form = read_text(text)
    return Form("txt", form.lines)


def _read_pdf(data: bytes) -> Form:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.startswith(b"%PDF"):
        raise InputError(_("This file is not a PDF, or it is damaged."))
    lines: list[Line] = []
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(
                _("This PDF is password-protected. Remove the password and try again.")
            )
        if len(reader.pages) > MAX_PAGES:
            raise InputError(_("The PDF has more than %(n)s pages.") % {"n": MAX_PAGES})
        for page_no, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            blank = True
            for line_no, raw in enumerate(text.splitlines(), start=1):
                if not raw.strip():
                    blank = True
                    continue
                lines.append(Line(raw, {"page": page_no, "line": line_no}, boundary=blank))
                blank = False
    except InputError:
        raise
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
    ) as exc:
        raise InputError(_("This PDF could not be read; it may be damaged.")) from exc
    if not lines:
        raise InputError(
            _(
                "No text was found in this PDF. If it is a scan, paste the questions as text instead."
            )
        )
    return Form("pdf", lines)


def _read_docx(data: bytes) -> Form:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_DOCX_UNZIPPED:
                raise InputError(_("This document is too large once unpacked."))
        document = docx.Document(io.BytesIO(data))
    except InputError:
        raise
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise InputError(
            _("This .docx file could not be read; it may be damaged or not a Word document.")
        ) from exc

    lines: list[Line] = []
    counters = {"paragraph": 0, "table": 0}

    def add_table(table: Table, prefix: dict[str, int]) -> None:
        counters["table"] += 1
        table_no = counters["table"]
        seen: set = set()  # the cell elements themselves: ids of short-lived proxies get reused
        for row_no, row in enumerate(table.rows, start=1):
            for cell_no, cell in enumerate(row.cells, start=1):
                if cell._tc in seen:  # a merged cell appears once per grid column it spans
                    continue
                seen.add(cell._tc)
                loc = {**prefix, "table": table_no, "row": row_no, "cell": cell_no}
                first = True
                for para in cell.paragraphs:
                    if para.text.strip():
                        lines.append(Line(para.text, loc, boundary=first))
                        first = False
                for inner in cell.tables:
                    add_table(inner, prefix)

    try:
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                add_table(block, {})
            else:
                counters["paragraph"] += 1
                if block.text.strip():
                    lines.append(Line(block.text, {"paragraph": counters["paragraph"]}))
    except (KeyError, ValueError, AttributeError, IndexError) as exc:
        raise InputError(_("This .docx file could not be read; it may be damaged.")) from exc
    if not lines:
        raise InputError(_("No text was found in this document."))
    return Form("docx", lines, data)
