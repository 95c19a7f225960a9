"""Directory search: keyword (SQLite FTS5 / PostgreSQL full-text) plus semantic (a static model2vec
embedding model, numpy only), fused by reciprocal rank, with eligibility filters applied first.

Other apps call :func:`recommend`; the worker search page and the API call :func:`search`.

Safety rules, in this order: filters (portal visibility, role eligibility, state, ...) run in the
database before any ranking, so ranking can never surface an ineligible or hidden service; a role named
in the query ("my nursing license") narrows eligibility when the worker chose no role; crisis words
put 24/7 crisis lines first.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import nh3
import numpy as np
from django.db import connection, models
from django.utils.translation import gettext as _

from respite.core.datafiles import load_yaml
from respite.core.models import Organization
from respite.directory.models import Confidentiality, Curation, Service, Tier

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "model"
GLOSSARY_PATH = Path(__file__).resolve().parent / "data" / "glossary.yaml"
GLOSSARY_SCHEMA = {
    "type": "object",
    "properties": {
        "es_en": {"type": "object", "additionalProperties": {"type": "string"}},
        "role_words": {"type": "object", "additionalProperties": {"type": "string"}},
        "license_words": {"type": "array", "items": {"type": "string"}},
        "crisis_words": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["es_en", "role_words", "license_words", "crisis_words"],
    "additionalProperties": False,
}
STOPWORDS = set(
    [
        "a",
        "an",
        "and",
        "are",
        "am",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "cant",
        "can't",
        "could",
        "do",
        "dont",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "have",
        "how",
        "i",
        "im",
        "i'm",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "myself",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "some",
        "that",
        "the",
        "their",
        "them",
        "there",
        "they",
        "this",
        "to",
        "too",
        "up",
        "us",
        "was",
        "we",
        "what",
        "when",
        "where",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "after",
        "before",
        "about",
        "just",
        "really",
        "very",
        "feel",
        "feeling",
        "want",
        "need",
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "unos",
        "unas",
        "y",
        "o",
        "de",
        "del",
        "en",
        "con",
        "por",
        "para",
        "que",
        "me",
        "mi",
        "mis",
        "no",
        "se",
        "su",
        "sus",
        "es",
        "soy",
        "estoy",
        "tengo",
        "yo",
        "despues",
        "antes",
        "muy",
        "mas",
        "pero",
        "como",
        "cuando",
        "donde",
        "quiero",
        "necesito",
        "puedo",
        "siento",
    ]
)
RRF_K = 60
FTS_TABLE = "directory_service_fts"


@lru_cache(maxsize=1)
def glossary() -> dict[str, Any]:
    data, _index = load_yaml(GLOSSARY_PATH, GLOSSARY_SCHEMA)
    return data


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"[a-z0-9]+", _fold(text).replace("'", "")) if t not in STOPWORDS]


# --- the embedding model -------------------------------------------------------------------------

_model_lock = threading.Lock()
_model_state: dict[str, Any] = {}


def get_model():
    """The static embedding model, or None when it cannot be loaded (search falls back to keyword)."""
    with _model_lock:
        if "model" not in _model_state:
            _model_state["model"] = None
            try:
                from model2vec import StaticModel

                if not (MODEL_DIR / "model.safetensors").exists():
                    raise FileNotFoundError(MODEL_DIR / "model.safetensors")
                _model_state["model"] = StaticModel.from_pretrained(
                    str(MODEL_DIR), force_download=False
                )
            except Exception as exc:  # noqa: BLE001 - any failure means keyword-only search
                log.warning(
                    "directory embedding model unavailable (%s); keyword search only",
                    type(exc).__name__,
                )
        return _model_state["model"]


def reset_model() -> None:
    """Forget the loaded model (tests point MODEL_DIR elsewhere)."""
    with _model_lock:
        _model_state.clear()
    _matrix_cache.clear()


def embedding_text(service: Service) -> str:
    return " ".join(
        filter(
            None,
            [
                service.name,
                service.alternate_name,
                _plain(service.description),
                service.keywords,
                service.eligibility_description,
            ],
        )
    )


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html or "")


def _encode(texts: list[str]) -> np.ndarray:
    model = get_model()
    vectors = np.asarray(model.encode(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def refresh_index(services: models.QuerySet[Service] | None = None, *, force: bool = False) -> int:
    """Compute missing embeddings (all of them with ``force``). Returns how many were computed."""
    if get_model() is None:
        return 0
    qs = services if services is not None else Service.objects.all()
    if not force:
        qs = qs.filter(embedding__isnull=True)
    todo = list(qs.select_related("provider"))
    for start in range(0, len(todo), 512):
        batch = todo[start : start + 512]
        vectors = _encode([embedding_text(s) for s in batch])
        for s, v in zip(batch, vectors, strict=True):
            s.embedding = v.astype(np.float32).tobytes()
        Service.objects.bulk_update(batch, ["embedding"], batch_size=512)
    _matrix_cache.clear()
    return len(todo)


_matrix_cache: dict[tuple, tuple[list[str], np.ndarray]] = {}


def _matrix() -> tuple[dict[str, int], np.ndarray]:
    """All active services' embeddings as one matrix, cached until the directory changes."""
    stats = Service.objects.aggregate(n=models.Count("id"), latest=models.Max("updated_at"))
    key = (stats["n"], stats["latest"])
    if key not in _matrix_cache:
        if Service.objects.filter(embedding__isnull=True).exists():
            refresh_index()
        rows = list(
            Service.objects.active().exclude(embedding__isnull=True).values_list("id", "embedding")
        )
        ids = [r[0] for r in rows]
        matrix = (
            np.vstack([np.frombuffer(bytes(r[1]), dtype=np.float32) for r in rows])
            if rows
            else np.zeros((0, 1), dtype=np.float32)
        )
        _matrix_cache.clear()
        _matrix_cache[key] = (ids, matrix)
    ids, matrix = _matrix_cache[key]
    return {sid: i for i, sid in enumerate(ids)}, matrix


