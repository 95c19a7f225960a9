"""Assessments: framework validation at start-up, scorecard/progress pages with many repeated
assessments, and PDF report rendering time (WeasyPrint dominates).

Runs in a subprocess on a temporary SQLite file (settings read DATABASE_URL at start-up).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ASSESSMENTS = 40  # repeated assessments of one framework (ten years of quarterly reviews)
ITEMS = 200  # action items in the plan
RUNS = 5


def _child() -> dict:
    import statistics
    import time
    from datetime import timedelta

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from respite.assessments import frameworks, report
    from respite.assessments.models import ActionItem, Assessment
    from respite.core.roles import StaffRole
    from respite.core.testing import make_org, make_staff

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    for _ in range(RUNS):
        frameworks.registry.cache_clear()
        frameworks.registry()
    load_ms = (time.perf_counter() - t) / RUNS * 1000

    org = make_org("bench")
    admin = make_staff(org, StaffRole.ORG_ADMIN, "bench-admin")
    spec = frameworks.get("national_plan")
    now = timezone.now()
    for n in range(ASSESSMENTS):
        when = now - timedelta(days=90 * (ASSESSMENTS - n))
        a = Assessment.objects.create(
            organization=org, framework=spec.id, title=f"Q{n}", created_at=when, completed_at=when
        )
        a.do_record_answers(admin, {c.id: ((n + i) % 4, "") for i, c in enumerate(spec.criteria)})
    latest = Assessment.objects.filter(organization=org).order_by("-completed_at").first()
    for n in range(ITEMS):
        ActionItem.objects.create(
            organization=org,
            framework=spec.id,
            area=spec.areas[n % 7].id,
            title=f"Item {n}",
            due_date=now.date() + timedelta(days=n),
        )
    client = Client()
    client.force_login(admin)
    base = f"/staff/o/{org.slug}/assessments/"

    def timed(path: str) -> float:
        samples = []
        for _ in range(RUNS):
            t = time.perf_counter()
            assert client.get(path).status_code == 200
            samples.append((time.perf_counter() - t) * 1000)
        return statistics.median(samples)

    pages = {
        "index": timed(base),
        "scorecard": timed(f"{base}{latest.pk}/scorecard/"),
        "scorecard chart (SVG)": timed(f"{base}{latest.pk}/scorecard.svg"),
        "progress (40 assessments)": timed(f"{base}progress/{spec.id}/"),
        "action plan (200 items)": timed(f"{base}plan/"),
        "CSV report": timed(f"{base}{latest.pk}/report.csv"),
    }
    report.pdf(report.build(latest, "en"), "en")  # warm fonts
    t = time.perf_counter()
    pdf = report.pdf(report.build(latest, "en"), "en")
    pages["PDF report"] = (time.perf_counter() - t) * 1000
    return {"load_ms": load_ms, "pages": pages, "pdf_bytes": len(pdf)}


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "respite.settings",
            "LOG_LEVEL": "WARNING",
        }
        src = str(Path(__file__).resolve().parent.parent / "src")
        env["PYTHONPATH"] = os.pathsep.join(
            [src, str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")]
        )
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                "import json, bench.bench_assessments as b; "
                "print('RESULT' + json.dumps(b._child()))",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
    result = json.loads(
        next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))[6:]
    )
    md = [
        f"Four framework files validated in {result['load_ms']:.0f} ms (schema + semantic checks).",
        "",
        f"| page (SQLite, {ASSESSMENTS} assessments, {ITEMS} items) | median ms |",
        "|---|---:|",
    ]
    md += [f"| {name} | {ms:.0f} |" for name, ms in result["pages"].items()]
    md += ["", f"PDF size {result['pdf_bytes'] // 1024} KiB."]
    return {**result, "markdown": md}
