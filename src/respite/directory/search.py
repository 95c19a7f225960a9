"""Directory search: keyword (SQLite FTS5 / PostgreSQL full-text) plus semantic (a static model2vec
embedding model, numpy only), fused by reciprocal rank, with eligibility filters applied first.

Other apps call :func:`recommend`; the worker search page and the API call :func:`search`.

Safety rules, in this order: filters (portal visibility, role eligibility, state, ...) run in the
database before any ranking, so ranking can never surface an ineligible or hidden service; a role named
in the query ("my nursing license") narrows eligibility when the worker chose no role; crisis words
put 24/7 crisis lines first.

Speed (10k services, p95 well under 50 ms): the database answers only "which services are eligible"
(from a covering index) and "which match the words" (FTS5 / a stored PostgreSQL tsvector); everything
ranking needs per service (embeddings, boosts, name order) lives in one numpy index per process,
rebuilt when the service table's count or latest edit changes, so fusion is a few array operations.
On SQLite the index also keeps each word's FTS5 postings (bm25 per service), so a word costs FTS5
once per index, not once per search.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nh3
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from respite.core.datafiles import load_yaml
from respite.core.lazy import lazy_module
from respite.core.memo import ProcessCache
from respite.core.models import Organization
from respite.directory.crisis import detect as crisis_detect
from respite.directory.crisis import english as crisis_english
from respite.directory.models import Confidentiality, Curation, Service, Tier

if TYPE_CHECKING:
    import numpy as np
else:  # on the first search, not when start-up validates the glossary (respite_data_files)
    np = lazy_module("numpy")

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "model"
GLOSSARY_PATH = Path(__file__).resolve().parent / "data" / "glossary.yaml"
GLOSSARY_SCHEMA = {
    "type": "object",
    "properties": {
        "es_en": {"type": "object", "additionalProperties": {"type": "string"}},
        "role_words": {"type": "object", "additionalProperties": {"type": "string"}},
        "license_words": {"type": "array", "items": {"type": "string"}},
        "leader_words": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["es_en", "role_words", "license_words", "leader_words"],
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


_matrix_cache: dict[tuple, _Index] = {}
_LICENSE_BOOST: dict[str, float] = {
    Confidentiality.ANONYMOUS: 0.006,
    Confidentiality.CONFIDENTIAL: 0.004,
}


@dataclass
class _Index:
    """What ranking needs about every service, as numpy arrays in one order (position = row).

    Eligibility is decided by the database: the positions its filter query returned are kept in
    ``eligible_cache`` only for as long as this index lives (until any service is added or saved) and
    per organization's hidden set, so a hidden or withdrawn service never surfaces from it.
    """

    ids: list[str]
    pos: dict[str, int]
    matrix: np.ndarray  # unit embeddings, zero rows where missing
    has_embedding: np.ndarray
    license_boost: np.ndarray
    crisis_line: np.ndarray  # 24/7 and crisis tier
    leader_only: np.ndarray  # audiences name neither workers nor families
    has_portal: np.ndarray
    portal_kind: np.ndarray  # "" or the portal's own service kind (counseling, peer_support, ...)
    portal_own: np.ndarray  # portal_kind != "" as booleans: no string compares per search
    area_states: np.ndarray  # "" for national services, else the states key ("|CA|OR|")
    name_rank: np.ndarray  # position in case-insensitive name order (the tie-break)
    missing_embeddings: int
    rowid_pos: np.ndarray | None = None  # SQLite rowid -> position (-1: none), for FTS5 matches
    pos_rowid: np.ndarray | None = None  # position -> SQLite rowid (FTS5's order among equal ranks)
    away_masks: dict[str, np.ndarray] = field(default_factory=dict)  # state -> "elsewhere" mask
    # (filter SQL, params, hidden ids) -> eligible positions; see _eligible_positions.
    eligible_cache: dict[tuple, np.ndarray] = field(default_factory=dict)
    # FTS5 phrase -> (positions, bm25) of every service it matches; see _phrase_postings.
    postings: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=OrderedDict)
    postings_size: int = 0
    version: tuple = ()  # the service table's fingerprint this index was built from (_version)


def _version() -> tuple:
    """A cheap fingerprint of the service table (both answered from indexes, not a table scan)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT COUNT(*) FROM directory_service), "
            "(SELECT MAX(updated_at) FROM directory_service)"
        )
        return tuple(cur.fetchone())