# --- keyword search ------------------------------------------------------------------------------


def keyword_scores(
    words: list[str], candidates: set[str] | None = None, limit: int = 300
) -> dict[str, float]:
    """Service id -> keyword relevance (higher is better), using the database's full-text engine."""
    words = [w for w in dict.fromkeys(words) if w]
    if not words:
        return {}
    vendor = connection.vendor
    if vendor == "sqlite" and _fts_available():
        match = " OR ".join(f'"{w}"*' if len(w) >= 4 else f'"{w}"' for w in words)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT s.id, -bm25({FTS_TABLE}) FROM {FTS_TABLE} JOIN directory_service s "  # noqa: S608
                f"ON s.rowid = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH %s ORDER BY rank LIMIT %s",
                [match, limit if candidates is None else max(limit, 5000)],
            )
            rows = cur.fetchall()
    elif vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        query = SearchQuery(
            " | ".join(f"{w}:*" for w in words), search_type="raw", config="english"
        )
        qs = Service.objects.annotate(
            rank=SearchRank(SearchVector("search_text", config="english"), query)
        ).filter(rank__gt=0)
        if candidates is not None:
            qs = qs.filter(id__in=candidates)
        rows = list(qs.order_by("-rank").values_list("id", "rank")[:limit])
    else:
        rows = []
        qs = (
            Service.objects.all()
            if candidates is None
            else Service.objects.filter(id__in=candidates)
        )
        for sid, text in qs.values_list("id", "search_text"):
            have = set(tokens(text))
            hits = sum(1 for w in words if w in have)
            if hits:
                rows.append((sid, float(hits)))
    return {sid: float(score) for sid, score in rows if candidates is None or sid in candidates}


@lru_cache(maxsize=1)
def _fts_available_cached(alias: str) -> bool:  # noqa: ARG001 - cache key
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE type='table' AND name=%s", [FTS_TABLE])
        return cur.fetchone() is not None


def _fts_available() -> bool:
    return _fts_available_cached(connection.settings_dict["NAME"])


# --- search --------------------------------------------------------------------------------------


@dataclass
class Filters:
    role_group: str = ""
    state: str = ""
    language: str = ""
    cost: str = ""
    confidentiality: str = ""
    channel: str = ""
    audience: str = ""
    tier: str = ""
    open_now: bool = False
    available_24_7: bool = False


@dataclass
class SearchResult:
    services: list[Service]
    total: int
    mode: str  # "hybrid", "keyword" or "browse"
    notice: str = ""
    inferred_role: str = ""
    crisis: bool = False
    featured_ids: set[str] = field(default_factory=set)


