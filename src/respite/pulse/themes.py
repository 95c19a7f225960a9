"""Comment themes: the released comments of a round grouped by meaning with the directory's static
embedding model (model2vec), each theme labelled by its most distinctive words.

Only comments that are already released (``reporting.comments``: final release, invitation mode, at
least the comment threshold of respondents) are grouped, and a theme is shown only when it holds at
least ``MIN_THEME`` comments; the rest stay in the plain, shuffled list. Grouping reveals nothing
the released list does not: it is the same texts, sorted by topic, never by unit, role or time.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MIN_THEME = 10
MAX_THEMES = 6
ITERATIONS = 25

# Words too common to label a theme (English and Spanish).
_STOPWORDS = """a about after all also am an and any are as at be because been but by can could did do does
    don't for from get had has have i i'm if in into is it it's its just like me more most my no not of
    on or our out over so some than that the their them there they this to too up us very was we were
    what when which who will with would you your
    al algo como con cuando de del el ella ellos en es esta está este esto hay la las le les lo los mas
    más me mi muy nada ni no nos o para pero por porque que qué se si sí sin sobre son su sus también te
    tengo todo un una uno y ya yo"""
STOPWORDS = frozenset(_STOPWORDS.split())
WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


@dataclass
class Theme:
    label: str
    terms: list[str]
    comments: list[str]


def _words(text: str) -> list[str]:
    return [w for w in (m.lower() for m in WORD.findall(text)) if w not in STOPWORDS]


def _embed(texts: list[str]) -> np.ndarray | None:
    """Unit vectors of ``texts`` from the directory's model, or None when it is not available."""
    import numpy as np

    from respite.directory.search import get_model  # the model loads on first use only

    model = get_model()
    if model is None:
        return None
    vectors = np.asarray(model.encode(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _kmeans(vectors: np.ndarray, k: int) -> list[int]:
    """Spherical k-means from a farthest-point start, so the result is deterministic (the same
    comments always give the same themes) and two starting centres rarely share one topic."""
    import numpy as np

    mean = vectors.mean(axis=0)
    chosen = [int(np.argmin(vectors @ mean))]
    for _c in range(1, k):
        closeness = np.max(vectors @ vectors[chosen].T, axis=1)
        chosen.append(int(np.argmin(closeness)))
    centres = vectors[chosen].copy()
    labels = np.zeros(len(vectors), dtype=int)
    for _i in range(ITERATIONS):
        new = np.argmax(vectors @ centres.T, axis=1)
        if _i and np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            members = vectors[labels == c]
            if len(members):
                centre = members.sum(axis=0)
                centres[c] = centre / (np.linalg.norm(centre) or 1.0)
    return [int(x) for x in labels]


def _top_terms(group: list[str], everyone: Counter, total: int, n: int = 3) -> list[str]:
    """Words frequent in the group and rarer elsewhere (document frequency ratio)."""
    df = Counter(w for text in group for w in set(_words(text)))
    score = {w: c / len(group) - everyone[w] / total for w, c in df.items() if c >= 2}
    return [w for w, _s in sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def themes(texts: list[str], *, min_size: int = MIN_THEME) -> list[Theme]:
    """Themes of at least ``min_size`` comments, largest first; each theme's comments shuffled.
    Empty when there are too few comments or the embedding model is unavailable."""
    texts = [t for t in texts if t.strip()]
    if len(texts) < min_size:
        return []
    ordered = sorted(texts)  # the grouping must not depend on the order comments were stored in
    vectors = _embed(ordered)
    if vectors is None:
        return []
    k = max(1, min(MAX_THEMES, len(ordered) // min_size))
    labels = _kmeans(vectors, k)
    everyone = Counter(w for text in ordered for w in set(_words(text)))
    out = []
    shuffle = random.SystemRandom().shuffle
    for c in range(k):
        group = [t for t, label in zip(ordered, labels, strict=True) if label == c]
        if len(group) < min_size:
            continue
        terms = _top_terms(group, everyone, len(ordered))
        shuffle(group)
        out.append(Theme(", ".join(terms) if terms else "", terms, group))
    out.sort(key=lambda t: -len(t.comments))
    return out
