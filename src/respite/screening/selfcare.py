"""Self-care guides from ``selfcare.yaml`` (validated), suggested on the result page by need."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from respite.core.datafiles import BILINGUAL_TEXT, DataFileError, line_of, load_yaml
from respite.core.text import tr

GUIDES_FILE = Path(__file__).parent / "selfcare.yaml"
SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
            "title": BILINGUAL_TEXT,
            "summary": BILINGUAL_TEXT,
            "needs": {"type": "array", "items": {"type": "string"}},
            "breathing": {"type": "boolean"},
            "steps": {"type": "array", "minItems": 1, "items": BILINGUAL_TEXT},
        },
        "required": ["id", "title", "summary", "needs", "steps"],
        "additionalProperties": False,
    },
}


@lru_cache(maxsize=1)
def _guides() -> list[dict[str, Any]]:
    from respite.screening.routing import table

    data, index = load_yaml(GUIDES_FILE, SCHEMA)
    for n, guide in enumerate(data):
        for need in guide["needs"]:
            if need not in table().needs:
                raise DataFileError(
                    GUIDES_FILE,
                    line_of(index, n),
                    f"guide '{guide['id']}' names unknown need '{need}'",
                )
    return data


def _localized(guide: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "id": guide["id"],
        "title": tr(guide["title"], lang),
        "summary": tr(guide["summary"], lang),
        "breathing": guide.get("breathing", False),
        "steps": [tr(s, lang) for s in guide["steps"]],
    }


def all_guides(lang: str) -> list[dict[str, Any]]:
    return [_localized(g, lang) for g in _guides()]


def guide(guide_id: str, lang: str) -> dict[str, Any] | None:
    return next((_localized(g, lang) for g in _guides() if g["id"] == guide_id), None)


def for_needs(need_ids: list[str], lang: str, limit: int = 3) -> list[dict[str, Any]]:
    """Guides for the worker's needs, most pressing need first; with no need, the general ones."""
    chosen: list[dict[str, Any]] = []
    for need in need_ids:
        chosen += [g for g in _guides() if need in g["needs"] and g not in chosen]
    if not chosen:
        chosen = [g for g in _guides() if g["id"] in ("breathing", "sleep-after-nights")]
    return [_localized(g, lang) for g in chosen[:limit]]
