"""Public, read-only API of the assessment frameworks (their areas, goals and criteria).

An organization's own assessments are not exposed here: they are staff pages behind the admin role.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from respite.assessments import frameworks
from respite.core.apischema import ErrorOut
from respite.core.pagination import paginated

router = Router(tags=["assessments"])
Lang = Literal["en", "es"]


class LevelOut(Schema):
    value: int
    label: str


class CriterionOut(Schema):
    id: str
    goal: str | None
    text: str
    evidence: str


class GoalOut(Schema):
    id: str
    text: str


class ExampleOut(Schema):
    name: str
    description: str
    url: str | None


class AreaOut(Schema):
    id: str
    name: str
    summary: str
    goals: list[GoalOut]
    criteria: list[CriterionOut]
    examples: list[ExampleOut]


class FrameworkOut(Schema):
    id: str
    short_name: str
    name: str
    description: str
    source: str


class FrameworkDetailOut(FrameworkOut):
    scale: list[LevelOut]
    areas: list[AreaOut]


def _summary(f: frameworks.Framework, lang: str) -> dict:
    return {
        "id": f.id,
        "short_name": f.short_name,
        "name": frameworks.tr(f.name, lang),
        "description": frameworks.tr(f.description, lang),
        "source": f.source,
    }


@router.get("/assessments/frameworks", response=list[FrameworkOut])
@paginated
def list_frameworks(request: HttpRequest, lang: Lang = "en"):
    return [_summary(f, lang) for f in frameworks.registry().values()]


@router.get(
    "/assessments/frameworks/{framework_id}", response={200: FrameworkDetailOut, 404: ErrorOut}
)
def get_framework(request: HttpRequest, framework_id: str, lang: Lang = "en"):
    f = frameworks.get(framework_id)
    if f is None:
        return Status(404, {"detail": f"unknown framework '{framework_id}'"})
    t = frameworks.tr
    return {
        **_summary(f, lang),
        "scale": [{"value": lv.value, "label": t(lv.label, lang)} for lv in f.scale],
        "areas": [
            {
                "id": a.id,
                "name": t(a.name, lang),
                "summary": t(a.summary, lang),
                "goals": [{"id": g.id, "text": t(g.text, lang)} for g in a.goals],
                "criteria": [
                    {
                        "id": c.id,
                        "goal": c.goal_id,
                        "text": t(c.text, lang),
                        "evidence": t(c.evidence, lang),
                    }
                    for c in a.criteria
                ],
                "examples": [
                    {"name": e.name, "description": t(e.description, lang), "url": e.url}
                    for e in a.examples
                ],
            }
            for a in f.areas
        ],
    }
