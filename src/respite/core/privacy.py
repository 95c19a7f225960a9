"""Privacy primitives every app calls: anonymous access codes, throttling, group-size suppression.

Keep these rules here and call them; re-implementing them elsewhere is how leaks start.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext_lazy
from mnemonic import Mnemonic

from respite.core.models import AccessCode, Organization, ThrottleCounter

if TYPE_CHECKING:
    from respite.core.portal import PortalRequest

log = logging.getLogger(__name__)

# --- Access codes ---------------------------------------------------------------------------
# 8 words from a 2048-word BIP-39 list in the worker's language: 88 bits, typeable on a phone.
# The Spanish list is unique without its accents, so a code is hashed and checked accent-free and a
# worker may type "acido" for "ácido".
CODE_WORDS = 8
# The package ships the Spanish words decomposed (NFKD); show them composed, as a phone types them.
_WORDLISTS: dict[str, list[str]] = {
    lang: [unicodedata.normalize("NFC", w) for w in Mnemonic(name).wordlist]
    for lang, name in (("en", "english"), ("es", "spanish"))
}
_WORDLIST: list[str] = _WORDLISTS["en"]


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


_WORDSET = frozenset(_fold(w) for words in _WORDLISTS.values() for w in words)
CODE_BITS = CODE_WORDS * 11
T = TypeVar("T")


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"respite:{purpose}:{settings.SECRET_KEY}".encode()).digest()


def keyed_hash(value: str, purpose: str) -> str:
    """HMAC-SHA256 of a value under a key derived for one purpose (codes, throttles, ...)."""
    return hmac.new(_key(purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()


def normalize_code(raw: str) -> str | None:
    """Lower-case words joined by '-', or None when it cannot be a code (wrong word or count)."""
    words = [
        w
        for w in "".join(c if c.isalpha() else " " for c in _fold((raw or "").lower())).split()
        if w
    ]
    if len(words) != CODE_WORDS or any(w not in _WORDSET for w in words):
        return None
    return "-".join(words)


def new_access_code(
    organization: Organization | None = None, language: str = "en"
) -> tuple[str, AccessCode]:
    """Create a code in the worker's language and return it in word form with its row. The word form
    is never stored."""
    wordlist = _WORDLISTS.get((language or "en")[:2], _WORDLIST)
    while True:
        words = "-".join(secrets.choice(wordlist) for _ in range(CODE_WORDS))
        try:
            with transaction.atomic():
                row = AccessCode.objects.create(
                    digest=keyed_hash(_fold(words), "access-code"), organization=organization
                )
            return words, row
        except IntegrityError:  # pragma: no cover - 2**-88
            continue


class Throttled(Exception):
    """Too many failed attempts; the caller shows a 'wait and try again' message (HTTP 429).

    ``wait`` is the number of seconds until another attempt is let in (None: the rest of the window).
    """

    def __init__(self, wait: int | None = None) -> None:
        super().__init__()
        self.wait = wait


def throttle_minutes() -> int:
    """The throttle window in whole minutes: what every "please wait" message promises."""
    return max(1, math.ceil(settings.RESPITE_THROTTLE_WINDOW_SECONDS / 60))


# "Please wait" messages, in the window's minutes (one form or the other, by the number).
TOO_MANY_ATTEMPTS = ngettext_lazy(
    "Too many attempts. Please wait %(minutes)d minute and try again.",
    "Too many attempts. Please wait %(minutes)d minutes and try again.",
    "minutes",
)
TOO_MANY_SIGN_INS = ngettext_lazy(
    "Too many failed sign-in attempts. Please wait %(minutes)d minute and try again.",
    "Too many failed sign-in attempts. Please wait %(minutes)d minutes and try again.",
    "minutes",
)
TOO_MANY_CODES = ngettext_lazy(
    "Too many wrong codes. Please wait %(minutes)d minute and try again.",
    "Too many wrong codes. Please wait %(minutes)d minutes and try again.",
    "minutes",
)
TOO_MANY_REQUESTS = ngettext_lazy(
    "Too many requests from your network. Please wait %(minutes)d minute and try again.",
    "Too many requests from your network. Please wait %(minutes)d minutes and try again.",
    "minutes",
)


def _wait(message: Any, minutes: int | None = None) -> str:
    return str(message % {"minutes": minutes or throttle_minutes()})


def too_many_attempts() -> str:
    """The answer to a throttled attempt (codes, tokens), in the active language."""
    return _wait(TOO_MANY_ATTEMPTS)


def too_many_sign_ins(minutes: int | None = None) -> str:
    """The answer to a throttled staff sign-in, in the active language: wait ``minutes`` (what the
    back-off has left, ``wait_minutes``), or the whole window."""
    return _wait(TOO_MANY_SIGN_INS, minutes)


def too_many_codes(minutes: int | None = None) -> str:
    """The answer to throttled second-factor codes, in the active language: wait ``minutes``, or
    the whole window."""
    return _wait(TOO_MANY_CODES, minutes)


def too_many_requests() -> str:
    """The answer past a ``rate_limit`` (posts, anonymous audits), in the active language."""
    return _wait(TOO_MANY_REQUESTS)


# --- Client address -------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _trusted_networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted_networks(tuple(settings.RESPITE_TRUSTED_PROXIES)))


def client_address(request: HttpRequest | None) -> str:
    """The address of the client that sent this request, for rate limits only (never stored raw).

    REMOTE_ADDR is the peer. Only when that peer is a configured trusted proxy
    (RESPITE_TRUSTED_PROXIES) is X-Forwarded-For read, from the right: each trusted hop appended the
    address of whoever connected to it, so the first address that is not a trusted proxy is the
    client. Anything further left was written by the client and is ignored, so a client cannot
    choose its own throttle key by sending the header itself.
    """
    if request is None:
        return ""
    address = request.META.get("REMOTE_ADDR", "")
    if not settings.RESPITE_TRUSTED_PROXIES or not _is_trusted(address):
        return address
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            break  # a trusted proxy never writes this; keep the last hop it did write
        if not _is_trusted(address):
            break
    return address


def _network(address: str) -> str:
    """The unit an address limit counts: one IPv4 address, or one IPv6 /64 (what one home or phone
    gets, so hopping through its 2**64 addresses does not escape the limit)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# --- Throttles ------------------------------------------------------------------------------
