"""The ``respite`` command: Django's management commands under one short name.

``respite serve``, ``respite demo``, ``respite score phq9 --answers 0,1,2,...``, ``respite migrate``...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "respite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["respite", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