def filtered(organization: Organization | None, f: Filters) -> models.QuerySet[Service]:
    """The eligibility and facet filters, as one database query. Ranking never widens this set."""
    qs = Service.objects.visible_to(organization).eligible_for_role(f.role_group).for_state(f.state)
    if f.language:
        qs = qs.with_tag("languages", f.language)
    if f.cost:
        qs = qs.filter(cost=f.cost)
    if f.confidentiality:
        qs = qs.filter(confidentiality=f.confidentiality)
    if f.channel:
        qs = qs.with_tag("channels", f.channel)
    if f.audience:
        qs = qs.with_tag("audiences", f.audience)
    if f.tier:
        qs = qs.with_tag("tiers", f.tier)
    if f.available_24_7:
        qs = qs.filter(available_24_7=True)
    return qs


def understand(query: str) -> dict[str, Any]:
    """Expand Spanish words, and read role, licence-fear and crisis signals from the query."""
    g = glossary()
    words = tokens(query)
    expanded = list(words)
    for w in words:
        if w in g["es_en"]:
            expanded += g["es_en"][w].split()
    roles = {g["role_words"][w] for w in words if w in g["role_words"]}
    return {
        "words": list(dict.fromkeys(expanded)),
        "english": " ".join(dict.fromkeys(expanded)),
        "role": roles.pop() if len(roles) == 1 else "",
        "license_fear": any(w in g["license_words"] for w in words),
        "crisis": any(w in g["crisis_words"] for w in words),
    }


def featured_ids(organization: Organization | None) -> set[str]:
    if organization is None:
        return set()
    return set(
        Curation.objects.filter(organization=organization, featured=True).values_list(
            "service_id", flat=True
        )
    )


def search(
    query: str = "",
    *,
    organization: Organization | None = None,
    filters: Filters | None = None,
    limit: int = 20,
    offset: int = 0,
    now: datetime | None = None,
    semantic: bool = True,
) -> SearchResult:
    """Rank the services a worker may see for ``query``; see the module docstring for the rules."""
    f = filters or Filters()
    intent = (
        understand(query)
        if query.strip()
        else {"words": [], "english": "", "role": "", "license_fear": False, "crisis": False}
    )
    inferred_role = ""
    if intent["role"] and not f.role_group:
        inferred_role = intent["role"]
        f = Filters(**{**f.__dict__, "role_group": inferred_role})
    qs = filtered(organization, f)
    featured = featured_ids(organization)
    fields = (
        "id",
        "confidentiality",
        "available_24_7",
        "tiers_key",
        "portal_id",
        "name",
        "audiences_key",
    )
    rows = {r[0]: r for r in qs.values_list(*fields)}
    if f.open_now:
        when = now or datetime.now(UTC)
        open_ids = {
            s.id
            for s in Service.objects.filter(id__in=rows).prefetch_related("schedules")
            if s.is_open_at(when)
        }
        rows = {k: v for k, v in rows.items() if k in open_ids}
    notice = ""
    if not intent["words"]:
        order = sorted(
            rows.values(), key=lambda r: (r[0] not in featured, r[4] is None, r[5].lower())
        )
        mode = "browse"
        ranked = [r[0] for r in order]
    else:
        candidates = set(rows)
        kw = keyword_scores(intent["words"], candidates)
        sem: dict[str, float] = {}
        model = get_model() if semantic else None
        if model is not None and candidates:
            index, matrix = _matrix()
            ids = [sid for sid in candidates if sid in index]
            if ids:
                qv = _encode([intent["english"]])[0]
                sims = matrix[[index[i] for i in ids]] @ qv
                sem = dict(zip(ids, sims.tolist(), strict=True))
            mode = "hybrid"
        else:
            mode = "keyword"
            if semantic:
                notice = _(
                    "Smart search is unavailable right now, so results match your words only."
                )
        score: dict[str, float] = {}
        for ranking in (kw, sem):
            for rank, sid in enumerate(sorted(ranking, key=ranking.__getitem__, reverse=True)):
                score[sid] = score.get(sid, 0.0) + 1.0 / (RRF_K + rank)
        if mode == "hybrid":
            # Semantic similarity is dense: only keep services with some real signal.
            floor = 0.15
            score = {sid: s for sid, s in score.items() if sid in kw or sem.get(sid, 0) >= floor}
        for sid in score:
            r = rows[sid]
            if sid in featured:
                score[sid] += 0.002
            if intent["license_fear"]:
                score[sid] += {
                    Confidentiality.ANONYMOUS: 0.006,
                    Confidentiality.CONFIDENTIAL: 0.004,
                }.get(r[1], -0.004)
            if (
                f.audience != "leader"
                and "|worker|" not in (r[6] or "")
                and "|family|" not in (r[6] or "")
            ):
                score[sid] -= 0.005  # toolkits for leaders rank below help a worker can use today
            if intent["crisis"] and r[2] and f"|{Tier.CRISIS}|" in (r[3] or ""):
                score[sid] += 0.05
        ranked = sorted(score, key=lambda sid: (-score[sid], rows[sid][5].lower()))
    page_ids = ranked[offset : offset + limit]
    by_id = Service.objects.in_bulk(page_ids)
    services = [by_id[sid] for sid in page_ids if sid in by_id]
    models.prefetch_related_objects(services, "phones")
    return SearchResult(
        services=services,
        total=len(ranked),
        mode=mode,
        notice=notice,
        inferred_role=inferred_role,
        crisis=intent["crisis"],
        featured_ids=featured,
    )


