"""Reading application forms: pasted text, .txt, .pdf (pypdf) and .docx (python-docx).

Every failure becomes an ``InputError`` whose message can be shown to the person who uploaded the
file as is; nothing here logs or keeps the file. PDF and Word files are parsed in a separate,
limited process (``sandbox.py``): a hostile file costs at most SANDBOX_SECONDS and the sandbox's
memory, and answers with a message, never a server error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from django.utils.translation import gettext as _

from respite.credentialing import sandbox
from respite.credentialing.auditor import Line, text_lines

MAX_BYTES = 5 * 1024 * 1024
# .pdf and .docx are read in a separate process (``sandbox``) under these limits.
MAX_PAGES = sandbox.MAX_PAGES
MAX_TEXT_CHARS = sandbox.MAX_TEXT_CHARS
MAX_DOCX_UNZIPPED = sandbox.MAX_DOCX_UNZIPPED
SANDBOX_SECONDS = 20  # wall clock, on top of the sandbox's CPU limit (a busy machine is slower)
# Text pasted into the public, anonymous auditor API: a form's questions fit many times over.
MAX_ANONYMOUS_TEXT_CHARS = 50_000


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


def _messages() -> dict[str, str]:
    """What each refusal of the sandbox means to the uploader (built per call: translated)."""
    return {
        "not_pdf": _("This file is not a PDF, or it is damaged."),
        "encrypted": _("This PDF is password-protected. Remove the password and try again."),
        "pages": _("The PDF has more than %(n)s pages.") % {"n": sandbox.MAX_PAGES},
        "no_text_pdf": _(
            "No text was found in this PDF. If it is a scan, paste the questions as text instead."
        ),
        "damaged_pdf": _("This PDF could not be read; it may be damaged."),
        "damaged_docx": _(
            "This .docx file could not be read; it may be damaged or not a Word document."
        ),
        "unsafe_docx": _(
            "This .docx file contains XML definitions that Word never writes, so it was not "
            "opened. Open it in Word and save it again, or paste the questions as text."
        ),
        "no_text_docx": _("No text was found in this document."),
        "too_big": _("This document is too large once unpacked."),
        "too_long": _("The text is too long (more than %(n)s characters).")
        % {"n": f"{MAX_TEXT_CHARS:,}"},
        "too_heavy": _(
            "This file takes too long to read. Split it into smaller files, or paste the "
            "questions as text."
        ),
    }


def _read_in_sandbox(kind: str, data: bytes) -> Form:
    """Parse in ``respite.credentialing.sandbox``: its own process, with memory, CPU and page
    limits set by the kernel, and a wall-clock limit here. Any way it ends is a clear InputError."""
    try:
        done = subprocess.run(  # noqa: S603 - our own module, a fixed argument list
            [sys.executable, "-I", "-m", "respite.credentialing.sandbox", kind],
            input=data,
            capture_output=True,
            timeout=SANDBOX_SECONDS,
            env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError(_messages()["too_heavy"]) from None
    try:
        result = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        result = None
    if not isinstance(result, dict):
        # Killed by the CPU limit (SIGXCPU/SIGKILL) or out of memory before it could answer.
        raise InputError(_messages()["too_heavy"])
    if "error" in result:
        messages = _messages()
        raise InputError(messages.get(result["error"], messages[f"damaged_{kind}"]))
    lines = [
        Line(text, location, boundary=bool(boundary))
        for text, location, boundary in result["lines"]
    ]
    # A .docx is kept so the redlined copy can be the organization's own document (redline.py),
    # which reads it only after the sandbox has found it safe.
    return Form(kind, lines, data if kind == "docx" else b"")


def _read_pdf(data: bytes) -> Form:
    return _read_in_sandbox("pdf", data)


def _read_docx(data: bytes) -> Form:
    return _read_in_sandbox("docx", data)