def _build_index() -> _Index:
    rows = list(
        Service.objects.order_by().values_list(
            "id",
            "confidentiality",
            "available_24_7",
            "tiers_key",
            "portal_id",
            "name",
            "audiences_key",
            "embedding",
            "portal_service",
            "area_scope",
            "states_key",
        )
    )
    n = len(rows)
    ids = [r[0] for r in rows]
    vectors = [np.frombuffer(bytes(r[7]), dtype=np.float32) if r[7] else None for r in rows]
    dim = next((len(v) for v in vectors if v is not None), 1)
    matrix = np.zeros((n, dim), dtype=np.float32)
    has_embedding = np.zeros(n, dtype=bool)
    for i, v in enumerate(vectors):
        if v is not None and len(v) == dim:
            matrix[i] = v
            has_embedding[i] = True
    names = [r[5] for r in rows]
    order = sorted(range(n), key=lambda i: (names[i].lower(), names[i]))
    name_rank = np.empty(n, dtype=np.int64)
    name_rank[order] = np.arange(n)
    crisis = f"|{Tier.CRISIS}|"
    rowid_pos = pos_rowid = None
    if connection.vendor == "sqlite":
        pos = {sid: i for i, sid in enumerate(ids)}
        with connection.cursor() as cur:
            cur.execute("SELECT rowid, id FROM directory_service")
            pairs = [(rowid, pos[sid]) for rowid, sid in cur.fetchall() if sid in pos]
        rowid_pos = np.full(max((p[0] for p in pairs), default=0) + 1, -1, dtype=np.int64)
        pos_rowid = np.zeros(n, dtype=np.int64)
        for rowid, i in pairs:
            rowid_pos[rowid] = i
            pos_rowid[i] = rowid
    return _Index(
        rowid_pos=rowid_pos,
        pos_rowid=pos_rowid,
        ids=ids,
        pos={sid: i for i, sid in enumerate(ids)},
        matrix=matrix,
        has_embedding=has_embedding,
        license_boost=np.array([_LICENSE_BOOST.get(r[1], -0.004) for r in rows], dtype=np.float64),
        crisis_line=np.array([bool(r[2]) and crisis in (r[3] or "") for r in rows], dtype=bool),
        leader_only=np.array(
            [("|worker|" not in (r[6] or "") and "|family|" not in (r[6] or "")) for r in rows],
            dtype=bool,
        ),
        has_portal=np.array([r[4] is not None or bool(r[8]) for r in rows], dtype=bool),
        portal_kind=np.array([r[8] or "" for r in rows], dtype=object),
        portal_own=np.array([bool(r[8]) for r in rows], dtype=bool),
        area_states=np.array(
            [(r[10] or "|?|") if r[9] != "national" else "" for r in rows], dtype=object
        ),
        name_rank=name_rank,
        missing_embeddings=int(n - has_embedding.sum()),
    )


def _index(key: tuple | None = None) -> _Index:
    """The ranking index, cached per process until the service table changes (count or latest edit).
    ``key`` is the table's fingerprint when the caller has just read it (see _version_and_curations)."""
    if key is None:
        key = _version()
    cached = _matrix_cache.get(key)
    if cached is None:
        cached = _build_index()
        cached.version = key
        _matrix_cache.clear()
        _matrix_cache[key] = cached
    return cached


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
        ranked = Service.objects.annotate(
            rank=SearchRank(SearchVector("search_text", config="english"), query)
        ).filter(rank__gt=0)
        if candidates is not None:
            ranked = ranked.filter(id__in=candidates)
        rows = list(ranked.order_by("-rank").values_list("id", "rank")[:limit])
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