# --- recommendations (the contract other apps call) ---------------------------------------------

TIER_RULES: dict[str, dict[str, Any]] = {
    Tier.CRISIS: {"tier": Tier.CRISIS, "available_24_7": True},
    Tier.URGENT: {"tier": Tier.URGENT},
    Tier.COUNSELING: {"tier": Tier.COUNSELING},
    Tier.SELF_CARE: {"tier": Tier.SELF_CARE},
}


def as_card(service: Service, lang: str = "en") -> dict[str, Any]:
    name, description = service.localized(lang)
    phones = list(service.phones.all())
    return {
        "id": service.id,
        "name": name,
        # Plain text: other apps print it escaped (pages, PDFs); the stored HTML is nh3-sanitized.
        "description": html.unescape(nh3.clean(description, tags=set())).strip(),
        "url": service.url,
        "phone": phones[0].number if phones else "",
        "phone_kind": ("text" if phones[0].type == "text" else "call") if phones else "",
        "channels": list(service.channels),
        "confidentiality": service.confidentiality,
        "available_24_7": service.available_24_7,
    }


def recommend(
    *,
    organization: Organization | None = None,
    tier: str | None = None,
    role_group: str = "",
    language: str = "en",
    state: str = "",
    audience: str = "worker",
    limit: int = 5,
) -> list[dict]:
    """Services to suggest after a screening, best first.

    ``tier`` (self_care / counseling / urgent / crisis) picks suitable services: crisis -> 24/7 crisis
    lines; urgent -> crisis lines and confidential therapy; counseling -> therapy and counseling open to
    that role (including the organization's own EAP); self_care -> peer support and self-help. Never
    returns a service the role is not eligible for, or one the organization hid.
    """
    lang = (language or "en")[:2]
    rule = TIER_RULES.get(tier or "", {})
    f = Filters(
        role_group=role_group,
        state=(state or (organization.state if organization else "")),
        audience=audience,
        tier=rule.get("tier", ""),
        available_24_7=rule.get("available_24_7", False),
    )
    featured = featured_ids(organization)
    # Rank on the few columns the order needs; load phones and texts for the chosen few only.
    services = list(filtered(organization, f).only(
        "id", "name", "tiers_key", "portal_id", "languages", "roles_key", "confidentiality"))

    def key(s: Service) -> tuple:
        return (
            s.id not in featured,
            not (
                tier == Tier.URGENT and f"|{Tier.CRISIS}|" in s.tiers_key
            ),  # urgent: crisis lines first
            s.portal_id is None
            if tier in (Tier.COUNSELING, Tier.SELF_CARE)
            else False,  # own EAP, peers
            lang not in s.languages,
            # A worker who named a role is better served by programs made for that role.
            (s.roles_key == "") if role_group else (s.roles_key != ""),
            s.confidentiality == Confidentiality.EMPLOYER_RUN,
            s.name.lower(),
        )

    services.sort(key=key)
    top = [s.id for s in services[:limit]]
    chosen = Service.objects.filter(id__in=top).prefetch_related("phones").in_bulk()
    return [as_card(chosen[i], lang) for i in top]
