"""Demo data: a completed and a follow-up ALL IN assessment at the first organization, with an action
plan and the National Plan's Change Maker commitment. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from respite.assessments import frameworks
from respite.assessments.models import ActionItem, Assessment, Commitment
from respite.core.models import Organization

_FIRST = {"access": 1, "php": 0, "privacy": 1, "peer_support": 2, "education": 1, "reentry": 0}
_SECOND = {"access": 2, "php": 1, "privacy": 2, "peer_support": 3, "education": 2, "reentry": 1}


def load(orgs: list[Organization]) -> None:
    org = orgs[0]
    if Assessment.objects.filter(organization=org, title__startswith="Demo").exists():
        return
    admin = (
        get_user_model()
        .objects.filter(memberships__organization=org, memberships__role="org_admin")
        .first()
    )
    spec = frameworks.registry()["all_in"]
    now = timezone.now()
    for title, when, levels in (
        ("Demo — last year", now - timedelta(days=365), _FIRST),
        ("Demo — this spring", now - timedelta(days=7), _SECOND),
    ):
        a = Assessment.objects.create(
            organization=org,
            framework=spec.id,
            title=title,
            started_by=admin,
            created_at=when,
            completed_at=when,
        )
        if admin is not None:
            a.do_record_answers(
                admin,
                {
                    c.id: (min(levels[area.id] + (i % 2), spec.max_value), "")
                    for area in spec.areas
                    for i, c in enumerate(area.criteria)
                },
            )
    today = timezone.localdate()
    ActionItem.objects.create(
        organization=org,
        framework="all_in",
        area="reentry",
        goal="structured",
        title="Write a return-to-work process with the state PHP",
        owner="HR director",
        due_date=today + timedelta(days=5),
        created_by=admin,
    )
    ActionItem.objects.create(
        organization=org,
        framework="all_in",
        area="php",
        goal="php_access",
        title="Add the state PHP to onboarding and the wellness intranet",
        owner="Chief Wellness Officer",
        due_date=today + timedelta(days=45),
        created_by=admin,
    )
    suggestion = frameworks.registry()["national_plan"].commitments[0]
    Commitment.objects.create(
        organization=org,
        framework="national_plan",
        area=suggestion.area_id or "",
        suggested=suggestion.id,
        title=suggestion.title["en"],
        description=suggestion.description["en"],
        target_date=today + timedelta(days=365),
        created_by=admin,
    )