def _eligible_positions(
    qs: models.QuerySet[Service],
    index: _Index,
    *,
    strict: bool = True,
    hidden: frozenset[str] | None = None,
) -> np.ndarray | None:
    """Index positions of the services the filter query admits, in one raw round trip.

    On SQLite it selects rowids, which the covering filter index holds, and maps them in numpy.
    Returns None (when ``strict``) if the database holds a service the index does not know yet.
    """
    if index.rowid_pos is not None:
        rowid = RawSQL("directory_service.rowid", ())  # noqa: S611 - a constant, no input
        sql, params = qs.values_list(rowid).query.sql_with_params()
    else:
        sql, params = qs.values_list("id").query.sql_with_params()
    # Kept beside the index (so dropped with it when the service table changes), per query and the
    # curation it depends on: an organization hiding a service changes the key, not the index.
    key = (sql, tuple(params), hidden)
    cached = index.eligible_cache.get(key) if hidden is not None else None
    if cached is not None:
        return cached
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    if index.rowid_pos is not None:
        rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        known = rowids < len(index.rowid_pos)
        positions = np.where(known, index.rowid_pos[np.where(known, rowids, 0)], -1)
    else:
        positions = np.fromiter(
            (index.pos.get(r[0], -1) for r in rows), dtype=np.int64, count=len(rows)
        )
    if strict and (positions < 0).any():
        return None
    positions = positions[positions >= 0]
    if hidden is not None:
        positions.flags.writeable = False  # shared between requests: nobody may change it
        if len(index.eligible_cache) >= 512:
            index.eligible_cache.clear()
        index.eligible_cache[key] = positions
    return positions


def _keyword_positions(
    words: list[str], index: _Index, eligible: np.ndarray, eligible_sql: tuple[str, tuple]
) -> np.ndarray:
    """Index positions of keyword matches, best first (the order of :func:`keyword_scores`).

    On SQLite the FTS5 table shares rowids with the service table, so the match is read as bare
    (rowid, rank) pairs and ordered in numpy: no join, no ORDER BY over thousands of rows in SQL.
    """
    words = [w for w in dict.fromkeys(words) if w]
    if not words:
        return np.zeros(0, dtype=np.int64)
    if (
        connection.vendor == "sqlite"
        and _fts_available()
        and index.rowid_pos is not None
        and index.pos_rowid is not None
    ):
        # FTS5's `MATCH '"a"* OR "b"*' ORDER BY rank LIMIT 5000`, without asking FTS5 again for a
        # word it already ranked: bm25 of an OR query is the sum of its phrases' bm25 (each phrase's
        # IDF counts the rows that phrase matches), so the sum, added in the query's order, is the
        # same double FTS5 computes, and equal ranks keep FTS5's rowid order.
        total = np.zeros(len(index.ids), dtype=np.float64)
        matched = np.zeros(len(index.ids), dtype=bool)
        for phrase in dict.fromkeys(f'"{w}"*' if len(w) >= 4 else f'"{w}"' for w in words):
            positions, scores = _phrase_postings(phrase, index)
            total[positions] += scores
            matched[positions] = True
        hits = np.flatnonzero(matched)
        # Same cut as keyword_scores: the best 5,000 matches before eligibility.
        return hits[np.lexsort((index.pos_rowid[hits], total[hits]))][:5000]
    if connection.vendor == "postgresql" and _pg_vector_available():
        return _pg_keyword_positions(words, index, eligible_sql)
    kw = keyword_scores(words, {index.ids[i] for i in eligible})
    return np.array(
        [
            index.pos[sid]
            for sid in sorted(kw, key=kw.__getitem__, reverse=True)
            if sid in index.pos
        ],
        dtype=np.int64,
    )


# Postings kept per process and index (so dropped when the directory changes): at most this many
# (position, score) pairs in all, about 16 MB; the least recently used word goes first.
POSTINGS_BUDGET = 1_000_000
_postings_lock = threading.Lock()


def _phrase_postings(phrase: str, index: _Index) -> tuple[np.ndarray, np.ndarray]:
    """Index positions and bm25 (lower is better, FTS5's sign) of every service one FTS5 phrase
    matches, asked of FTS5 once per index: a search reads the words it shares with earlier searches
    from memory instead of re-scoring thousands of rows in SQLite."""
    with _postings_lock:
        hit = index.postings.get(phrase)
        if hit is not None:
            index.postings.move_to_end(phrase)
            return hit
    assert index.rowid_pos is not None
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT rowid, bm25({FTS_TABLE}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
            [phrase],
        )
        rows = cur.fetchall()
    rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    scores = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    known = rowids < len(index.rowid_pos)
    positions = np.where(known, index.rowid_pos[np.where(known, rowids, 0)], -1)
    keep = positions >= 0
    hit = (positions[keep], scores[keep])
    for array in hit:
        array.flags.writeable = False  # shared between requests
    with _postings_lock:
        if phrase not in index.postings:
            index.postings[phrase] = hit
            index.postings_size += len(hit[0])
            while index.postings_size > POSTINGS_BUDGET and len(index.postings) > 1:
                _old, (dropped, _scores) = index.postings.popitem(last=False)
                index.postings_size -= len(dropped)
    return hit


