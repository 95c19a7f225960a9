"""Tiered recommendations after a screening (self-care, counseling, urgent care, crisis)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from respite.core.datafiles import BILINGUAL_TEXT, load_yaml
from respite.core.text import tr
from respite.screening.instruments import TIERS

_TEXT = BILINGUAL_TEXT
_TIER = {
    "type": "object",
    "properties": {
        "intro": _TEXT,
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": _TEXT,
                    "text": _TEXT,
                    "roles": {"type": "array", "items": {"type": "string"}},
                    # hide when the portal offers this kind of its own people (they are shown above)
                    "unless_own": {"type": "string"},
                },
                "required": ["title", "text"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["intro", "items"],
    "additionalProperties": False,
}
SCHEMA = {
    "type": "object",
    "properties": {t: _TIER for t in TIERS},
    "required": list(TIERS),
    "additionalProperties": False,
}


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    data, _ = load_yaml(Path(__file__).parent / "recommendations.yaml", SCHEMA)
    return data


def for_tier(
    tier: str, role_group: str = "", lang: str | None = None, own: set[str] | None = None
) -> dict[str, Any]:
    """Intro and suggestions for a tier, leaving out services the worker's role cannot use and advice
    to look for something the portal itself offers (``own``: kinds from screening.routing)."""
    block = _data()[tier]
    items = [
        {"title": tr(i["title"], lang), "text": tr(i["text"], lang)}
        for i in block["items"]
        if (not i.get("roles") or role_group in i["roles"])
        and i.get("unless_own") not in (own or set())
    ]
    return {"tier": tier, "intro": tr(block["intro"], lang), "items": items}
