"""Crisis options: the one list every crisis path shows first."""

from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from respite.core.datafiles import BILINGUAL_TEXT, load_yaml
from respite.core.text import language, tr

_TEXT = BILINGUAL_TEXT
_HREF = {"type": "string", "pattern": "^(tel:|sms:|https://)"}
CRISIS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "name": _TEXT,
            "text": _TEXT,
            "actions": {
                "type": "array",
                "items": {
                    "type": "object",
                    # href: one address, or one per language (Spanish keywords and the Spanish chat).
                    "properties": {
                        "kind": {"enum": ["call", "text", "chat", "web"]},
                        "href": {
                            "oneOf": [
                                _HREF,
                                {
                                    "type": "object",
                                    "properties": {"en": _HREF, "es": _HREF},
                                    "required": ["en", "es"],
                                    "additionalProperties": False,
                                },
                            ]
                        },
                        "label": _TEXT,
                    },
                    "required": ["kind", "href", "label"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["id", "name", "text", "actions"],
        "additionalProperties": False,
    },
}


@lru_cache(maxsize=1)
def _crisis_data() -> list[dict[str, Any]]:
    data, _index = load_yaml(Path(__file__).parent / "data" / "crisis.yaml", CRISIS_SCHEMA)
    return data


def crisis_options(lang: str | None = None) -> list[dict[str, Any]]:
    """Crisis lines in the worker's language, 988 first."""
    lang = language(lang)
    pick = partial(tr, lang=lang)
    return [
        {
            "id": c["id"],
            "name": pick(c["name"]),
            "text": pick(c["text"]),
            "actions": [
                {
                    "kind": a["kind"],
                    "href": a["href"] if isinstance(a["href"], str) else pick(a["href"]),
                    "label": pick(a["label"]),
                }
                for a in c["actions"]
            ],
        }
        for c in _crisis_data()
    ]
