"""Demo data for trying Respite locally: organizations and staff accounts; other apps add theirs
through ``respite_demo = "dotted.path.to.function"`` on their AppConfig (called with the orgs)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from respite.core.apphooks import installed_hooks
from respite.core.models import Membership, Organization
from respite.core.roles import StaffRole

DEMO_PASSWORD = "respite-demo-password"  # noqa: S105 - local demo only; refused in production


class Command(BaseCommand):
    help = "Load demo organizations and staff accounts (idempotent). Refused in production."

    @transaction.atomic
    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo data is for local use only (RESPITE_ENV=production)")
        riverside, _ = Organization.objects.get_or_create(
            slug="riverside",
            defaults={
                "name": "Riverside Community Health",
                "state": "CA",
                "welcome": "A confidential space for everyone who works at Riverside.",
            },
        )
        lakeview, _ = Organization.objects.get_or_create(
            slug="lakeview",
            defaults={
                "name": "Lakeview Safety-Net Clinic",
                "state": "TX",
                "accent_color": "#5b2a86",
            },
        )
        User = get_user_model()
        accounts = [
            ("admin", None, StaffRole.PLATFORM_ADMIN),
            ("riverside-admin", riverside, StaffRole.ORG_ADMIN),
            ("riverside-counselor", riverside, StaffRole.COUNSELOR),
            ("riverside-peer", riverside, StaffRole.PEER_SUPPORTER),
            ("lakeview-admin", lakeview, StaffRole.ORG_ADMIN),
        ]
        for username, org, role in accounts:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = role == StaffRole.PLATFORM_ADMIN
                user.is_superuser = role == StaffRole.PLATFORM_ADMIN
                user.save()
            Membership.objects.get_or_create(user=user, organization=org, role=role)
        for hooks in installed_hooks():
            if hooks.demo:
                import_string(hooks.demo)([riverside, lakeview])
        self.stdout.write(
            "Demo ready. Portals: /o/riverside/ and /o/lakeview/. Staff sign-in at /staff/login/ as "
            f"admin, riverside-admin, riverside-counselor or riverside-peer; password: {DEMO_PASSWORD}"
        )
