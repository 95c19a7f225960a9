"""Realistic worker queries with the services a good search must show in its top 5.

Used by the recall test (tests/test_search.py) and the benchmark (bench/bench_directory.py), which
reports recall@5 for English and Spanish queries separately.
"""

from __future__ import annotations

from typing import Any

# (query, language of the query, portal slug or "", filters, acceptable ids: any one in the top 5 is a hit)
QUERIES: list[tuple[str, str, str, dict[str, Any], set[str]]] = [
    (
        "I can't sleep after a patient died and I'm afraid for my nursing license",
        "en",
        "",
        {},
        {"php-directory", "battle-within", "emotional-ppe"},
    ),
    ("free therapy without insurance", "en", "", {}, {"emotional-ppe", "battle-within"}),
    ("I want to kill myself", "en", "", {}, {"988-lifeline", "crisis-text-line"}),
    ("text a crisis counselor tonight", "en", "", {}, {"crisis-text-line", "988-lifeline"}),
    (
        "anonymous psychiatrist for doctors",
        "en",
        "",
        {"role_group": "physician"},
        {"physician-support-line"},
    ),
    (
        "I'm a resident and I'm burned out and scared to tell anyone",
        "en",
        "",
        {"role_group": "physician"},
        {"physician-support-line", "php-directory", "emotional-ppe"},
    ),
    ("grief after losing a colleague to suicide", "en", "", {}, {"afsp-healthcare"}),
    (
        "peer support program for our hospital",
        "en",
        "",
        {"audience": "leader"},
        {"ama-steps-forward", "rise-peer-support", "peer-support-shapiro"},
    ),
    (
        "remove mental health questions from credentialing applications",
        "en",
        "",
        {"audience": "leader"},
        {"wellbeing-first-champion", "ihi-help-health-care-heal"},
    ),
    ("paramedic crisis line for first responders", "en", "", {}, {"safe-call-now", "911-at-ease"}),
    (
        "counseling for my family, I'm a first responder",
        "en",
        "",
        {},
        {"911-at-ease", "safe-call-now"},
    ),
    ("apps and podcasts to cope with stress", "en", "", {}, {"icsi-workers", "nami-healthcare"}),
    ("my employer's EAP counseling", "en", "riverside", {}, {"riverside-eap", "eap-finder"}),
    ("I can't afford groceries this week", "en", "riverside", {}, {"riverside-food-pantry"}),
    (
        "somewhere to talk after a hard shift, a chaplain",
        "en",
        "riverside",
        {},
        {"riverside-chaplaincy"},
    ),
    ("backup childcare when my shift runs late", "en", "lakeview", {}, {"lakeview-childcare"}),
    (
        "secondary trauma training for staff",
        "en",
        "",
        {"audience": "leader"},
        {"secondary-trauma-care"},
    ),
    (
        "suicide prevention guide for hospital leaders",
        "en",
        "",
        {"audience": "leader"},
        {"aha-suicide-prevention"},
    ),
    (
        "confidential help with substance use for a licensed nurse",
        "en",
        "",
        {"role_group": "nurse"},
        {"php-directory"},
    ),
    (
        "talk to someone right now, it's 3am",
        "en",
        "",
        {"available_24_7": True},
        {"988-lifeline", "crisis-text-line"},
    ),
    (
        "no puedo dormir después de que murió un paciente y tengo miedo por mi licencia de enfermera",
        "es",
        "",
        {},
        {"php-directory", "battle-within", "emotional-ppe"},
    ),
    ("terapia gratis sin seguro", "es", "", {}, {"emotional-ppe", "battle-within"}),
    ("quiero matarme", "es", "", {}, {"988-lifeline", "crisis-text-line"}),
    (
        "apoyo entre pares para enfermeras",
        "es",
        "",
        {},
        {"nursing-peer-support-guide", "nami-healthcare", "php-directory"},
    ),
    ("duelo por un colega que murió por suicidio", "es", "", {}, {"afsp-healthcare"}),
    ("despensa de comida para el personal", "es", "riverside", {}, {"riverside-food-pantry"}),
    ("guardería para mis hijos", "es", "lakeview", {}, {"lakeview-childcare"}),
    (
        "consejería del programa de asistencia al empleado",
        "es",
        "riverside",
        {},
        {"riverside-eap", "eap-finder"},
    ),
]


def evaluate(*, semantic: bool = True) -> dict[str, Any]:
    """Run every query against the loaded directory; recall@5 overall and per language, and the misses."""
    from respite.core.models import Organization
    from respite.directory.search import Filters, search

    portals = {o.slug: o for o in Organization.objects.all()}
    hits = {"en": 0, "es": 0}
    totals = {"en": 0, "es": 0}
    misses = []
    for query, lang, portal, filters, expected in QUERIES:
        result = search(
            query,
            organization=portals.get(portal),
            filters=Filters(**filters),
            limit=5,
            semantic=semantic,
        )
        top = [s.id for s in result.services]
        totals[lang] += 1
        if expected & set(top):
            hits[lang] += 1
        else:
            misses.append((query, top))
    n = sum(totals.values())
    return {
        "recall_at_5": sum(hits.values()) / n,
        "recall_en": hits["en"] / totals["en"],
        "recall_es": hits["es"] / totals["es"],
        "queries": n,
        "misses": misses,
    }
