"""Links to apps written alongside this one: the resource directory and pulse-survey measures.

Both are optional: when a deployment leaves one out of INSTALLED_APPS, the page says "not
available" instead of failing. Errors inside an installed app are bugs and propagate (a 500 and a
traceback), never hidden behind "not available".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.apps import apps

from respite.core.models import Organization

DIRECTORY = "respite.directory"
PULSE = "respite.pulse"


def _installed(app: str) -> bool:
    return apps.is_installed(app)


def directory_suggestions(
    organization: Organization, limit: int = 3
) -> list[dict[str, Any]] | None:
    """Organization-audience resources from the directory, or None when the directory is unavailable."""
    if not _installed(DIRECTORY):
        return None
    from respite.directory.search import recommend

    found = recommend(organization=organization, audience="organization", limit=limit)
    out = []
    for item in list(found or [])[:limit]:
        if isinstance(item, dict) and item.get("name"):
            out.append(
                {
                    "name": str(item["name"]),
                    "description": str(item.get("description") or ""),
                    "url": str(item.get("url") or ""),
                }
            )
    return out


def measure_choices(organization: Organization) -> list[tuple[str, str]] | None:
    """Pulse measures an action item can watch, or None when the pulse app is unavailable."""
    if not _installed(PULSE):
        return None
    from respite.pulse.reporting import measure_choices as pulse_choices

    return [(str(k), str(label)) for k, label in pulse_choices(organization)]


def _side(raw: Any) -> dict[str, Any]:
    raw = raw if isinstance(raw, dict) else {}
    suppressed = bool(raw.get("suppressed"))
    value = raw.get("value")
    return {
        "suppressed": suppressed,
        # A suppressed side shows neither value nor count, whatever the pulse app sent.
        "value": None if suppressed or value is None else round(float(value), 2),
        "n": None if suppressed else raw.get("n"),
    }


def measure_before_after(
    organization: Organization, key: str, on_date: date
) -> dict[str, Any] | None:
    """{label, before, after} for one measure around a date, or None when it cannot be had."""
    if not key:
        return None
    if not _installed(PULSE):
        return None
    from respite.pulse.reporting import measure_before_after as pulse_before_after

    raw = pulse_before_after(organization, key, on_date)
    if not isinstance(raw, dict):
        return None
    before, after = _side(raw.get("before")), _side(raw.get("after"))
    change = None
    if before["value"] is not None and after["value"] is not None:
        change = round(after["value"] - before["value"], 2)
    return {
        "label": str(raw.get("label") or key),
        "before": before,
        "after": after,
        "change": change,
    }