def _pg_keyword_positions(
    words: list[str], index: _Index, eligible_sql: tuple[str, tuple], limit: int = 300
) -> np.ndarray:
    """PostgreSQL: the same ranking as :func:`keyword_scores` (ts_rank over the english tsvector,
    best ``limit`` eligible matches), read from the stored ``search_tsv`` column and its GIN index."""
    sub_sql, sub_params = eligible_sql
    query = " | ".join(f"{w}:*" for w in words)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT s.id, ts_rank(s.search_tsv, q) AS r "  # noqa: S608 - sub_sql is Django's own SQL
            "FROM directory_service s, to_tsquery('english'::regconfig, %s) q "
            f"WHERE s.search_tsv @@ q AND s.id IN ({sub_sql}) AND ts_rank(s.search_tsv, q) > 0 "
            "ORDER BY r DESC, s.id LIMIT %s",
            [query, *sub_params, limit],
        )
        rows = cur.fetchall()
    return np.array([index.pos[sid] for sid, _rank in rows if sid in index.pos], dtype=np.int64)


@lru_cache(maxsize=1)
def _pg_vector_available_cached(alias: str) -> bool:  # noqa: ARG001 - cache key
    with connection.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'directory_service' "
            "AND column_name = 'search_tsv' AND table_schema = current_schema()"
        )
        return cur.fetchone() is not None


def _pg_vector_available() -> bool:
    return _pg_vector_available_cached(connection.settings_dict["NAME"])


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
    provider: str = ""  # HSDS organization_id (a provider id)
    modified_after: datetime | None = None
    # A worker's view: with no audience chosen, leave out material only for leaders (toolkits,
    # guides) unless the query asks for it ("peer support program for our hospital").
    worker_view: bool = False


@dataclass
class SearchResult:
    services: list[Service]
    total: int
    mode: str  # "hybrid", "keyword" or "browse"
    notice: str = ""
    inferred_role: str = ""
    crisis: bool = False
    featured_ids: set[str] = field(default_factory=set)
    inferred_audience: str = ""
    # True when even the best result matches the query poorly: the page says so and offers a person.
    weak: bool = False
    best_similarity: float = 0.0
    keyword_hits: int = 0
    ids: list[str] = field(default_factory=list)  # the page's service ids, in order
    # The service table's fingerprint the ranking used: what the page shows of a service may be
    # kept per process under it (the worker page's cards).
    version: tuple = ()


def filtered(organization: Organization | None, f: Filters) -> models.QuerySet[Service]:
    """The eligibility and facet filters, as one database query. Ranking never widens this set."""
    qs = Service.objects.visible_to(organization).eligible_for_role(f.role_group).for_state(f.state)
    if f.language:
        # Imported files may use ISO 639-3 ("spa") where Respite writes 639-1 ("es").
        alias = {"en": "eng", "es": "spa"}.get(f.language, "")
        qs = qs.filter(
            models.Q(languages_key__contains=f"|{f.language}|")
            | (models.Q(languages_key__contains=f"|{alias}|") if alias else models.Q(pk__in=[]))
        )
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
    if f.provider:
        qs = qs.filter(provider_id=f.provider)
    if f.modified_after is not None:
        qs = qs.filter(updated_at__gte=f.modified_after)
    if f.worker_view and not f.audience:
        qs = qs.filter(
            models.Q(audiences_key="")
            | models.Q(audiences_key__contains="|worker|")
            | models.Q(audiences_key__contains="|family|")
        )
    if f.available_24_7:
        qs = qs.filter(available_24_7=True)
    return qs