def _window_start(now=None):
    now = now or timezone.now()
    window = settings.RESPITE_THROTTLE_WINDOW_SECONDS
    return now - timedelta(seconds=now.timestamp() % window)


def throttle_failures(key: str) -> int:
    return (
        ThrottleCounter.objects.filter(key=key, window_start=_window_start())
        .values_list("count", flat=True)
        .first()
        or 0
    )


def _throttle_counts(keys: list[str]) -> dict[str, int]:
    """The failures counted against each key in this window, in one query."""
    rows = ThrottleCounter.objects.filter(key__in=keys, window_start=_window_start()).values_list(
        "key", "count"
    )
    return dict(rows)


def throttle_record_failure(*keys: str) -> None:
    """Count one failure against each key, in one statement (an upsert on both databases)."""
    if not keys:
        return
    q = connection.ops.quote_name
    table, key_col, start_col, count_col = (
        q(n) for n in (ThrottleCounter._meta.db_table, "key", "window_start", "count")
    )
    start = connection.ops.adapt_datetimefield_value(_window_start())
    unique = list(dict.fromkeys(keys))
    params = [p for key in unique for p in (key, start)]
    values = ", ".join(["(%s, %s, 1)"] * len(unique))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_col}, {start_col}, {count_col}) VALUES {values} "  # noqa: S608 - no user input
            f"ON CONFLICT ({key_col}, {start_col}) DO UPDATE SET {count_col} = {table}.{count_col} + 1",
            params,
        )


def check_credential(
    request, credential: str, *, kind: str, per_credential: int, per_address: int
) -> list[str]:
    """Raise Throttled when this credential or this client's network has failed too often.

    Returns the throttle keys to charge if the attempt fails. Per-address limits are generous
    because a hospital's staff share one public address; per-credential limits are strict.
    """
    keys = [
        (keyed_hash(f"{kind}:cred:{credential}", "throttle"), per_credential),
        (keyed_hash(f"{kind}:addr:{_network(client_address(request))}", "throttle"), per_address),
    ]
    counts = _throttle_counts([k for k, _ in keys])
    for key, limit in keys:
        if counts.get(key, 0) >= limit:
            raise Throttled
    return [k for k, _ in keys]


def rate_limit(request: HttpRequest | None, kind: str, per_address: int) -> None:
    """Count this request of ``kind`` against the client's network and raise Throttled once the
    network made ``per_address`` of them in this window. For work that costs something whatever its
    outcome (a public post, an anonymous audit); ``check_credential`` is for guesses of a secret.
    Generous limits: a hospital's staff share one public address."""
    key = keyed_hash(f"{kind}:rate:{_network(client_address(request))}", "throttle")
    if throttle_failures(key) >= per_address:
        raise Throttled
    throttle_record_failure(key)


