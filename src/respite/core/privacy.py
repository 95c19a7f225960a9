"""Privacy primitives every app calls: anonymous access codes, throttling, group-size suppression.

Keep these rules here and call them; re-implementing them elsewhere is how leaks start.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from mnemonic import Mnemonic

from respite.core.models import AccessCode, Organization, ThrottleCounter

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


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"respite:{purpose}:{settings.SECRET_KEY}".encode()).digest()


def keyed_hash(value: str, purpose: str) -> str:
    """HMAC-SHA256 of a value under a key derived for one purpose (codes, throttles, ...)."""
    return hmac.new(_key(purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()


def normalize_code(raw: str) -> str | None:
    """Lower-case words joined by '-', or None when it cannot be a code (wrong word or count)."""
    words = [w for w in "".join(c if c.isalpha() else " " for c in _fold((raw or "").lower())).split() if w]
    if len(words) != CODE_WORDS or any(w not in _WORDSET for w in words):
        return None
    return "-".join(words)


def new_access_code(organization: Organization | None = None, language: str = "en") -> tuple[str, AccessCode]:
    """Create a code in the worker's language and return it in word form with its row. The word form
    is never stored."""
    wordlist = _WORDLISTS.get((language or "en")[:2], _WORDLIST)
    while True:
        words = "-".join(secrets.choice(wordlist) for _ in range(CODE_WORDS))
        try:
            with transaction.atomic():
                row = AccessCode.objects.create(digest=keyed_hash(_fold(words), "access-code"),
                                                organization=organization)
            return words, row
        except IntegrityError:  # pragma: no cover - 2**-88
            continue


class Throttled(Exception):
    """Too many failed attempts; the caller shows a 'wait and try again' message (HTTP 429)."""


def _window_start(now=None):
    now = now or timezone.now()
    window = settings.RESPITE_THROTTLE_WINDOW_SECONDS
    return now - timedelta(seconds=now.timestamp() % window)


def throttle_failures(key: str) -> int:
    return (
        ThrottleCounter.objects.filter(key=key, window_start=_window_start()).values_list("count", flat=True).first()
        or 0
    )


def throttle_record_failure(key: str) -> None:
    start = _window_start()
    updated = ThrottleCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                ThrottleCounter.objects.create(key=key, window_start=start, count=1)
        except IntegrityError:
            ThrottleCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def check_credential(request, credential: str, *, kind: str, per_credential: int, per_address: int) -> list[str]:
    """Raise Throttled when this credential or this network address has failed too often.

    Returns the throttle keys to charge if the attempt fails. Per-address limits are generous
    because a hospital's staff share one public address; per-credential limits are strict.
    """
    keys = [
        (keyed_hash(f"{kind}:cred:{credential}", "throttle"), per_credential),
        (keyed_hash(f"{kind}:addr:{_client_address(request)}", "throttle"), per_address),
    ]
    for key, limit in keys:
        if throttle_failures(key) >= limit:
            raise Throttled
    return [k for k, _ in keys]


def find_access_code(request, raw: str) -> AccessCode | None:
    """Look up a code. Wrong, malformed and unknown codes all give None, charged alike.

    Raises Throttled after too many failures for this code or this address, even when the code is
    right, so that guessing cannot tell the difference.
    """
    well_formed = normalize_code(raw)
    normalized = well_formed or (raw or "").strip().lower()[:200]
    keys = check_credential(
        request, normalized, kind="code",
        per_credential=settings.RESPITE_CODE_FAILURES_PER_CODE,
        per_address=settings.RESPITE_CODE_FAILURES_PER_ADDRESS,
    )
    # Hash even malformed input so the work done (and the time taken) does not reveal the format check.
    digest = keyed_hash(normalized, "access-code")
    row = AccessCode.objects.filter(digest=digest).first() if well_formed else None
    if row is None:
        for key in keys:
            throttle_record_failure(key)
    return row


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
    return {key: (Cell(None, None, True) if key in hidden else Cell(n, n, False)) for key, n in counts.items()}

