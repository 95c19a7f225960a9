"""Organizational self-assessment frameworks, loaded from the YAML files in ``frameworks/``.

Each framework (ALL IN's six actions, the IHI coalition's five actions, the six secondary-traumatic-
stress pillars, the National Plan's priority areas) has areas; each area has goals, concrete criteria
rated on the framework's answer scale, and examples taken from the seed documents.

To add a framework, copy a similar file and run the tests: the schema and the semantic checks below
name the file and line of anything wrong (duplicate ids, a criterion pointing at an unknown goal,
a scale that does not start at 0...).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from respite.core.datafiles import (
    BILINGUAL_TEXT,
    DataFileError,
    line_of,
    load_named_yaml,
    non_empty_list_of,
)
from respite.core.text import tr

FRAMEWORK_DIR = Path(__file__).parent / "frameworks"

_ID = {"type": "string", "pattern": "^[a-z0-9_]+$", "maxLength": 40}
_TEXT = BILINGUAL_TEXT
_EXAMPLE = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 2},
        "description": _TEXT,
        "url": {"type": "string", "pattern": "^https://"},
    },
    "required": ["name", "description"],
    "additionalProperties": False,
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": _ID,
        "short_name": {"type": "string", "minLength": 2, "maxLength": 40},
        "name": _TEXT,
        "description": _TEXT,
        "source": {"type": "string", "minLength": 10},
        "order": {"type": "integer"},
        "scale": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer", "minimum": 0},
                    "label": _TEXT,
                    "hint": _TEXT,
                },
                "required": ["value", "label"],
                "additionalProperties": False,
            },
        },
        "commitments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": _ID, "area": _ID, "title": _TEXT, "description": _TEXT},
                "required": ["id", "title", "description"],
                "additionalProperties": False,
            },
        },
        "areas": non_empty_list_of(
            {
                "id": _ID,
                "name": _TEXT,
                "summary": _TEXT,
                "goals": non_empty_list_of({"id": _ID, "text": _TEXT}, ["id", "text"]),
                "criteria": non_empty_list_of(
                    {"id": _ID, "goal": _ID, "text": _TEXT, "evidence": _TEXT},
                    ["id", "text", "evidence"],
                ),
                "examples": {"type": "array", "items": _EXAMPLE},
            },
            ["id", "name", "summary", "goals", "criteria"],
        ),
    },
    "required": ["id", "short_name", "name", "description", "source", "scale", "areas"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Level:
    value: int
    label: dict[str, str]
    hint: dict[str, str] | None = None


@dataclass(frozen=True)
class Goal:
    id: str
    text: dict[str, str]


@dataclass(frozen=True)
class Criterion:
    id: str
    area_id: str
    goal_id: str | None
    text: dict[str, str]
    evidence: dict[str, str]


@dataclass(frozen=True)
class Example:
    name: str
    description: dict[str, str]
    url: str | None = None


@dataclass(frozen=True)
class Area:
    id: str
    name: dict[str, str]
    summary: dict[str, str]
    goals: tuple[Goal, ...]
    criteria: tuple[Criterion, ...]
    examples: tuple[Example, ...]

    def goal(self, goal_id: str | None) -> Goal | None:
        return next((g for g in self.goals if g.id == goal_id), None)


@dataclass(frozen=True)
class SuggestedCommitment:
    id: str
    area_id: str | None
    title: dict[str, str]
    description: dict[str, str]


@dataclass(frozen=True)
class Framework:
    id: str
    short_name: str
    name: dict[str, str]
    description: dict[str, str]
    source: str
    order: int
    scale: tuple[Level, ...]
    areas: tuple[Area, ...]
    commitments: tuple[SuggestedCommitment, ...]

    @property
    def max_value(self) -> int:
        return self.scale[-1].value

    @property
    def criteria(self) -> list[Criterion]:
        return [c for a in self.areas for c in a.criteria]

    def area(self, area_id: str) -> Area | None:
        return next((a for a in self.areas if a.id == area_id), None)

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    def level(self, value: int | None) -> Level | None:
        return next((lv for lv in self.scale if lv.value == value), None)

    def level_label(self, value: int) -> dict[str, str]:
        """The label of a stored rating (``do_record_answers`` accepts only levels on the scale)."""
        level = self.level(value)
        if level is None:
            raise ValueError(f"{value!r} is not a level of {self.id}")
        return level.label

    def goal_choices(self, lang: str | None = None) -> list[tuple[str, str]]:
        """(``area:goal``, label) for every goal, so an action item can name the goal it serves."""
        return [
            (f"{a.id}:{g.id}", f"{tr(a.name, lang)} — {tr(g.text, lang)}")
            for a in self.areas
            for g in a.goals
        ]


def _check(data: dict[str, Any], path: Path, index: dict[tuple, int]) -> None:
    """Semantic checks the JSON schema cannot express. Each error names the offending line."""

    def fail(message: str, *where: Any) -> None:
        raise DataFileError(path, line_of(index, *where), message)

    values = [lv["value"] for lv in data["scale"]]
    for i, value in enumerate(values):
        if i == 0 and value != 0:
            fail("the answer scale must start at 0 (nothing in place)", "scale", 0, "value")
        if i > 0 and value <= values[i - 1]:
            fail(
                f"scale values must be unique and increasing; {value} follows {values[i - 1]}",
                "scale",
                i,
                "value",
            )
    area_ids: set[str] = set()
    criterion_ids: set[str] = set()
    for a, area in enumerate(data["areas"]):
        if area["id"] in area_ids:
            fail(f"duplicate area id {area['id']!r}", "areas", a, "id")
        area_ids.add(area["id"])
        goal_ids: set[str] = set()
        for g, goal in enumerate(area["goals"]):
            if goal["id"] in goal_ids:
                fail(
                    f"duplicate goal id {goal['id']!r} in area {area['id']!r}",
                    "areas",
                    a,
                    "goals",
                    g,
                    "id",
                )
            goal_ids.add(goal["id"])
        for c, crit in enumerate(area["criteria"]):
            if crit["id"] in criterion_ids:
                fail(f"duplicate criterion id {crit['id']!r}", "areas", a, "criteria", c, "id")
            criterion_ids.add(crit["id"])
            if "goal" in crit and crit["goal"] not in goal_ids:
                fail(
                    f"criterion {crit['id']!r} names unknown goal {crit['goal']!r}",
                    "areas",
                    a,
                    "criteria",
                    c,
                    "goal",
                )
    commitment_ids: set[str] = set()
    for i, com in enumerate(data.get("commitments", [])):
        if com["id"] in commitment_ids:
            fail(f"duplicate commitment id {com['id']!r}", "commitments", i, "id")
        commitment_ids.add(com["id"])
        if "area" in com and com["area"] not in area_ids:
            fail(
                f"commitment {com['id']!r} names unknown area {com['area']!r}",
                "commitments",
                i,
                "area",
            )


def load(path: Path | str) -> Framework:
    """Load and validate one framework file; raises DataFileError naming the file and line."""
    path = Path(path)
    data, index = load_named_yaml(path, SCHEMA)
    _check(data, path, index)
    areas = tuple(
        Area(
            id=a["id"],
            name=a["name"],
            summary=a["summary"],
            goals=tuple(Goal(g["id"], g["text"]) for g in a["goals"]),
            criteria=tuple(
                Criterion(c["id"], a["id"], c.get("goal"), c["text"], c["evidence"])
                for c in a["criteria"]
            ),
            examples=tuple(
                Example(e["name"], e["description"], e.get("url")) for e in a.get("examples", [])
            ),
        )
        for a in data["areas"]
    )
    return Framework(
        id=data["id"],
        short_name=data["short_name"],
        name=data["name"],
        description=data["description"],
        source=data["source"],
        order=data.get("order", 100),
        scale=tuple(Level(lv["value"], lv["label"], lv.get("hint")) for lv in data["scale"]),
        areas=areas,
        commitments=tuple(
            SuggestedCommitment(c["id"], c.get("area"), c["title"], c["description"])
            for c in data.get("commitments", [])
        ),
    )


@lru_cache(maxsize=1)
def registry() -> dict[str, Framework]:
    """Every framework shipped with Respite, validated once per process, in display order."""
    loaded = [load(p) for p in sorted(FRAMEWORK_DIR.glob("*.yaml"))]
    return {f.id: f for f in sorted(loaded, key=lambda f: (f.order, f.id))}


def get(framework_id: str) -> Framework | None:
    return registry().get(framework_id)
