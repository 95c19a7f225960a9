"""The redlined form: the uploaded form with each intrusive question struck through and the
suggested wording inserted after it, plus a table of the changes, as .docx and as PDF.

A .docx upload is edited in place (its own paragraphs, tables and styles are kept). Any other source
(pasted text, .txt, .pdf) has no editable original, so its lines become the paragraphs of a new .docx
and the same edit is made there. The PDF is drawn from the edited document, so the two agree.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from respite.core import pdf
from respite.credentialing import auditor
from respite.credentialing.readers import InputError

# Tracked-change colours of common word processors: red strike for the old text, blue underline
# for the new. Colour is not the only cue (strike and underline carry it too).
DELETED_RGB = (0xA4, 0x16, 0x1A)
INSERTED_RGB = (0x0B, 0x4F, 0x9C)
# A wrapped question rarely spans more than a few paragraphs (PDF lines, say); stop looking after.
MAX_CONTINUATION = 8
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Change:
    position: int
    location: str
    original: str
    suggestion: str
    reasons: tuple[str, ...]
    found: bool  # False when the question could not be located in the document


@dataclass(frozen=True)
class Redline:
    docx: bytes
    blocks: list[dict]  # the edited form for the PDF, see _blocks()
    changes: list[Change]


def _key(location: dict) -> tuple:
    return tuple(sorted(location.items()))


def _document_from_source(kind: str, data: bytes | None, lines: Sequence[dict]):
    """The document to edit and its non-empty paragraphs in reading order, each with the location
    key the reader gave its line (so a question's location finds its paragraph)."""
    import docx
    from docx.table import Table

    if kind == "docx" and data:
        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 - the stored file was read once; say so plainly
            raise InputError(_("The uploaded document could not be opened again.")) from exc
        order: list[tuple[tuple, Any]] = []
        counters = {"paragraph": 0, "table": 0}

        def add_table(table: Table) -> None:
            counters["table"] += 1
            table_no = counters["table"]
            seen: set = set()
            for row_no, row in enumerate(table.rows, start=1):
                for cell_no, cell in enumerate(row.cells, start=1):
                    if cell._tc in seen:
                        continue
                    seen.add(cell._tc)
                    loc = {"table": table_no, "row": row_no, "cell": cell_no}
                    for para in cell.paragraphs:
                        if para.text.strip():
                            order.append((_key(loc), para))
                    for inner in cell.tables:
                        add_table(inner)

        # The same walk as readers._read_docx, so the numbering matches the stored locations.
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                add_table(block)
            else:
                counters["paragraph"] += 1
                if block.text.strip():
                    order.append((_key({"paragraph": counters["paragraph"]}), block))
        return document, order

    document = docx.Document()
    order = []
    for line in lines:
        para = document.add_paragraph(line["text"])
        order.append((_key(line["location"]), para))
    return document, order


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _locate(
    order: list[tuple[tuple, Any]], start: int, question: str
) -> list[tuple[Any, int, int]] | None:
    """Where the question's words are in the paragraphs from ``start`` on: a list of
    (paragraph, first char, end char) spans, or None if they cannot be matched in order."""
    target = [w for w, _, _ in _words(question)]
    if not target:
        return None
    head = target[: min(4, len(target))]
    for first in range(start, min(start + MAX_CONTINUATION, len(order))):
        words = _words(order[first][1].text)
        for i in range(len(words) - len(head) + 1):
            if [w for w, _, _ in words[i : i + len(head)]] != head:
                continue
            spans, t, para_index, j = [], 0, first, i
            para_words = words
            span_start = para_words[j][1]
            while t < len(target):
                if j >= len(para_words):  # the question continues in the next paragraph
                    spans.append((order[para_index][1], span_start, para_words[-1][2]))
                    para_index += 1
                    if para_index >= len(order) or para_index - first > MAX_CONTINUATION:
                        break
                    para_words, j = _words(order[para_index][1].text), 0
                    if not para_words:
                        break
                    span_start = para_words[0][1]
                    continue
                if para_words[j][0] != target[t]:
                    break
                t, j = t + 1, j + 1
            if t == len(target):
                end = para_words[j - 1][2]
                text = order[para_index][1].text
                # Keep the question's own closing mark ("?", ".") inside the struck span.
                while end < len(text) and text[end] in "?.*†‡":
                    end += 1
                spans.append((order[para_index][1], span_start, end))
                return spans
    return None


def _split_runs(paragraph, start: int, end: int) -> list:
    """Split the paragraph's runs at ``start`` and ``end`` and return the runs inside the span.

    Each piece keeps the formatting of the run it came from (a copy of its XML)."""
    from docx.text.run import Run

    inside, pos = [], 0
    for run in list(paragraph.runs):
        text = run.text
        a, b = pos, pos + len(text)
        pos = b
        if b <= start or a >= end or not text:
            continue
        lo, hi = max(start, a) - a, min(end, b) - a
        pieces = [
            (p, is_in)
            for p, is_in in ((text[:lo], False), (text[lo:hi], True), (text[hi:], False))
            if p
        ]
        run.text = pieces[0][0]
        if pieces[0][1]:
            inside.append(run)
        anchor = run._r
        for piece, is_inside in pieces[1:]:
            new = copy.deepcopy(run._r)
            anchor.addnext(new)
            anchor = new
            piece_run = Run(new, paragraph)
            piece_run.text = piece
            if is_inside:
                inside.append(piece_run)
    return inside


def _strike(runs: list) -> None:
    from docx.shared import RGBColor

    for run in runs:
        run.font.strike = True
        run.font.color.rgb = RGBColor(*DELETED_RGB)


def _insert_after(run, text: str, paragraph):
    from docx.shared import RGBColor
    from docx.text.run import Run

    new = copy.deepcopy(run._r)
    run._r.addnext(new)
    inserted = Run(new, paragraph)
    inserted.text = f" {text}"
    inserted.font.strike = False
    inserted.font.underline = True
    inserted.font.color.rgb = RGBColor(*INSERTED_RGB)
    return inserted


def _first_sentence(text: str) -> str:
    """The question itself, without the follow-ups the auditor attached ("If yes, explain")."""
    sentences = auditor._sentences(text)
    return sentences[0] if sentences else text


def build(
    *,
    kind: str,
    data: bytes | None,
    lines: Sequence[dict],
    questions: Sequence,
    lang: str,
    location_text,
) -> Redline:
    """Edit the form: strike each intrusive question and insert the suggested wording after it."""
    document, order = _document_from_source(kind, data, lines)
    index: dict[tuple, int] = {}
    for i, (key, _para) in enumerate(order):
        index.setdefault(key, i)
    changes: list[Change] = []
    for q in questions:
        if q.label != "intrusive":
            continue
        suggestion = q.suggestion(lang) or ""
        start = index.get(_key(q.location))
        spans = _locate(order, start, _first_sentence(q.text)) if start is not None else None
        if spans:
            last_inside = None
            for paragraph, a, b in spans:
                inside = _split_runs(paragraph, a, b)
                _strike(inside)
                if paragraph is spans[-1][0] and inside:
                    last_inside = (inside[-1], paragraph)
            if last_inside:
                _insert_after(last_inside[0], suggestion, last_inside[1])
        changes.append(
            Change(
                q.position,
                location_text(q.location),
                q.text,
                suggestion,
                tuple(q.reason_texts(lang)),
                bool(spans),
            )
        )
    form_blocks = list(_blocks(document))  # before the change table, which the PDF draws itself
    _add_change_table(document, changes)
    out = io.BytesIO()
    document.save(out)
    return Redline(out.getvalue(), form_blocks, changes)


def _add_change_table(document, changes: list[Change]) -> None:
    document.add_page_break()
    # Looked up first: add_heading adds its paragraph before it finds the style missing.
    try:
        document.styles["Heading 1"]
    except KeyError:  # a document without Word's built-in heading styles
        document.add_paragraph().add_run(_("Changes")).bold = True
    else:
        document.add_heading(_("Changes"), level=1)
    if not changes:
        document.add_paragraph(_("No intrusive question was found; nothing was changed."))
        return
    table = document.add_table(rows=1, cols=5)
    # Not every document defines Word's table styles; a plain table is fine then.
    with contextlib.suppress(KeyError, ValueError):
        table.style = "Table Grid"
    headers = ["#", _("Where"), _("Original question"), _("Suggested wording"), _("Why")]
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for change in changes:
        cells = table.add_row().cells
        cells[0].text = str(change.position)
        cells[1].text = change.location + (
            "" if change.found else f" ({_('not located in the document: change it by hand')})"
        )
        cells[2].text = change.original
        cells[3].text = change.suggestion
        cells[4].text = "\n".join(change.reasons)


def _segments(paragraph) -> list[tuple[str, str]]:
    segments: list[tuple[str, str]] = []
    for run in paragraph.runs:
        if not run.text:
            continue
        kind = "del" if run.font.strike else "ins" if run.font.underline else "text"
        if segments and segments[-1][0] == kind:
            segments[-1] = (kind, segments[-1][1] + run.text)
        else:
            segments.append((kind, run.text))
    return segments


def _blocks(document) -> Iterator[dict]:
    """The edited document in reading order for the PDF: paragraphs as marked segments
    ("text", "del", "ins") and tables as rows of cells of such paragraphs."""
    from docx.table import Table

    def table_block(table: Table) -> dict:
        rows = []
        for row in table.rows:
            cells, seen = [], set()
            for cell in row.cells:
                if cell._tc in seen:  # a merged cell is drawn once
                    continue
                seen.add(cell._tc)
                cells.append([_segments(p) for p in cell.paragraphs if p.text.strip()])
            rows.append(cells)
        return {"kind": "table", "rows": rows}

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            yield table_block(block)
        elif block.text.strip():
            yield {"kind": "p", "segments": _segments(block)}


def render_pdf(context: dict, request: HttpRequest) -> bytes:
    # Form text is escaped by the template; core.pdf makes it tagged PDF/UA and fetches only data: URIs.
    return pdf.render_pdf("credentialing/redline_pdf.html", context, request)
