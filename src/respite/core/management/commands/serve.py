"""``respite serve``: the portal and its background worker together, for local use.

Ctrl-C stops both. Production runs gunicorn and ``respite worker`` as separate services (docs/deploy.md).
``--gunicorn`` serves with production's gunicorn configuration instead of Django's development server
(``respite.gunicorn_conf``: the app preloaded and warmed up before the workers are forked).
"""

from __future__ import annotations

import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


def gunicorn_command(bind: str, workers: int) -> list[str]:
    """gunicorn with production's configuration, on our own interpreter."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:respite.gunicorn_conf",
        "respite.wsgi:application",
        "-b",
        bind,
        "-w",
        str(workers),
    ]


class Command(BaseCommand):
    help = "Serve the portal and run its background worker (Django's server; see docs/deploy.md for production)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-worker", action="store_false", dest="worker", help="Serve pages only."
        )
        parser.add_argument(
            "--gunicorn",
            action="store_true",
            help="Serve with gunicorn and production's configuration (preloaded, warmed-up workers).",
        )
        parser.add_argument(
            "--workers", type=int, default=2, help="gunicorn worker processes (with --gunicorn)."
        )

    def handle(self, *args, addrport: str, worker: bool, gunicorn: bool, workers: int, **options):
        proc = None
        if worker:
            proc = subprocess.Popen(
                [sys.executable, "-m", "respite.cli", "worker", "--no-startup-delay"]
            )  # noqa: S603
            self.stdout.write(f"Background worker started (pid {proc.pid}).")
        try:
            if gunicorn:
                bind = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
                subprocess.run(gunicorn_command(bind, workers), check=False)  # noqa: S603
            else:
                call_command("runserver", addrport, use_reloader=False)
        finally:
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
