"""Demo data: departments, a lead, three supporters and a few training materials (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from respite.core.models import Membership, Organization
from respite.core.roles import RoleGroup, StaffRole
from respite.peers.models import Department, PeerProgram, Shift, Supporter, TrainingMaterial

DEPARTMENTS = [
    "Emergency",
    "Intensive care",
    "Medical-surgical",
    "Pediatrics",
    "Environmental services",
]
SUPPORTERS = [  # username, display name, departments, roles, languages
    ("riverside-peer", "Sam", ["Emergency"], [RoleGroup.NURSE], ["en", "es"]),
    ("riverside-peer-2", "Ana", ["Pediatrics"], [RoleGroup.PHYSICIAN], ["en", "es"]),
    (
        "riverside-peer-3",
        "Lee",
        ["Environmental services"],
        [RoleGroup.ENVIRONMENTAL_SERVICES],
        ["en"],
    ),
]


def load(orgs: list[Organization]) -> None:
    from respite.core.management.commands.demo import DEMO_PASSWORD

    riverside = orgs[0]
    User = get_user_model()
    depts = {
        name: Department.objects.get_or_create(organization=riverside, name=name)[0]
        for name in DEPARTMENTS
    }
    program = PeerProgram.for_org(riverside)
    lead, created = User.objects.get_or_create(username="riverside-peer-lead")
    if created:
        lead.set_password(DEMO_PASSWORD)
        lead.save()
    Membership.objects.get_or_create(
        user=lead, organization=riverside, role=StaffRole.PEER_SUPPORTER
    )
    program.leads.add(lead)
    today = timezone.localdate()
    for username, name, dept_names, roles, langs in SUPPORTERS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        Membership.objects.get_or_create(
            user=user, organization=riverside, role=StaffRole.PEER_SUPPORTER
        )
        supporter, created = Supporter.objects.get_or_create(
            organization=riverside,
            user=user,
            defaults={
                "display_name": name,
                "training_course": "RISE peer responder training",
                "trained_on": today - timedelta(days=300),
                "refresher_due": today + timedelta(days=65),
                "role_groups": [str(r) for r in roles],
                "languages": langs,
            },
        )
        if created:
            supporter.departments.set([depts[d] for d in dept_names])
            now = timezone.now().replace(minute=0, second=0, microsecond=0)
            Shift.objects.create(supporter=supporter, start=now, end=now + timedelta(hours=12))
    TrainingMaterial.objects.get_or_create(
        organization=riverside,
        title="Psychological first aid: the first conversation",
        defaults={
            "published": True,
            "body": "<p>Listen more than you speak. Ask what would help now. "
            "Never ask for clinical details. Know the crisis lines (988) and the EAP number.</p>",
        },
    )
    TrainingMaterial.objects.get_or_create(
        organization=riverside,
        title="AMA STEPS Forward: peer support programs",
        defaults={
            "published": True,
            "link": "https://edhub.ama-assn.org/steps-forward",
            "body": "<p>The toolkit's module on peer support: building the team and training supporters.</p>",
        },
    )
