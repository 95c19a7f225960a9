"""Readiness probes: can this app server do its work right now?

Each probe returns True or False and logs only the kind of failure (an exception class name), never the
exception text: a database error can quote a host name, a query or a value.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.core.cache import caches
from django.db import connections

logger = logging.getLogger("respite.ops")

# Process-local caches cannot be "down"; probing them proves nothing.
_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def database_ready() -> bool:
    for conn in connections.all():
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as exc:  # any failure means "not ready", whatever the driver raises
            logger.warning("readyz: database %s unavailable (%s)", conn.alias, type(exc).__name__)
            # A broken persistent connection would fail every later probe; drop it so the next
            # probe reconnects (Django would also drop it at the end of the request).
            if not conn.in_atomic_block:
                conn.close()
            return False
    return True


def cache_ready() -> bool:
    for alias, config in settings.CACHES.items():
        if config.get("BACKEND") in _LOCAL_CACHES:
            continue
        key, value = f"respite:readyz:{secrets.token_hex(8)}", secrets.token_hex(8)
        try:
            cache = caches[alias]
            cache.set(key, value, timeout=10)
            ok = cache.get(key) == value
            cache.delete(key)
        except Exception as exc:
            logger.warning("readyz: cache %s unavailable (%s)", alias, type(exc).__name__)
            return False
        if not ok:
            logger.warning("readyz: cache %s did not return what was stored", alias)
            return False
    return True


def queue_ready() -> bool:
    from respite.ops.queue import queue_ready as ready

    return ready()


def ready() -> bool:
    # Every dependency is probed (no short-circuit) so the log names each one that fails; the queue
    # lives in the database, so it is only probed when the database answers.
    database = database_ready()
    cache = cache_ready()
    return database and cache and queue_ready()
