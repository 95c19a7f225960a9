"""The ALL IN toolkit's texts (data/toolkit.yaml) and the composer rules (data/social.yaml).

Both files are validated against the schemas below when first loaded, and again at start-up
(CommunityConfig.ready), so a broken edit stops the server with the file and line instead of
failing in front of an organizer. Accessors return plain dicts already in one language.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from respite.core.datafiles import BILINGUAL_TEXT, DataFileError, line_of, load_yaml
from respite.core.text import tr

DATA = Path(__file__).parent / "data"

_TEXT = BILINGUAL_TEXT
_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}
_URL = {"type": "string", "pattern": "^https://[^\\s]+$"}
_TITLED = {
    "type": "object",
    "properties": {"title": _TEXT, "text": _TEXT},
    "required": ["title", "text"],
    "additionalProperties": False,
}
# A non-empty list of texts, each with an id (prompts, posts).
_ID_TEXTS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["id", "text"],
        "additionalProperties": False,
        "properties": {"id": _ID, "text": _TEXT},
    },
}
_LINK = {
    "type": "object",
    "required": ["name", "url"],
    "additionalProperties": False,
    "properties": {"name": _TEXT, "url": _URL},
}

TOOLKIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["source", "guide", "resource_groups", "notes", "social", "fundraising"],
    "additionalProperties": False,
    "properties": {
        "source": {
            "type": "object",
            "required": ["name", "url"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "url": _URL},
        },
        "guide": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "intro",
                "facilitation_tips",
                "sections",
                "to_action_intro",
                "organizing_tips",
            ],
            "properties": {
                "intro": _TEXT,
                "to_action_intro": _TEXT,
                "facilitation_tips": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["id", "audience", "title"],
                        "additionalProperties": False,
                        "properties": {
                            "id": _ID,
                            "audience": {"enum": ["all", "mixed"]},
                            "title": _TEXT,
                            "text": _TEXT,
                            "items": {"type": "array", "items": _TEXT},
                        },
                        "anyOf": [{"required": ["text"]}, {"required": ["items"]}],
                    },
                },
                "sections": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["id", "title", "intro", "questions"],
                        "additionalProperties": False,
                        "properties": {
                            "id": _ID,
                            "title": _TEXT,
                            "intro": _TEXT,
                            "questions": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["id", "audience", "text"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "id": _ID,
                                        "audience": {"enum": ["all", "workers", "others"]},
                                        "text": _TEXT,
                                    },
                                },
                            },
                        },
                    },
                },
                "organizing_tips": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "group", "when", "text"],
                        "additionalProperties": False,
                        "properties": {
                            "id": _ID,
                            "group": {"enum": ["format", "audience", "preparation"]},
                            "when": {"enum": ["any", "virtual", "in_person"]},
                            "text": _TEXT,
                        },
                    },
                },
            },
        },
        "resource_groups": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "audience", "title", "items"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "audience": {"enum": ["worker", "organization"]},
                    "title": _TEXT,
                    "items": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["id", "name", "description"],
                            "additionalProperties": False,
                            "properties": {
                                "id": {"type": "string"},
                                "name": _TEXT,
                                "description": _TEXT,
                                "url": _URL,
                                "phone": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
        "notes": {
            "type": "object",
            "additionalProperties": False,
            "required": ["intro", "prompts", "tips", "checklist", "card_message"],
            "properties": {
                "intro": _TEXT,
                "card_message": _TEXT,
                "prompts": _ID_TEXTS,
                "tips": {"type": "array", "items": _TITLED},
                "checklist": {"type": "array", "items": _TEXT},
            },
        },
        "social": {
            "type": "object",
            "additionalProperties": False,
            "required": ["bridge_example", "tips", "posts", "hashtags", "tags", "link"],
            "properties": {
                "bridge_example": _TEXT,
                "tips": {"type": "array", "items": _TITLED},
                "posts": _ID_TEXTS,
                "hashtags": {"type": "array", "items": {"type": "string", "pattern": "^#\\w+$"}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "link": _LINK,
            },
        },
        "fundraising": {
            "type": "object",
            "additionalProperties": False,
            "required": ["campaign", "intro", "messages", "tiers"],
            "properties": {
                "campaign": _LINK,
                "intro": _TEXT,
                "messages": {"type": "array", "items": _TITLED},
                "tiers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["id", "amount", "name", "text"],
                        "additionalProperties": False,
                        "properties": {
                            "id": _ID,
                            "amount": {"type": "integer", "minimum": 1},
                            "name": _TEXT,
                            "text": _TEXT,
                        },
                    },
                },
            },
        },
    },
}

SOCIAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["networks", "heavy_themes", "resource_markers"],
    "additionalProperties": False,
    "properties": {
        "networks": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "name", "limit", "counting"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "name": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1},
                    "counting": {"enum": ["weighted", "graphemes"]},
                    "url_length": {"type": "integer", "minimum": 1},
                },
            },
        },
        "heavy_themes": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "label", "patterns"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "label": _TEXT,
                    "patterns": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "minLength": 2},
                    },
                },
            },
        },
        "resource_markers": {"type": "array", "items": {"type": "string"}},
    },
}


def _unique_ids(items: list[dict], path: Path, index: dict, *where: Any) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item["id"] in seen:
            raise DataFileError(
                path, line_of(index, *where, i, "id"), f"duplicate id {item['id']!r}"
            )
        seen.add(item["id"])


@lru_cache(maxsize=1)
def toolkit_data() -> dict[str, Any]:
    path = DATA / "toolkit.yaml"
    data, index = load_yaml(path, TOOLKIT_SCHEMA)
    _unique_ids(data["fundraising"]["tiers"], path, index, "fundraising", "tiers")
    _unique_ids(data["social"]["posts"], path, index, "social", "posts")
    _unique_ids(
        [i for g in data["resource_groups"] for i in g["items"]], path, index, "resource_groups"
    )
    return data


@lru_cache(maxsize=1)
def social_data() -> dict[str, Any]:
    path = DATA / "social.yaml"
    data, index = load_yaml(path, SOCIAL_SCHEMA)
    for t, theme in enumerate(data["heavy_themes"]):
        for p, pattern in enumerate(theme["patterns"]):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise DataFileError(
                    path,
                    line_of(index, "heavy_themes", t, "patterns", p),
                    f"not a valid regular expression: {exc}",
                ) from exc
    return data


def _audience_ok(question_audience: str, event_audience: str) -> bool:
    if question_audience == "all":
        return True
    return event_audience == "mixed" or question_audience == event_audience


def discussion_guide(
    audience: str, event_format: str = "in_person", language: str | None = None
) -> dict[str, Any]:
    """The guide for one audience: questions for health workers, for others, or both when mixed.

    In a mixed group each audience-specific question keeps its label ("For health workers"), as the
    toolkit prints it, so the facilitator can address the right people.
    """
    g = toolkit_data()["guide"]
    sections = []
    for s in g["sections"]:
        questions = [
            {"id": q["id"], "audience": q["audience"], "text": tr(q["text"], language)}
            for q in s["questions"]
            if _audience_ok(q["audience"], audience)
        ]
        sections.append(
            {
                "id": s["id"],
                "title": tr(s["title"], language),
                "intro": tr(s["intro"], language),
                "questions": questions,
            }
        )
    tips = [
        {
            "id": t["id"],
            "title": tr(t["title"], language),
            "text": tr(t["text"], language) if "text" in t else "",
            "items": [tr(i, language) for i in t.get("items", [])],
        }
        for t in g["facilitation_tips"]
        if t["audience"] == "all" or audience == "mixed"
    ]
    organizing = [
        {"id": t["id"], "group": t["group"], "text": tr(t["text"], language)}
        for t in g["organizing_tips"]
        if t["when"] in ("any", event_format)
    ]
    return {
        "intro": tr(g["intro"], language),
        "to_action_intro": tr(g["to_action_intro"], language),
        "sections": sections,
        "tips": tips,
        "organizing_tips": organizing,
    }


def resource_groups(audience: str = "worker", language: str | None = None) -> list[dict[str, Any]]:
    """The toolkit's own "From Discussion to Action" lists for 'worker' or 'organization'."""
    return [
        {
            "id": g["id"],
            "title": tr(g["title"], language),
            "items": [
                {
                    "id": i["id"],
                    "name": tr(i["name"], language),
                    "description": tr(i["description"], language),
                    "url": i.get("url", ""),
                    "phone": i.get("phone", ""),
                }
                for i in g["items"]
            ],
        }
        for g in toolkit_data()["resource_groups"]
        if g["audience"] == audience
    ]


