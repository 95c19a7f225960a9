"""Read one uploaded .pdf or .docx in a throwaway process with hard limits (``readers`` runs this).

    python -I -m respite.credentialing.sandbox pdf|docx < file

The limits are set before anything reads the file, and the kernel enforces them: a zip bomb, a
billion-laughs entity, a 300-page compressed PDF or a parser stuck in a loop ends this process,
never a server thread. It prints one JSON object: ``{"lines": [[text, location, boundary], ...]}``
or ``{"error": CODE}``; ``readers`` turns the code into a message in the uploader's language.

No Django here on purpose: a small process that starts fast and has nothing worth stealing.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import zipfile

# Kept here (not in settings) so the limits hold before any import; readers.py documents them.
MEMORY_BYTES = 512 * 1024 * 1024
CPU_SECONDS = 15
MAX_PAGES = 100
MAX_TEXT_CHARS = 500_000
MAX_DOCX_MEMBERS = 2_000
MAX_DOCX_UNZIPPED = 40 * 1024 * 1024


class Refused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def limit_process() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes no file
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.setrecursionlimit(2_000)


class Lines:
    """Collects text lines and refuses once the text grows past the auditor's limit."""

    def __init__(self) -> None:
        self.rows: list[list] = []
        self.chars = 0

    def add(self, text: str, location: dict, boundary: bool) -> None:
        self.chars += len(text) + 1
        if self.chars > MAX_TEXT_CHARS:
            raise Refused("too_long")
        self.rows.append([text, location, boundary])


def read_pdf(data: bytes) -> list[list]:
    from pypdf import PdfReader

    if not data.startswith(b"%PDF"):
        raise Refused("not_pdf")
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:
        # pypdf gives up early on encryption it does not know; tell the uploader what to do.
        if b"/Encrypt" in data:
            raise Refused("encrypted") from exc
        raise
    if encrypted:
        try:
            opened = bool(reader.decrypt(""))
        except Exception:  # unsupported or broken encryption: still "locked" to the uploader
            opened = False
        if not opened:
            raise Refused("encrypted")
    if len(reader.pages) > MAX_PAGES:
        raise Refused("pages")
    lines = Lines()
    for page_no, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        blank = True
        for line_no, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                blank = True
                continue
            lines.add(raw, {"page": page_no, "line": line_no}, blank)
            blank = False
    if not lines.rows:
        raise Refused("no_text_pdf")
    return lines.rows


def _check_docx_archive(data: bytes) -> None:
    """Unpack every part with a running cap (sizes in the archive can lie) and refuse any XML part
    that declares a DTD: a Word document never needs one, and entities are how XML bombs and
    external-entity reads start. defusedxml's parser refuses them in any text encoding."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise Refused("damaged_docx") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_DOCX_MEMBERS:
            raise Refused("too_big")
        if sum(info.file_size for info in infos) > MAX_DOCX_UNZIPPED:
            raise Refused("too_big")
        total = 0
        for info in infos:
            chunks = []
            with archive.open(info) as member:
                while chunk := member.read(1024 * 1024):
                    total += len(chunk)
                    if total > MAX_DOCX_UNZIPPED:
                        raise Refused("too_big")
                    chunks.append(chunk)
            if info.filename.endswith((".xml", ".rels")):
                try:
                    fromstring(b"".join(chunks), forbid_dtd=True)
                except DefusedXmlException as exc:
                    raise Refused("unsafe_docx") from exc


def read_docx(data: bytes) -> list[list]:
    _check_docx_archive(data)
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    lines = Lines()
    counters = {"paragraph": 0, "table": 0}

    def add_table(table: Table, prefix: dict) -> None:
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
                        lines.add(para.text, loc, first)
                        first = False
                for inner in cell.tables:
                    add_table(inner, prefix)

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            add_table(block, {})
        else:
            counters["paragraph"] += 1
            if block.text.strip():
                lines.add(block.text, {"paragraph": counters["paragraph"]}, False)
    if not lines.rows:
        raise Refused("no_text_docx")
    return lines.rows


def main() -> int:
    limit_process()
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    data = sys.stdin.buffer.read()
    try:
        if kind == "pdf":
            result: dict = {"lines": read_pdf(data)}
        elif kind == "docx":
            result = {"lines": read_docx(data)}
        else:
            result = {"error": "kind"}
    except Refused as refused:
        result = {"error": refused.code}
    except MemoryError:
        result = {"error": "too_big"}
    except RecursionError:
        result = {"error": f"damaged_{kind}"}
    except Exception:  # any other parser failure: the file is damaged, never a server error
        result = {"error": f"damaged_{kind}"}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
