"""Pulse at national scale: 10 million responses in rollups, dashboard latency and submit throughput.

Each database runs in its own subprocess (settings read DATABASE_URL at start-up): SQLite in a
temporary file always, PostgreSQL when DATABASE_URL names one or 127.0.0.1:5432 answers.

Honesty note: the 10,000,000 responses are represented in the rollup table (the only thing
dashboards read), generated directly with executemany; only RAW_ROWS raw response rows are written,
so the response table's size is not the national one. Submission throughput is measured through the
real submit path (response row + rollup upserts in one transaction).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ORGS, SITES, DEPTS, ROUNDS = 20, 10, 5, 8
TOTAL = 10_000_000
RAW_ROWS = 200_000
SUBMITS = 1_000
QUERIES = 120
MEASURES = (
    "respondents",
    "burnout_rate",
    "item:burnout:1",
    "item:work:workload",
    "item:work:voice",
)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _pg_url() -> tuple[str | None, str | None]:
    """(URL, database to drop afterwards). A database of our own per run, so runs never collide."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return url, None
    name = f"respite_bench_pulse_{os.getpid()}"
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2, autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return f"postgres://postgres@127.0.0.1:5432/{name}", name
    except Exception:
        return None, None


def _pg_drop(name: str | None) -> None:
    if not name:
        return
    import psycopg

    with psycopg.connect(PG_ADMIN, connect_timeout=2, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")


def run() -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        targets = {"sqlite": f"sqlite:///{Path(tmp) / 'bench_pulse.sqlite3'}"}
        pg, pg_name = _pg_url()
        if pg:
            targets["postgresql"] = pg
        for name, url in targets.items():
            env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "respite.settings"}
            root = Path(__file__).resolve().parent.parent
            env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), str(root)])
            proc = subprocess.run(
                [sys.executable, "-m", "bench.bench_pulse", "--worker"],
                env=env,
                cwd=root,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if proc.returncode != 0:
                results[name] = {"error": proc.stderr[-2000:]}
                continue
            results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        _pg_drop(pg_name)
    represented = next(
        (r["responses_represented"] for r in results.values() if "error" not in r), TOTAL
    )
    lines = [
        f"{represented:,} generated responses (target {TOTAL:,}; {ORGS} organizations × {ROUNDS} rounds × "
        f"{SITES * (DEPTS + 1)} units × 7 role groups), held in rollups; {RAW_ROWS:,} raw response rows written.",
        "",
        "| database | rollup rows | generation s | dashboard p50 ms | dashboard p95 ms | cold first dashboard ms | submits/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if "error" in r:
            lines.append(
                f"| {name} | error: {r['error'].splitlines()[-1] if r['error'] else '?'} | | | | | |"
            )
            continue
        lines.append(
            f"| {name} | {r['rollup_rows']:,} | {r['generation_s']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['cold_plan_ms']} | {r['submits_per_s']} |"
        )
    lines += [
        "",
        "Dashboard = one full `reporting.dashboard()` (trend, units, roles, heat map, organization, "
        "benchmark over all organizations) with random organization, measure, round, unit and role filters; "
        "disclosure plans cached per survey and data version, and the cross-organization benchmark table for 10 "
        "minutes, after the first request; the cold first dashboard (plan + benchmark over all organizations) "
        "is shown apart.",
        "Submits: single process, one transaction per response through `do_submit`.",
    ]
    if "postgresql" not in results:
        lines.append("PostgreSQL was not reachable, so only SQLite was measured.")
    return {"results": results, "markdown": lines}


def _worker() -> dict:
    import random

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, transaction

    from respite.core.models import Organization
    from respite.pulse import reporting
    from respite.pulse.models import Response, Round, Survey, Unit, add_to_rollups, do_submit

    call_command("migrate", verbosity=0)
    rng = random.Random(42)
    roles = [
        "physician",
        "nurse",
        "environmental_services",
        "medical_assistant",
        "community_health_worker",
        "other",
        "",
    ]
    started = time.perf_counter()
    surveys = []
    with transaction.atomic():
        for o in range(ORGS):
            org = Organization.objects.create(slug=f"bench-{o}", name=f"Bench {o}")
            sites = Unit.objects.bulk_create(
                Unit(organization=org, name=f"Site {s}") for s in range(SITES)
            )
            depts = Unit.objects.bulk_create(
                Unit(organization=org, name=f"Site {s} dept {d}", parent=site)
                for s, site in enumerate(sites)
                for d in range(DEPTS)
            )
            survey = Survey.objects.create(
                organization=org,
                title="Quarterly",
                instruments=["burnout"],
                work_items=["workload", "voice"],
                status=Survey.Status.OPEN,
                mode=Survey.Mode.INVITATION,
            )
            import datetime as dt

            rounds = Round.objects.bulk_create(
                Round(
                    survey=survey,
                    number=i + 1,
                    starts_on=dt.date(2024, 1, 1) + dt.timedelta(days=91 * i),
                    ends_on=dt.date(2024, 1, 14) + dt.timedelta(days=91 * i),
                )
                for i in range(ROUNDS)
            )
            if (
                connection.vendor == "sqlite"
            ):  # bulk_create does not return ids on every backend/version
                rounds = list(survey.rounds.order_by("number"))
                depts = list(Unit.objects.filter(organization=org, parent__isnull=False))
            surveys.append((survey, rounds, depts))
    per_round = TOTAL // (ORGS * ROUNDS)
    rows, raw_budget = [], RAW_ROWS
    for _survey, rounds, depts in surveys:
        cells = [(u, g) for u in depts for g in roles]
        weights = [rng.random() ** 2 for _ in cells]  # skewed: some tiny cells, some big ones
        scale = per_round / sum(weights)
        for rnd in rounds:
            for (unit, role), w in zip(cells, weights, strict=True):
                n = int(w * scale) or rng.randint(0, 4)
                if not n:
                    continue
                burned = sum(1 for _ in range(min(n, 30)) if rng.random() < 0.4) * n / min(n, 30)
                rows.append((rnd.pk, unit.pk, role, "respondents", n, n, n))
                rows.append(
                    (rnd.pk, unit.pk, role, "burnout_rate", n, round(burned), round(burned))
                )
                for m, mu in (
                    ("item:burnout:1", 2.6),
                    ("item:work:workload", 3.1),
                    ("item:work:voice", 3.4),
                ):
                    s = n * (mu + rng.gauss(0, 0.2))
                    rows.append((rnd.pk, unit.pk, role, m, n, s, s * s / n + (n - 1) * 0.9))
    with transaction.atomic():
        for i in range(0, len(rows), 20_000):
            add_to_rollups(rows[i : i + 20_000])
        survey, rounds, depts = surveys[0]
        raw = []
        while raw_budget > 0:
            unit = rng.choice(depts)
            raw.append(
                Response(
                    round=rng.choice(rounds),
                    unit=unit,
                    role_group=rng.choice(roles),
                    answers={
                        "burnout__1": rng.randint(1, 5),
                        "work__workload": rng.randint(1, 5),
                        "work__voice": rng.randint(1, 5),
                    },
                )
            )
            raw_budget -= 1
        Response.objects.bulk_create(raw, batch_size=5000)
    from respite.pulse.releases import do_release

    for survey, rounds, _depts in surveys:  # dashboards read releases: release every (past) round
        for rnd in rounds:
            do_release(survey, rnd, final=True)
    generation = time.perf_counter() - started

    cache.clear()
    t = time.perf_counter()
    reporting.dashboard(surveys[0][0], "burnout_rate")
    cold = time.perf_counter() - t
    for survey, _r, _d in surveys:  # warm every plan once, as the first visitor would
        reporting.dashboard(survey, "respondents")
    times = []
    for _ in range(QUERIES):
        survey, rounds, depts = rng.choice(surveys)
        t = time.perf_counter()
        reporting.dashboard(
            survey,
            rng.choice(MEASURES[1:]),
            round_id=rng.choice(rounds).pk,
            unit_id=rng.choice([None, rng.choice(depts).pk]),
            role=rng.choice([None, "nurse", "physician"]),
        )
        times.append(time.perf_counter() - t)
    times.sort()

    survey, rounds, depts = surveys[1]
    t = time.perf_counter()
    for _ in range(SUBMITS):
        do_submit(
            survey,
            rounds[-1],
            rng.choice(depts),
            rng.choice(roles),
            {
                "burnout__1": rng.randint(1, 5),
                "work__workload": rng.randint(1, 5),
                "work__voice": rng.randint(1, 5),
            },
        )
    submit_s = time.perf_counter() - t
    from respite.pulse.models import Rollup

    return {
        "rollup_rows": Rollup.objects.count(),
        "generation_s": round(generation, 1),
        "responses_represented": sum(r[4] for r in rows if r[3] == "respondents"),
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 1),
        "cold_plan_ms": round(cold * 1000, 1),
        "submits_per_s": round(SUBMITS / submit_s, 1),
    }


if __name__ == "__main__" and "--worker" in sys.argv:
    print(json.dumps(_worker()))