def notes(language: str | None = None) -> dict[str, Any]:
    n = toolkit_data()["notes"]
    return {
        "intro": tr(n["intro"], language),
        "card_message": tr(n["card_message"], language),
        "prompts": [{"id": p["id"], "text": tr(p["text"], language)} for p in n["prompts"]],
        "tips": [
            {"title": tr(t["title"], language), "text": tr(t["text"], language)} for t in n["tips"]
        ],
        "checklist": [tr(c, language) for c in n["checklist"]],
    }


def social(language: str | None = None) -> dict[str, Any]:
    s = toolkit_data()["social"]
    return {
        "bridge_example": tr(s["bridge_example"], language),
        "tips": [
            {"title": tr(t["title"], language), "text": tr(t["text"], language)} for t in s["tips"]
        ],
        "posts": [{"id": p["id"], "text": tr(p["text"], language)} for p in s["posts"]],
        "hashtags": list(s["hashtags"]),
        "tags": list(s["tags"]),
        "link": {"name": tr(s["link"]["name"], language), "url": s["link"]["url"]},
    }


def fundraising(language: str | None = None) -> dict[str, Any]:
    f = toolkit_data()["fundraising"]
    return {
        "campaign": {"name": tr(f["campaign"]["name"], language), "url": f["campaign"]["url"]},
        "intro": tr(f["intro"], language),
        "messages": [
            {"title": tr(m["title"], language), "text": tr(m["text"], language)}
            for m in f["messages"]
        ],
        "tiers": [
            {
                "id": t["id"],
                "amount": t["amount"],
                "name": tr(t["name"], language),
                "text": tr(t["text"], language),
            }
            for t in f["tiers"]
        ],
    }


def tier_amounts() -> dict[str, int]:
    return {t["id"]: t["amount"] for t in toolkit_data()["fundraising"]["tiers"]}