# Phrases that show an organization asking, not a worker: "program for our hospital".
_LEADER_PHRASES = re.compile(
    r"\b(?:our|my) (?:hospital|clinic|organization|organisation|health system|staff|team|unit|workforce|employees)\b"
    r"|\b(?:nuestro|nuestra|nuestros) (?:hospital|clinica|organizacion|personal|equipo|empleados)\b"
    r"|\bpara el hospital\b|\bfor (?:staff|hospital|hospitals|leaders|managers|organizations)\b"
    r"|\bremove .*questions\b|\b(?:licensing|credentialing) (?:applications|questions|forms)\b"
)


def understand(query: str, *, encode: bool = False) -> dict[str, Any]:
    """Expand Spanish words, and read role, licence-fear and crisis signals from the query. With
    ``encode`` (and the model loaded), ``vector`` is the meaning of ``english`` for ranking."""
    g = glossary()
    words = tokens(query)
    expanded = list(words)
    for w in words:
        if w in g["es_en"]:
            expanded += g["es_en"][w].split()
    roles = {g["role_words"][w] for w in words if w in g["role_words"]}
    folded = " ".join(re.findall(r"[a-z0-9]+", _fold(query)))
    english = " ".join(dict.fromkeys(expanded))
    vectors = None
    if encode and english and query.strip() and get_model() is not None:
        # The crisis check and the ranking both need the query's meaning: one model call for both
        # (each text's vector is the same as when encoded alone).
        vectors = _encode([crisis_english(query), english])
    return {
        "leader": any(w in g["leader_words"] for w in words)
        or bool(_LEADER_PHRASES.search(folded)),
        "words": list(dict.fromkeys(expanded)),
        "english": english,
        "role": roles.pop() if len(roles) == 1 else "",
        "license_fear": any(w in g["license_words"] for w in words),
        # Patterns over the whole phrase plus meaning (directory.crisis), not single words:
        # "kill time between shifts" is not a crisis, "thinking of killing myself" is.
        "crisis": crisis_detect(query, vector=None if vectors is None else vectors[0]).crisis,
        "vector": None if vectors is None else vectors[1],
    }


# The portal's own services rank first when they are among the PORTAL_TOP closest meanings of the
# query with a cosine of at least PORTAL_SIMILARITY (keywords alone are too loose: "free groceries"
# shares "free" with free therapy); crisis lines (+0.05) still come before them. Chosen on the
# relevance set (data/relevance_judgments.yaml, the portal's own services judged in Riverside).
PORTAL_BOOST = 0.03
PORTAL_SIMILARITY = 0.33
PORTAL_TOP = 3


def offered_kinds(organization: Organization | None) -> set[str]:
    """The portal's own services a worker can use now (``core.services``; none outside a portal)."""
    if organization is None:
        return set()
    from respite.core.services import cached_available_services

    return {kind for kind, on in cached_available_services(organization).items() if on}


def _offered_now(
    eligible: np.ndarray, index: _Index, organization: Organization | None
) -> np.ndarray:
    """Leave out the portal's own services it does not offer now (no counselor, no peer on the
    roster...): the directory never promises help that is not there."""
    own = index.portal_own[eligible]
    if not own.any():
        return eligible
    offered = offered_kinds(organization)
    keep = ~own
    # A handful of rows (one per kind): a Python test beats np.isin's sort of an object array.
    keep[own] = [kind in offered for kind in index.portal_kind[eligible[own]]]
    return eligible[keep]


def _elsewhere(index: _Index, chosen: np.ndarray, state: str) -> np.ndarray:
    """A small demotion for state or local services of another state (or of any state, when the
    worker's state is unknown): a Bay Area program should not lead a search in Texas. The mask per
    state is computed once per index, so a query costs one array lookup."""
    key = state.upper()
    away = index.away_masks.get(key)
    if away is None:
        needle = f"|{key}|" if key else None
        away = np.array(
            [bool(a) and (needle is None or needle not in a) for a in index.area_states],
            dtype=bool,
        )
        index.away_masks[key] = away
    return np.where(away[chosen], 0.01, 0.0)