def seconds_left_in_window(now: datetime | None = None) -> int:
    """Seconds until the current throttle window closes (windows are aligned to the clock)."""
    now = now or timezone.now()
    end = _window_start(now) + timedelta(seconds=settings.RESPITE_THROTTLE_WINDOW_SECONDS)
    return max(1, math.ceil((end - now).total_seconds()))


def wait_minutes(exc: Throttled) -> int:
    """Whole minutes (at least one) a throttled person should wait, for messages."""
    return max(1, math.ceil((exc.wait or seconds_left_in_window()) / 60))


def check_account_sign_in(request: HttpRequest | None, account: str, *, kind: str) -> list[str]:
    """Back-off for a password or second-factor check of one account, per (account, client network).

    * Each (account, network) may fail ``RESPITE_SIGN_IN_FAILURES_PER_NETWORK`` times per throttle
      window. A network that used up its allowance in the previous window(s) gets half as many in the
      next, then a quarter, then none: the wait grows while the guessing goes on, and ends a window
      after it stops.
    * Over ``RESPITE_SIGN_IN_FAILURES_PER_ACCOUNT`` failures in a window from all networks together
      (many networks guessing), only networks that have not failed for this account in this window are
      let in. Either way a counselor signing in from their own network is never locked out by someone
      guessing from another.

    Raises Throttled (with ``wait``); returns the keys to charge if this attempt fails.
    """
    network = _network(client_address(request))
    pair = keyed_hash(f"{kind}:account-network:{account}:{network}", "throttle")
    whole = keyed_hash(f"{kind}:account:{account}", "throttle")
    limit = settings.RESPITE_SIGN_IN_FAILURES_PER_NETWORK
    window = timedelta(seconds=settings.RESPITE_THROTTLE_WINDOW_SECONDS)
    current = _window_start()
    lookback = 6
    rows = ThrottleCounter.objects.filter(
        key__in=[pair, whole], window_start__gte=current - lookback * window
    ).values_list("key", "window_start", "count")
    counts = {(key, start): count for key, start, count in rows}
    # Refused attempts are counted too, so a window counts as "used up" while guessing goes on, and the
    # allowance recovers once a whole window passes with fewer attempts than it allowed.
    allowed = limit
    for back in range(lookback, 0, -1):
        used = counts.get((pair, current - back * window), 0)
        allowed = allowed >> 1 if used >= max(allowed, 1) else limit
    failed_here = counts.get((pair, current), 0)
    over_cap = counts.get((whole, current), 0) >= settings.RESPITE_SIGN_IN_FAILURES_PER_ACCOUNT
    if failed_here >= allowed or (failed_here and over_cap):
        throttle_record_failure(pair)
        raise Throttled(seconds_left_in_window())
    return [pair, whole]


# --- Access-code look-ups -------------------------------------------------------------------
# The one rule for every endpoint that takes a code (web and API, screening, counseling, peers):
#
# * A failure is any attempt that does not lead to something this endpoint serves: unknown,
#   malformed, a real code of another organization, a real code with nothing here. All are charged
#   alike and answered alike, after the same minimum time (RESPITE_CODE_LOOKUP_SECONDS), so neither
#   the answer nor its timing tells a real code from a made-up one.
# * Each failure is counted against the code itself, against each of its eight "one word blanked"
#   neighbours, and against the client's network. Codes carry 88 bits, so guessing a whole code is
#   hopeless; the danger is someone who saw most of a code. Their guesses all share a neighbour key,
#   which stops them after a few tries from any number of addresses.
# * The network limit stops only that network's *failures*. A valid code is let in even when the
#   network it comes from is over its limit, so one client hammering wrong codes from a shared
#   hospital address never locks out a colleague who types a real one. (Letting valid codes in
#   cannot help a guesser: the code and neighbour limits still apply to every attempt.)
CODE_NEIGHBOUR_FACTOR = 2  # a neighbour key collects the typos of 8 words: allow it twice as many


