"""Search quality on realistic worker and leader queries with judged answers (data/relevance_judgments.yaml).

Reported by tests/test_search.py (printed in every test run) and bench/bench_directory.py:

- **hit@5**: share of queries with at least one judged answer in the top 5 (``recall_at_5`` in the
  returned dict, the figure earlier reports called recall@5);
- **recall@5**: judged answers found in the top 5 over ``min(5, judged answers)``, averaged;
- **nDCG@5**: graded (2 = should come first, 1 = useful), log2 discount, averaged.

Every query runs as the worker search page runs it (``worker_view``: leader-only material is hidden
unless the query or the filter asks for it).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from respite.core.datafiles import load_yaml

JUDGMENTS_PATH = Path(__file__).resolve().parent / "data" / "relevance_judgments.yaml"
JUDGMENTS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "minLength": 1},
            "lang": {"enum": ["en", "es"]},
            "portal": {"type": "string"},
            "filters": {"type": "object"},
            "relevant": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"enum": [1, 2]},
            },
        },
        "required": ["q", "lang", "relevant"],
        "additionalProperties": False,
    },
}


@lru_cache(maxsize=1)
def judgments() -> list[dict[str, Any]]:
    data, _index = load_yaml(JUDGMENTS_PATH, JUDGMENTS_SCHEMA)
    # YAML reads the key 211 as a number; service ids are strings.
    return [{**item, "relevant": {str(k): v for k, v in item["relevant"].items()}} for item in data]


def _dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at_5(top: list[str], relevant: dict[str, int]) -> float:
    ideal = _dcg(sorted(relevant.values(), reverse=True)[:5])
    return _dcg([relevant.get(sid, 0) for sid in top[:5]]) / ideal if ideal else 0.0


def recall_at_5(top: list[str], relevant: dict[str, int]) -> float:
    return len(set(top[:5]) & set(relevant)) / min(5, len(relevant))


def evaluate(*, semantic: bool = True) -> dict[str, Any]:
    """Run every judged query against the loaded directory; figures overall and per language."""
    from respite.core.models import Organization
    from respite.directory.models import Service
    from respite.directory.search import Filters, offered_kinds, search

    portals = {o.slug: o for o in Organization.objects.all()}
    per_lang: dict[str, dict[str, list[float]]] = {
        lang: {"hit": [], "recall": [], "ndcg": []} for lang in ("en", "es")
    }
    misses = []
    skipped = []
    own = dict(Service.objects.exclude(portal_service="").values_list("id", "portal_service"))
    for item in judgments():
        portal = portals.get(item.get("portal", ""))
        needs = {own[sid] for sid in item["relevant"] if sid in own}
        if needs and not needs & offered_kinds(portal):
            # Judged in a portal that offers its own people; this one offers none of them.
            skipped.append(item["q"])
            continue
        filters = Filters(**{"worker_view": True, **item.get("filters", {})})
        result = search(
            item["q"],
            organization=portals.get(item.get("portal", "")),
            filters=filters,
            limit=5,
            semantic=semantic,
        )
        top = [s.id for s in result.services]
        relevant = item["relevant"]
        figures = per_lang[item["lang"]]
        figures["hit"].append(float(bool(set(top) & set(relevant))))
        figures["recall"].append(recall_at_5(top, relevant))
        figures["ndcg"].append(ndcg_at_5(top, relevant))
        if not set(top) & set(relevant):
            misses.append((item["q"], top))

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    every = {k: per_lang["en"][k] + per_lang["es"][k] for k in ("hit", "recall", "ndcg")}
    return {
        "queries": len(every["hit"]),
        "queries_en": len(per_lang["en"]["hit"]),
        "queries_es": len(per_lang["es"]["hit"]),
        "recall_at_5": mean(every["hit"]),  # hit@5, the figure the benchmark has always reported
        "recall_en": mean(per_lang["en"]["hit"]),
        "recall_es": mean(per_lang["es"]["hit"]),
        "judged_recall_at_5": mean(every["recall"]),
        "judged_recall_en": mean(per_lang["en"]["recall"]),
        "judged_recall_es": mean(per_lang["es"]["recall"]),
        "ndcg_at_5": mean(every["ndcg"]),
        "ndcg_en": mean(per_lang["en"]["ndcg"]),
        "ndcg_es": mean(per_lang["es"]["ndcg"]),
        "misses": misses,
        "skipped": skipped,
    }