def search(
    query: str = "",
    *,
    organization: Organization | None = None,
    filters: Filters | None = None,
    limit: int = 20,
    offset: int = 0,
    now: datetime | None = None,
    semantic: bool = True,
    prefetch: bool = True,
    load: bool = True,
) -> SearchResult:
    """Rank the services a worker may see for ``query``; see the module docstring for the rules.

    The page's services come with their phones and schedules prefetched, unless ``prefetch`` is
    False. With ``load`` False no service is loaded: the result names the page's services by id
    (the worker page loads only those whose card it has not rendered yet)."""
    f = filters or Filters()
    intent: dict[str, Any] = (
        understand(query, encode=semantic)
        if query.strip()
        else {
            "words": [],
            "english": "",
            "role": "",
            "license_fear": False,
            "crisis": False,
            "vector": None,
            "leader": False,
        }
    )
    inferred_audience = ""
    if f.worker_view and not f.audience and intent["leader"]:
        inferred_audience = "leader"
        f = Filters(**{**f.__dict__, "audience": inferred_audience})
    inferred_role = ""
    if intent["role"] and not f.role_group:
        inferred_role = intent["role"]
        f = Filters(**{**f.__dict__, "role_group": inferred_role})
    version, (hidden, featured_set) = _version_and_curations(organization)
    featured = set(featured_set)
    index = _index(version)
    # A repeated filter skips building (and compiling) its query: keyed by what the query is made of.
    filters_key = (organization.pk if organization else None, tuple(f.__dict__.items()), hidden)
    eligible = index.eligible_cache.get(filters_key)
    qs = filtered(organization, f).order_by() if eligible is None else None
    if qs is not None:
        eligible = _eligible_positions(qs, index, hidden=hidden)
        if eligible is None:  # a service was added since the index was built
            _matrix_cache.clear()
            index = _index()
            eligible = _eligible_positions(qs, index, strict=False)
        else:
            index.eligible_cache[filters_key] = eligible
    assert eligible is not None  # only strict look-ups answer None
    # After the cache: whether the portal's own services exist changes without the directory changing.
    eligible = _offered_now(eligible, index, organization)
    if f.open_now and len(eligible):
        when = now or datetime.now(UTC)
        open_ids = {
            s.id
            for s in Service.objects.filter(id__in=[index.ids[i] for i in eligible])
            .order_by()
            .prefetch_related("schedules")
            if s.is_open_at(when)
        }
        eligible_ids = [index.ids[i] for i in eligible if index.ids[i] in open_ids]
        eligible = np.array([index.pos[sid] for sid in eligible_ids], dtype=np.int64)
    is_featured = np.zeros(len(index.ids), dtype=bool)
    is_featured[[index.pos[sid] for sid in featured if sid in index.pos]] = True
    notice = ""
    best_similarity = 0.0
    keyword_hits = 0
    if not intent["words"]:
        # Featured first, then the portal's own services, then by name.
        order = np.lexsort(
            (
                index.name_rank[eligible],
                ~index.has_portal[eligible],
                ~is_featured[eligible],
            )
        )
        mode = "browse"
        ranked = eligible[order]
        total = len(ranked)
    else:
        allowed = np.zeros(len(index.ids), dtype=bool)
        allowed[eligible] = True
        kw_pos = _keyword_positions(
            intent["words"],
            index,
            eligible,
            (qs if qs is not None else filtered(organization, f).order_by())
            .values("id")
            .query.sql_with_params()
            if connection.vendor == "postgresql"
            else ("", ()),
        )
        kw_pos = kw_pos[allowed[kw_pos]]
        keyword_hits = len(kw_pos)
        score = np.zeros(len(index.ids), dtype=np.float64)
        member = np.zeros(len(index.ids), dtype=bool)
        # Reciprocal rank fusion: 1 / (RRF_K + rank) from each ranking a service appears in.
        score[kw_pos] += 1.0 / (RRF_K + np.arange(len(kw_pos)))
        member[kw_pos] = True
        strong = np.zeros(len(index.ids), dtype=bool)  # among the closest meanings
        model = get_model() if semantic else None
        if model is not None and len(eligible):
            if index.missing_embeddings:
                refresh_index()
                index = _index()
            sem_pos = eligible[index.has_embedding[eligible]]
            if len(sem_pos):
                qv = intent.get("vector")
                if qv is None:
                    qv = _encode([intent["english"]])[0]
                # One product over the whole cached matrix (no 10k-row copy), then pick the eligible.
                sims = (index.matrix @ qv)[sem_pos]
                order = _descending(sims)
                sem_pos, sims = sem_pos[order], sims[order]
                best_similarity = float(sims[0])
                score[sem_pos] += 1.0 / (RRF_K + np.arange(len(sem_pos)))
                # Semantic similarity is dense: only keep services with some real signal.
                member[sem_pos[sims >= 0.15]] = True
                top = sem_pos[:PORTAL_TOP][sims[:PORTAL_TOP] >= PORTAL_SIMILARITY]
                strong[top] = True
            mode = "hybrid"
        else:
            mode = "keyword"
            if semantic:
                notice = _(
                    "Smart search is unavailable right now, so results match your words only."
                )
        if intent["crisis"]:
            # Every eligible 24/7 crisis line is a result of a crisis query, whatever its words.
            crisis_pos = eligible[index.crisis_line[eligible]]
            member[crisis_pos] = True
        chosen = np.flatnonzero(member)
        s = score[chosen]
        s += np.where(is_featured[chosen], 0.002, 0.0)
        if intent["license_fear"]:
            s += index.license_boost[chosen]
        if f.audience != "leader":
            s -= np.where(index.leader_only[chosen], 0.005, 0.0)  # leaders' toolkits below help
        s -= _elsewhere(index, chosen, f.state or (organization.state if organization else ""))
        # The portal's own people (counselors, peers, volunteer therapists) first when they match.
        s += np.where(index.portal_own[chosen] & strong[chosen], PORTAL_BOOST, 0.0)
        if intent["crisis"]:
            s += np.where(index.crisis_line[chosen], 0.05, 0.0)
        ranked = _best(chosen, s, index.name_rank[chosen], offset + limit)
        total = len(chosen)
    page_ids = [index.ids[i] for i in ranked[offset : offset + limit]]
    services: list[Service] = []
    if load:
        by_id = Service.objects.defer("embedding", "search_text").in_bulk(page_ids)
        services = [by_id[sid] for sid in page_ids if sid in by_id]
        if prefetch:
            models.prefetch_related_objects(services, "phones", "schedules")
    return SearchResult(
        services=services,
        total=total,
        mode=mode,
        notice=notice,
        inferred_role=inferred_role,
        crisis=intent["crisis"],
        featured_ids=featured,
        inferred_audience=inferred_audience,
        weak=_weak(mode, best_similarity, keyword_hits, total, intent["crisis"]),
        best_similarity=best_similarity,
        keyword_hits=keyword_hits,
        ids=page_ids,
        version=index.version,
    )


