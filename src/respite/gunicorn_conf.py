"""gunicorn configuration for production (``deploy/respite-web.service``) and ``respite serve --gunicorn``.

    gunicorn -c python:respite.gunicorn_conf respite.wsgi:application

The master imports the application once (``preload_app``) and serves a few warm-up requests
(``respite.ops.warmup``) before it forks: each worker starts with Django, every app, the templates and
the directory's ranking index already loaded, so a new worker's first request costs about what its
tenth does, and a restarted worker is ready at once instead of re-importing for seconds.

Trade-off: with preloading, ``kill -HUP`` restarts workers from the master's already-loaded code, so
a deploy of new code restarts the service (``systemctl restart respite-web``), see docs/deploy.md.
Every other gunicorn option (bind, workers, timeouts) still comes from ``GUNICORN_CMD_ARGS`` or the
command line, which override this file.
"""

from __future__ import annotations

import gc
import os
from typing import Any

# Numerical libraries start one thread per core for every matrix product; with several gunicorn
# workers on few cores that oversubscribes the CPU (about a third more CPU per directory search).
# One thread each: parallelism comes from the workers. Set before numpy is first imported.
for _var in (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "RAYON_NUM_THREADS",
):
    os.environ.setdefault(_var, "1")
# Hugging Face tokenizers refuse to use their thread pool after a fork; say so up front.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "respite.settings")

preload_app = True


def _warm_up_wanted() -> bool:
    """Unless turned off, when the application served is Respite's own URLconf (not bench_http's
    bare WSGI or Django hello apps, which share this configuration)."""
    from django.apps import apps
    from django.conf import settings

    return (
        os.environ.get("RESPITE_WARMUP", "1") != "0"
        and apps.ready
        and settings.ROOT_URLCONF == "respite.urls"
    )


def when_ready(server: Any) -> None:
    """In the master, after the application is loaded and before any worker is forked."""
    if not _warm_up_wanted():
        return
    from respite.ops.warmup import warm_up

    results = warm_up(server.app.wsgi(), gunicorn_cfg=server.cfg)
    server.log.info(
        "warm-up: %s", ", ".join(f"{path} {status} in {ms:.0f} ms" for path, status, ms in results)
    )
    # Move everything loaded so far out of the garbage collector's reach: a worker's collections
    # then never touch (and copy) the pages it shares with the master.
    gc.collect()
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    """In each new worker, before it accepts a connection: open its database connection and touch
    the pages once more, so the first visitor does not pay for the connection or copy-on-write faults."""
    if not _warm_up_wanted():
        return
    from respite.ops.warmup import warm_up, warm_up_paths

    paths = [p for p in warm_up_paths() if "/directory/" not in p]
    # Twice: the interpreter specialises a function's bytecode only after it has run a few times.
    # Through gunicorn's own HTTP code, which the first visitor would otherwise pay for as well.
    warm_up(worker.wsgi, paths + paths, close_connections=False, gunicorn_cfg=worker.cfg)
    # What the warm-up allocated (caches, rendered page frames, the connection) joins the frozen
    # generation too: otherwise an early visitor's request pays for the first full collection of it.
    gc.collect()
    gc.freeze()
    # Once more after the collection, which handed the memory it freed back to the system: the first
    # visitor would otherwise pay for fresh pages (page faults cost more than the page itself here).
    warm_up(worker.wsgi, paths, close_connections=False, gunicorn_cfg=worker.cfg)
