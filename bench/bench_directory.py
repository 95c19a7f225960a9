"""Directory search at scale: 10,000 generated services, p50/p95 latency of keyword and hybrid
(keyword + semantic) search, plus recall@5 of the realistic query set on the shipped data.

Runs in a throwaway test database (never your development data): ``python -m bench bench_directory``.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

N_SERVICES = 10_000
N_QUERIES = 150
QUERY_POOL = [
    "free therapy",
    "I can't sleep after a patient died",
    "crisis line tonight",
    "peer support for nurses",
    "afraid for my license",
    "anonymous psychiatrist",
    "grief counseling",
    "food pantry",
    "childcare help",
    "burnout support group",
    "terapia gratis",
    "no puedo dormir",
    "apoyo entre pares",
    "suicide loss support",
    "talk to someone now",
    "EAP counseling",
    "trauma after a code",
    "chaplain",
    "text a counselor",
    "stress app",
]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _generate(n: int, rng: random.Random) -> int:
    from respite.core.roles import RoleGroup
    from respite.directory.models import Channel, Confidentiality, Cost, Provider, Service

    templates = list(Service.objects.filter(portal__isnull=True).select_related("provider"))
    states = ["CA", "TX", "NY", "FL", "MN", "WA", "OH", "GA"]
    towns = [
        "Springfield",
        "Riverside",
        "Fairview",
        "Madison",
        "Georgetown",
        "Clinton",
        "Salem",
        "Franklin",
    ]
    kinds = [
        "counseling center",
        "peer support circle",
        "wellness program",
        "support group",
        "crisis team",
        "employee assistance program",
        "chaplaincy",
        "food pantry",
        "childcare network",
        "resilience workshop",
    ]
    providers = [
        Provider(
            id=f"gen-org-{i}", name=f"{towns[i % 8]} Health Partners {i}", description="Generated."
        )
        for i in range(200)
    ]
    Provider.objects.bulk_create(providers)
    batch = []
    for i in range(n):
        t = rng.choice(templates)
        town, kind = rng.choice(towns), rng.choice(kinds)
        s = Service(
            id=f"gen-{i}",
            provider=providers[i % 200],
            name=f"{town} {kind} {i}",
            description=f"{t.description} Offered locally in {town} as a {kind}.",
            keywords=t.keywords,
            roles=rng.choice([[], [], [rng.choice(RoleGroup.values)]]),
            audiences=["worker"],
            channels=rng.sample(Channel.values, 2),
            tiers=t.tiers,
            confidentiality=rng.choice(Confidentiality.values),
            cost=rng.choice(Cost.values),
            available_24_7=rng.random() < 0.05,
            languages=rng.choice([["en"], ["en", "es"]]),
            area_scope=rng.choice(["state", "local"]),
            area_states=[rng.choice(states)],
        )
        s.prepare()
        batch.append(s)
        if len(batch) == 1000:
            Service.objects.bulk_create(batch)
            batch = []
    Service.objects.bulk_create(batch)
    return n


def _time_queries(organization, semantic: bool, rng: random.Random) -> list[float]:
    from respite.directory.search import Filters, search

    times = []
    for _ in range(N_QUERIES):
        query = rng.choice(QUERY_POOL)
        filters = Filters(
            role_group=rng.choice(["", "nurse", "physician"]), state=rng.choice(["", "CA", "TX"])
        )
        start = time.perf_counter()
        search(query, organization=organization, filters=filters, limit=10, semantic=semantic)
        times.append((time.perf_counter() - start) * 1000)
    return times


def run() -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from respite.core.testing import make_org
    from respite.directory import search as directory_search
    from respite.directory.demo import DEMO_LOCAL_FILE, SEED_FILE
    from respite.directory.evaluation import evaluate
    from respite.directory.hsds import import_json

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        riverside = make_org("riverside", name="Riverside Community Health", state="CA")
        make_org("lakeview", name="Lakeview Safety-Net Clinic", state="TX")
        import_json(SEED_FILE)
        import_json(DEMO_LOCAL_FILE)
        quality = evaluate()
        keyword_quality = evaluate(semantic=False)
        rng = random.Random(20261123)
        started = time.perf_counter()
        _generate(N_SERVICES, rng)
        generate_s = time.perf_counter() - started
        started = time.perf_counter()
        directory_search.refresh_index()
        directory_search.search("warm up", organization=riverside)
        embed_s = time.perf_counter() - started
        keyword_ms = _time_queries(riverside, semantic=False, rng=rng)
        hybrid_ms = _time_queries(riverside, semantic=True, rng=rng)
        total = directory_search.Service.objects.count()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    result = {
        "services": total,
        "queries_per_mode": N_QUERIES,
        "database": connection.vendor,
        "keyword_ms": {
            "p50": round(statistics.median(keyword_ms), 1),
            "p95": round(_percentile(keyword_ms, 95), 1),
        },
        "hybrid_ms": {
            "p50": round(statistics.median(hybrid_ms), 1),
            "p95": round(_percentile(hybrid_ms, 95), 1),
        },
        "generate_seconds": round(generate_s, 1),
        "embed_seconds": round(embed_s, 1),
        "recall_at_5": {
            "hybrid": round(quality["recall_at_5"], 3),
            "hybrid_en": round(quality["recall_en"], 3),
            "hybrid_es": round(quality["recall_es"], 3),
            "keyword_only": round(keyword_quality["recall_at_5"], 3),
            "keyword_only_es": round(keyword_quality["recall_es"], 3),
            "queries": quality["queries"],
        },
    }
    result["markdown"] = [
        f"Search over {total:,} services ({connection.vendor}), {N_QUERIES} queries per mode, random role/state filters.",
        "",
        "| mode | p50 ms | p95 ms |",
        "|---|---|---|",
        f"| keyword (full-text) | {result['keyword_ms']['p50']} | {result['keyword_ms']['p95']} |",
        f"| hybrid (keyword + semantic) | {result['hybrid_ms']['p50']} | {result['hybrid_ms']['p95']} |",
        "",
        f"Recall@5 on {quality['queries']} realistic worker queries (shipped data): hybrid {quality['recall_at_5']:.2f} "
        f"(English {quality['recall_en']:.2f}, Spanish {quality['recall_es']:.2f}); keyword only "
        f"{keyword_quality['recall_at_5']:.2f} (Spanish {keyword_quality['recall_es']:.2f}).",
        f"Embedding {total:,} services took {embed_s:.1f} s once.",
    ]
    return result
