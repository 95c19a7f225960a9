"""Resources for the packet's "From Discussion to Action" page and the composer's link choices.

The directory app (respite.directory.search.recommend) knows the organization's own and state
resources. It is optional: when it is missing or its interface differs, the toolkit's lists are used,
so the packet always prints.
"""

from __future__ import annotations

import logging
from typing import Any

from respite.community import toolkit
from respite.core.models import Organization

log = logging.getLogger(__name__)
# Event audience -> the directory's audience: a room of family and friends gets family resources.
DIRECTORY_AUDIENCE = {"workers": "worker", "mixed": "worker", "others": "family"}


def directory_recommendations(
    *,
    organization: Organization | None,
    state: str = "",
    language: str = "en",
    audience: str = "worker",
    limit: int = 8,
) -> list[dict[str, Any]] | None:
    """Directory results as [{name, description, url, phone}], or None when the directory is unavailable."""
    try:
        from respite.directory.search import recommend

        rows = recommend(
            organization=organization,
            state=state or "",
            language=language,
            audience=audience,
            limit=limit,
        )
    except (ImportError, AttributeError, TypeError) as exc:
        log.info("community: directory recommendations unavailable (%s)", type(exc).__name__)
        return None
    out = []
    for row in rows or []:
        if not isinstance(row, dict) or not row.get("name"):
            continue
        url = str(row.get("url") or "")
        out.append(
            {
                "id": str(row.get("id", "")),
                "name": str(row["name"]),
                "description": str(row.get("description") or ""),
                "url": url if url.startswith("https://") else "",
                "phone": str(row.get("phone") or ""),
            }
        )
    return out


def to_action(
    event_audience: str, *, organization: Organization | None, state: str, language: str
) -> dict[str, Any]:
    """Worker resources (directory first, else the toolkit's), then the toolkit's organization lists.

    Every audience gets the worker resources: people who are not health workers pass them on.
    """
    found = directory_recommendations(
        organization=organization,
        state=state,
        language=language,
        audience=DIRECTORY_AUDIENCE.get(event_audience, "worker"),
    )
    worker_groups = toolkit.resource_groups("worker", language)
    return {
        "source": "directory" if found else "toolkit",
        "directory": found or [],
        "worker_groups": worker_groups,
        "organization_groups": toolkit.resource_groups("organization", language),
    }


def link_choices(*, organization: Organization | None, language: str) -> list[dict[str, str]]:
    """Resources the composer can append: the toolkit's link, then directory or toolkit resources with a URL."""
    social = toolkit.social(language)
    choices = [{"key": "allin", "name": social["link"]["name"], "url": social["link"]["url"]}]
    found = directory_recommendations(organization=organization, language=language) or []
    for row in found:
        if row["url"]:
            choices.append(
                {"key": f"dir-{row['id'] or len(choices)}", "name": row["name"], "url": row["url"]}
            )
    for group in toolkit.resource_groups("worker", language):
        for item in group["items"]:
            if item["url"]:
                choices.append({"key": item["id"], "name": item["name"], "url": item["url"]})
    seen: set[str] = set()
    unique = []
    for c in choices:
        if c["url"] not in seen:
            seen.add(c["url"])
            unique.append(c)
    return unique
