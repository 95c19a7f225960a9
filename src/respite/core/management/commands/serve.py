"""``respite serve``: the portal and its background worker together, for local use.

Ctrl-C stops both. Production runs gunicorn and ``respite worker`` as separate services (docs/deploy.md).
"""

from __future__ import annotations

import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the portal and run its background worker (Django's server; see docs/deploy.md for production)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-worker", action="store_false", dest="worker", help="Serve pages only."
        )

    def handle(self, *args, addrport, worker: bool, **options):
        proc = None
        if worker:
            proc = subprocess.Popen(
                [sys.executable, "-m", "respite.cli", "worker", "--no-startup-delay"]
            )  # noqa: S603
            self.stdout.write(f"Background worker started (pid {proc.pid}).")
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
