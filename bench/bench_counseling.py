"""Counseling at scale: slot generation for many clinicians and therapist matching latency."""

from __future__ import annotations

import os
import time


def run() -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "respite.settings")
    import django

    django.setup()
    from datetime import time as dtime

    from django.db import connection, transaction
    from django.test.utils import setup_test_environment  # noqa: F401 - keeps DEBUG query log off
    from django.utils import timezone

    from respite.core.testing import make_user
    from respite.counseling.models import Clinician, Slot, WeeklyAvailability
    from respite.counseling.scheduling import generate_slots, match

    rows = []
    for n_clinicians in (50, 200):
        with transaction.atomic():
            sid = transaction.savepoint()
            clinicians = []
            for i in range(n_clinicians):
                user = make_user(f"bench-clin-{time.time_ns()}-{i}")
                c = Clinician.objects.create(
                    user=user,
                    display_name=f"B{i}",
                    licence_type="lcsw",
                    states=["CA", "TX"] if i % 2 else ["CA"],
                    licence_number="B",
                    languages=["en", "es"] if i % 3 == 0 else ["en"],
                    modalities=["video"],
                    verified_at=timezone.now(),
                )
                for wd in range(5):
                    WeeklyAvailability.objects.create(
                        clinician=c, weekday=wd, start=dtime(17), end=dtime(21)
                    )
                clinicians.append(c)
            started = time.perf_counter()
            for c in clinicians:
                generate_slots(c)
            gen = time.perf_counter() - started
            slots = Slot.objects.filter(clinician__in=clinicians).count()
            started = time.perf_counter()
            for _ in range(20):
                match(state="CA", language="es", specialty="grief")
            per_match = (time.perf_counter() - started) / 20
            rows.append((n_clinicians, slots, gen, per_match))
            transaction.savepoint_rollback(sid)
    lines = [
        f"Database: {connection.vendor}.",
        "",
        "| clinicians | slots (28 days) | generate all (s) | one match (ms) |",
        "|---|---|---|---|",
    ]
    lines += [f"| {n} | {s} | {g:.2f} | {m * 1000:.1f} |" for n, s, g, m in rows]
    return {"rows": rows, "markdown": lines}
