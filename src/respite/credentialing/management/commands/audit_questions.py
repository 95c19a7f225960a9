"""``respite audit_questions FILE``: one JSON object per detected question, one per line.

FILE is a .txt, .pdf or .docx form, or ``-`` for text on standard input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from respite.credentialing import auditor, readers


class Command(BaseCommand):
    help = "Audit the health questions of a licensing or credentialing form (.txt, .pdf, .docx or - for stdin)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="the form: a .txt, .pdf or .docx file, or - to read text from stdin"
        )
        parser.add_argument(
            "--lang", choices=["en", "es"], default="en", help="language of reasons and suggestions"
        )
        parser.add_argument(
            "--profession",
            choices=list(auditor.vocabulary().professions),
            help="adapt the suggested wording to this profession instead of detecting it",
        )

    def handle(self, *args, file: str, lang: str, profession: str | None, **options):
        with translation.override(lang):
            try:
                if file == "-":
                    form = readers.read_text(sys.stdin.read())
                else:
                    path = Path(file)
                    if not path.is_file():
                        raise CommandError(f"{file}: no such file")
                    if path.stat().st_size > readers.MAX_BYTES:
                        raise CommandError(
                            f"{file}: larger than {readers.MAX_BYTES // (1024 * 1024)} MB"
                        )
                    form = readers.read_file(path.name, path.read_bytes())
            except readers.InputError as err:
                raise CommandError(f"{file}: {err}") from None
            for finding in auditor.audit(form.lines, profession):
                self.stdout.write(json.dumps(finding.as_dict(lang), ensure_ascii=False))