def _descending(values: np.ndarray) -> np.ndarray:
    """``np.argsort(-values, kind="stable")`` for float32 ``values``, four times faster: one plain
    sort of unique int64 keys, the value's bits in an order that sorts as the floats do (high half)
    and the position (low half, so equal values keep their order). The keys are unique, so sorting
    them (not arg-sorting) and keeping the low half gives the positions in the same order."""
    negated = -values.astype(np.float32)
    negated[negated == 0] = 0  # -0.0 equals 0.0 for a float sort, not for its bits
    bits = negated.view(np.int32).astype(np.int64)
    ordered = np.where(bits < 0, bits ^ 0x7FFFFFFF, bits)  # negative floats: larger bits, smaller
    return np.sort((ordered << 32) | np.arange(len(values), dtype=np.int64)) & 0xFFFFFFFF


def _best(positions: np.ndarray, score: np.ndarray, name_rank: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` of ``positions`` by score (highest first), then name: the same as
    ``positions[np.lexsort((name_rank, -score))][:k]`` without sorting thousands of results when a
    page needs ten. Every result scoring at least the k-th best score is sorted, so ties at the cut
    are still decided by name."""
    if k <= 0:
        return positions[:0]
    if k >= len(positions):
        return positions[np.lexsort((name_rank, -score))]
    kth = np.partition(-score, k - 1)[k - 1]
    near = np.flatnonzero(-score <= kth)
    return positions[near[np.lexsort((name_rank[near], -score[near]))]][:k]


# "No good match": no keyword of the query in any eligible service and a best cosine below
# WEAK_SIMILARITY, or a best cosine below WEAK_SIMILARITY_ANY whatever the keywords. Chosen on the
# relevance set against off-topic queries (tests/test_search.py prints both).
WEAK_SIMILARITY = 0.35
WEAK_SIMILARITY_ANY = 0.14


def _weak(mode: str, best: float, keyword_hits: int, total: int, crisis: bool) -> bool:
    """Does even the best result match poorly? Never for a crisis (crisis lines always fit)."""
    if crisis or mode == "browse":
        return False
    if total == 0:
        return True
    if mode == "keyword":
        return keyword_hits == 0
    return best < WEAK_SIMILARITY_ANY or (keyword_hits == 0 and best < WEAK_SIMILARITY)


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
    state = state or (organization.state if organization else "")
    version, curations = _version_and_curations(organization)
    # The same answer for everyone with the same organization, needs, role and language until the
    # directory or the organization's curation changes: cached per process, checked by one small
    # query (the service table's fingerprint and the organization's curation rows).
    key = (
        organization.pk if organization else None,
        tier or "",
        role_group,
        lang,
        state,
        audience,
        limit,
        version,
        curations,
    )
    cards = _recommend_cache.get(key)
    if cards is None:
        cards = _recommend(
            organization, tier, role_group, lang, state, audience, limit, curations[1]
        )
        _recommend_cache.put(key, cards)
    return [{**card, "channels": list(card["channels"])} for card in cards]


def fingerprint(organization: Organization | None) -> tuple:
    """What the answers of ``search`` and ``recommend`` depend on in the database, for callers that
    cache what they build from them (the screening result page): the service table's fingerprint and
    the organization's curation, read in one query."""
    return _version_and_curations(organization)


# Per-process cache of recommend()'s cards; a time limit backs up the version check (a phone number
# edited without touching its service changes no fingerprint).
RECOMMEND_CACHE_SIZE = 1024
RECOMMEND_TTL_S = 300
_recommend_cache: ProcessCache[list[dict[str, Any]]] = ProcessCache(
    RECOMMEND_CACHE_SIZE, RECOMMEND_TTL_S
)


def _curations(organization: Organization | None) -> tuple[frozenset[str], frozenset[str]]:
    """(hidden, featured) service ids of the organization's curation."""
    if organization is None:
        return frozenset(), frozenset()
    rows = Curation.objects.filter(organization=organization).values_list(
        "service_id", "hidden", "featured"
    )
    hidden, featured = set(), set()
    for sid, is_hidden, is_featured in rows:
        if is_hidden:
            hidden.add(sid)
        if is_featured:
            featured.add(sid)
    return frozenset(hidden), frozenset(featured)


def _version_and_curations(
    organization: Organization | None,
) -> tuple[tuple, tuple[frozenset[str], frozenset[str]]]:
    """(_version(), _curations(organization)) in one round trip: a search asks both every time, and
    a query costs more than the few rows it returns."""
    if organization is None:
        return _version(), _curations(None)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT COUNT(*) FROM directory_service), "
            "(SELECT MAX(updated_at) FROM directory_service), c.service_id, c.hidden, c.featured "
            "FROM (SELECT 1) AS one LEFT JOIN directory_curation c ON c.organization_id = %s",
            [organization.pk],
        )
        rows = cur.fetchall()
    hidden = frozenset(r[2] for r in rows if r[2] is not None and r[3])
    featured = frozenset(r[2] for r in rows if r[2] is not None and r[4])
    return (rows[0][0], rows[0][1]), (hidden, featured)


def _recommend(
    organization: Organization | None,
    tier: str | None,
    role_group: str,
    lang: str,
    state: str,
    audience: str,
    limit: int,
    featured: frozenset[str],
) -> list[dict[str, Any]]:
    rule = TIER_RULES.get(tier or "", {})
    f = Filters(
        role_group=role_group,
        state=state,
        audience=audience,
        tier=rule.get("tier", ""),
        available_24_7=rule.get("available_24_7", False),
    )
    # Rank on the few columns the order needs; load phones and texts for the chosen few only.
    services = list(
        filtered(organization, f)
        .filter(portal_service="")  # the result page offers the portal's own people itself
        .only("id", "name", "tiers_key", "portal_id", "languages", "roles_key", "confidentiality")
    )

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
