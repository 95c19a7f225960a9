"""The ``respite`` command: Django's management commands under one short name.

``respite serve``, ``respite demo``, ``respite score phq9 --answers 0,1,2,...``, ``respite migrate``...
"""

from __future__ import annotations

import os
import sys

# Django command names cannot contain '-'; these spellings are accepted too.
ALIASES = {
    "audit-questions": "audit_questions",
    "rotate-keys": "rotate_keys",
    "import-hsds": "import_hsds",
    "export-hsds": "export_hsds",
    "peer-reminders": "peer_reminders",
}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "respite.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        args[0] = ALIASES.get(args[0], args[0])
    execute_from_command_line(["respite", *args])


if __name__ == "__main__":
    main()
