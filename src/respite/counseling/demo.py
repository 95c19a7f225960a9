"""Demo volunteer therapists and counseling settings (idempotent; called by ``respite demo``)."""

from __future__ import annotations

from datetime import time

from django.contrib.auth import get_user_model
from django.utils import timezone

from respite.core.models import Organization, is_platform_admin
from respite.counseling import scheduling
from respite.counseling.models import Clinician, CounselingSettings, WeeklyAvailability

DEMO_PASSWORD = "respite-demo-password"  # noqa: S105 - same local-only password as core's demo

THERAPISTS = [
    {
        "username": "volunteer-ana",
        "display_name": "Ana R., LCSW",
        "licence_type": "lcsw",
        "states": ["CA", "TX"],
        "licence_number": "LCSW-DEMO-1001",
        "languages": ["en", "es"],
        "specialties": ["trauma", "grief", "burnout"],
        "modalities": ["video", "phone"],
        "time_zone": "America/Los_Angeles",
        "bio": "Former ICU social worker. Trauma and grief after hard shifts.",
    },
    {
        "username": "volunteer-james",
        "display_name": "Dr. James T., PsyD",
        "licence_type": "psychologist",
        "states": ["CA", "NY"],
        "licence_number": "PSY-DEMO-2002",
        "languages": ["en"],
        "specialties": ["moral_injury", "anxiety", "substance_use"],
        "modalities": ["video"],
        "time_zone": "America/New_York",
        "bio": "Works with physicians and nurses on moral injury.",
    },
]


def load(orgs: list[Organization]) -> None:
    User = get_user_model()
    verifier = next(
        (u for u in User.objects.filter(username="admin") if is_platform_admin(u)), None
    )
    for spec in THERAPISTS:
        spec = dict(spec)
        user, created = User.objects.get_or_create(username=spec.pop("username"))
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        clinician, made = Clinician.objects.get_or_create(
            user=user,
            defaults={
                **spec,
                "session_cap": 12,
                "verified_at": timezone.now(),
                "verified_by": verifier,
            },
        )
        if made:
            for weekday in range(5):
                WeeklyAvailability.objects.create(
                    clinician=clinician, weekday=weekday, start=time(17), end=time(20)
                )
            WeeklyAvailability.objects.create(
                clinician=clinician, weekday=5, start=time(9), end=time(12)
            )
        scheduling.generate_slots(clinician)
    for org in orgs:
        CounselingSettings.objects.get_or_create(
            organization=org, defaults={"reply_target_hours": 24}
        )