def _code_keys(normalized: str, well_formed: bool) -> list[str]:
    words = (
        normalized.split("-")
        if well_formed
        else [normalized[i::CODE_WORDS] for i in range(CODE_WORDS)]
    )
    # Malformed input gets its own namespace: a mistyped word must not count against the real code's neighbours.
    kind = "code" if well_formed else "code-malformed"
    keys = [keyed_hash(f"{kind}:cred:{normalized}", "throttle")]
    for i in range(CODE_WORDS):
        near = "-".join(w if j != i else "*" for j, w in enumerate(words))
        keys.append(keyed_hash(f"{kind}:near:{near}", "throttle"))
    return keys


def lookup_code(
    request: HttpRequest | None, raw: str, resolve: Callable[[AccessCode], T | None]
) -> T | None:
    """Find what ``raw`` opens at this endpoint: ``resolve(code)`` for a real code, None otherwise.

    ``resolve`` applies the endpoint's own scope (organization, request kind) and returns None when
    the code opens nothing here, which counts as a failure exactly like an unknown code. Raises
    Throttled (HTTP 429) past the limits described above.
    """
    started = time.monotonic()
    try:
        well_formed = normalize_code(raw)
        normalized = well_formed or (raw or "").strip().lower()[:200]
        code_keys = _code_keys(normalized, bool(well_formed))
        address_key = keyed_hash(f"code:addr:{_network(client_address(request))}", "throttle")
        counts = _throttle_counts([*code_keys, address_key])
        per_code = settings.RESPITE_CODE_FAILURES_PER_CODE
        code_over = counts.get(code_keys[0], 0) >= per_code or any(
            counts.get(k, 0) >= per_code * CODE_NEIGHBOUR_FACTOR for k in code_keys[1:]
        )
        address_over = counts.get(address_key, 0) >= settings.RESPITE_CODE_FAILURES_PER_ADDRESS
        # Always hash and query, even for malformed input: the same work whatever was typed.
        row = AccessCode.objects.filter(digest=keyed_hash(normalized, "access-code")).first()
        found = resolve(row) if row is not None and well_formed else None
        if code_over or (found is None and address_over):
            raise Throttled
        if found is None:
            throttle_record_failure(*code_keys, address_key)
        return found
    finally:
        remaining = settings.RESPITE_CODE_LOOKUP_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)


def find_access_code(request, raw: str) -> AccessCode | None:
    """Look up a code that is valid wherever it was issued (see ``lookup_code`` for the rules)."""
    return lookup_code(request, raw, lambda code: code)


FORGET_CHECKPOINT_S = 10.0  # how long forget_deleted keeps trying to empty the log


def forget_deleted() -> None:
    """Call after deleting a worker's data. On SQLite, once the deletion commits, copy the WAL into
    the main file (where ``secure_delete`` zeroes freed space) and truncate the WAL, so the deleted
    rows do not linger in either. PostgreSQL reclaims dead rows through autovacuum (docs/security.md)."""
    if connection.vendor != "sqlite":
        return

    def checkpoint() -> None:
        # While another connection checkpoints (SQLite's own, after a commit that filled the log),
        # SQLite answers "busy" at once instead of waiting: try again for a while, and say so if
        # the log still could not be emptied.
        deadline = time.monotonic() + FORGET_CHECKPOINT_S
        while True:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = cursor.fetchone()[0]
            if not busy:
                return
            if time.monotonic() >= deadline:
                log.error("after a deletion, the database log could not be emptied (busy)")
                return
            time.sleep(0.05)

    transaction.on_commit(checkpoint)


def worker_side_models() -> list[type[Model]]:
    """Models holding something a worker did: a foreign key to an access code, or to such a model
    (found from the schema, so a new model is covered without a list to keep)."""
    from django.apps import apps

    found: set[type[Model]] = {AccessCode}
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            if model not in found and any(
                f.many_to_one and f.related_model in found for f in model._meta.concrete_fields
            ):
                found.add(model)
                changed = True
    return sorted(found, key=lambda m: m._meta.label)


def vacuum_worker_tables() -> str:
    """On PostgreSQL a deleted row stays in the table file as a dead tuple until VACUUM (autovacuum
    runs when a table has changed enough, which a small table may take days to do). Vacuum the tables
    that hold worker data, sessions, throttles, outgoing mail and finished tasks, hourly and after
    ``respite purge``. SQLite needs nothing: ``secure_delete`` zeroes freed space (``forget_deleted``)."""
    if connection.vendor != "postgresql":
        return "not needed on this database"
    if connection.in_atomic_block:
        return "skipped: VACUUM cannot run inside a transaction"
    from django.contrib.sessions.models import Session
    from django_tasks_db.models import DBTaskResult

    from respite.core.models import OutboundEmail

    models_: list[Any] = [
        *worker_side_models(),
        Session,
        DBTaskResult,
        ThrottleCounter,
        OutboundEmail,
    ]
    tables = sorted({m._meta.db_table for m in models_})
    with connection.cursor() as cursor:
        cursor.execute("VACUUM " + ", ".join(connection.ops.quote_name(t) for t in tables))
    return f"vacuumed {len(tables)} tables"


