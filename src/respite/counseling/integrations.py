"""Calls into other apps that may not be installed or finished: guarded, so counseling never breaks."""

from __future__ import annotations

import logging

from respite.core.models import Organization

log = logging.getLogger(__name__)


def recommend_resources(
    *,
    organization: Organization | None,
    tier: str,
    role_group: str,
    language: str,
    state: str,
    limit: int = 8,
) -> list[dict]:
    """Directory resources a counselor may share, or [] when the directory app is unavailable."""
    try:
        from respite.directory.search import recommend

        found = recommend(
            organization=organization,
            tier=tier,
            role_group=role_group,
            language=language,
            state=state,
            audience="worker",
            limit=limit,
        )
    except (ImportError, AttributeError):
        return []
    except Exception:  # the directory's own failure must not stop a counselor replying
        log.exception("directory recommend() failed")
        return []
    return [
        r for r in found or [] if isinstance(r, dict) and r.get("id") is not None and r.get("name")
    ]