def purge_throttles(older_than: timedelta = timedelta(days=1)) -> int:
    return ThrottleCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()[0]


# --- Minimum group size -----------------------------------------------------------------------
def min_group_size(organization: Organization | None = None, *, free_text: bool = False) -> int:
    """The smallest number of people any shown figure may come from. Never below 5 (10 for text)."""
    base = settings.RESPITE_MIN_GROUP_SIZE_TEXT if free_text else settings.RESPITE_MIN_GROUP_SIZE
    org_k = organization.min_group_size if organization is not None else 0
    return max(5, base, org_k if not free_text else max(org_k, base))


@dataclass(frozen=True)
class Cell:
    """One figure for a dashboard: ``value`` is None when suppressed; ``n`` is hidden too."""

    value: float | int | None
    n: int | None
    suppressed: bool

    def as_dict(self) -> dict:
        return {"value": self.value, "n": self.n, "suppressed": self.suppressed}


def cell(value: float | int | None, n: int, k: int) -> Cell:
    """Release a value computed from ``n`` people only when n >= k; otherwise hide value and count."""
    if n < k:
        return Cell(None, None, True)
    return Cell(value, n, False)


def suppress_counts(counts: dict[str, int], k: int, total: int | None = None) -> dict[str, Cell]:
    """Suppress a set of disjoint counts that add up to a (possibly shown) total.

    Primary suppression hides each count of 1..k-1 (zero is safe: it names nobody). Complementary
    suppression then hides the next-smallest counts until the hidden cells together reach k, so
    total minus the visible cells never names fewer than k people. Release the total itself with
    ``cell(total, total, k)``: when it is below k it is hidden too.
    """
    hidden = {key for key, n in counts.items() if 0 < n < k}
    if total is not None or len(counts) > 1:
        while hidden:
            hidden_sum = sum(counts[key] for key in hidden)
            if len(hidden) >= 2 and hidden_sum >= k:
                break
            visible = sorted((n, key) for key, n in counts.items() if key not in hidden and n > 0)
            if not visible:
                break
            hidden.add(visible[0][1])
    return {
        key: (Cell(None, None, True) if key in hidden else Cell(n, n, False))
        for key, n in counts.items()
    }


# --- The access-code session -------------------------------------------------------------------
# The worker's one access code, remembered by this browser's session (see screening, counseling, peers).
SESSION_CODE = "respite_access_code"


def session_code(request: HttpRequest) -> AccessCode | None:
    """The access code this browser's session holds, if it belongs to the portal's organization (or to
    none). The one rule every worker page uses."""
    code_id = request.session.get(SESSION_CODE)
    if not code_id:
        return None
    organization = getattr(request, "organization", None)
    return (
        AccessCode.objects.filter(pk=code_id)
        .filter(Q(organization=organization) | Q(organization__isnull=True))
        .first()
    )


def attach_code(request: HttpRequest, code_id: object) -> None:
    """Remember a code in this browser's session. The session id changes when a code is attached, so
    a session id planted or seen before (a shared kiosk, a fixation attempt) never opens the code."""
    if request.session.get(SESSION_CODE) != str(code_id):
        request.session.cycle_key()
    request.session[SESSION_CODE] = str(code_id)


def sign_in_with_code(request: PortalRequest, form: forms.Form, not_found: str) -> int | None:
    """Open this session with the access code typed into ``form``'s ``code`` field (the one rule of
    every "sign in with your code" page). Returns None when the session now holds the code;
    otherwise the HTTP status to answer with, the reason added to the form. Wrong, unknown and
    malformed codes read the same."""
    if not form.is_valid():
        return 400
    try:
        # A real code of another organization is a failure like any unknown code (charged, same time).
        code = lookup_code(
            request,
            form.cleaned_data["code"],
            lambda c: c if c.organization_id in (None, request.organization.pk) else None,
        )
    except Throttled:
        form.add_error(None, too_many_attempts())
        return 429
    if code is None:
        form.add_error(None, not_found)
        return 400
    request.session.cycle_key()
    attach_code(request, code.pk)
    return None
