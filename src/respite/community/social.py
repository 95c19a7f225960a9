"""Social-post composer rules: heavy-theme detection, the resource "bridge", character counts.

Pure functions over data/social.yaml, shared by the composer page, its htmx partial and the API,
so the three can never disagree. Nothing here stores or logs the post.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from respite.community import toolkit
from respite.community.toolkit import social_data, tr

MAX_POST = 70000  # above Facebook's 63,206 so over-long posts are reported, not refused

_TLDS = "com|org|net|ly|gov|edu|io|us|co|info|app|health|care|me|link|to"
URL_RE = re.compile(
    rf"(?:https?://[^\s<>\"]+|(?<![@\w.])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}'\"”’"


def find_urls(text: str) -> list[str]:
    """URLs as networks see them: with or without a scheme ("bit.ly/x" is a link on X)."""
    return [m.group(0).rstrip(_TRAILING) for m in URL_RE.finditer(text or "")]


def normalize_url(url: str) -> str:
    url = re.sub(r"^https?://", "", url.strip(), flags=re.IGNORECASE)
    host, _, path = url.partition("/")
    host = host.lower().removeprefix("www.")
    return f"{host}/{path}".rstrip("/").lower()


# --- counting -------------------------------------------------------------------------------
def _extends_cluster(prev: str, c: str, size: int) -> bool:
    o = ord(c)
    return bool(
        unicodedata.combining(c)
        or o in (0xFE0E, 0xFE0F, 0x20E3)
        or 0x1F3FB <= o <= 0x1F3FF  # skin tones
        or 0xE0020 <= o <= 0xE007F  # tag sequences (flags of regions)
        or (0x1F1E6 <= o <= 0x1F1FF and 0x1F1E6 <= ord(prev) <= 0x1F1FF and size == 1)  # flag pairs
    )


def clusters(text: str) -> list[str]:
    """Approximate extended grapheme clusters (what a reader counts as one character)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        i += 1
        while i < n:
            if text[i] == "\u200d" and i + 1 < n:  # zero-width joiner glues the next symbol on
                i += 2
            elif _extends_cluster(text[i - 1], text[i], i - start):
                i += 1
            else:
                break
        out.append(text[start:i])
    return out


# twitter-text v3: these code point ranges weigh 1, everything else 2; an emoji sequence weighs 2.
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def _is_emoji(cluster: str) -> bool:
    o = ord(cluster[0])
    return o >= 0x1F000 or "\ufe0f" in cluster or "\u200d" in cluster or 0x2600 <= o <= 0x27BF


def _weigh(segment: str) -> int:
    if segment.isascii():  # the common case: one per character, no clustering needed
        return len(segment)
    return sum(_weight(c) for c in clusters(segment))


def grapheme_count(text: str) -> int:
    return len(text) if text.isascii() else len(clusters(text))


def _weight(cluster: str) -> int:
    if _is_emoji(cluster):
        return 2
    return sum(1 if any(a <= ord(c) <= b for a, b in _LIGHT) else 2 for c in cluster)


def count(text: str, network: dict[str, Any]) -> int:
    text = unicodedata.normalize("NFC", text or "")
    if network["counting"] == "graphemes":
        return grapheme_count(text)
    total = 0
    pos = 0
    for m in URL_RE.finditer(text):
        url = m.group(0).rstrip(_TRAILING)
        total += _weigh(text[pos : m.start()]) + network.get("url_length", 23)
        pos = m.start() + len(url)
    return total + _weigh(text[pos:])


# --- themes and resources --------------------------------------------------------------------
@lru_cache(maxsize=1)
def _theme_patterns() -> list[tuple[dict, re.Pattern]]:
    return [
        (t, re.compile(r"(?<!\w)(?:" + "|".join(t["patterns"]) + r")(?!\w)", re.IGNORECASE))
        for t in social_data()["heavy_themes"]
    ]


def heavy_themes(text: str, language: str | None = None) -> list[dict[str, str]]:
    return [
        {"id": t["id"], "label": tr(t["label"], language)}
        for t, pattern in _theme_patterns()
        if pattern.search(text or "")
    ]


def known_resource_urls(extra: list[str] | tuple[str, ...] = ()) -> set[str]:
    urls = {
        i["url"]
        for g in toolkit.toolkit_data()["resource_groups"]
        for i in g["items"]
        if i.get("url")
    }
    urls.add(toolkit.toolkit_data()["social"]["link"]["url"])
    return {normalize_url(u) for u in [*urls, *extra] if u}


def mentions_resource(text: str, extra_urls: list[str] | tuple[str, ...] = ()) -> bool:
    """True when the post carries a bridge: a crisis number (988, 741741) or a known resource link."""
    if any(
        re.search(rf"(?<!\d){re.escape(m)}(?!\d)", text or "")
        for m in social_data()["resource_markers"]
    ):
        return True
    known = known_resource_urls(extra_urls)
    for url in find_urls(text):
        norm = normalize_url(url)
        if any(norm == k or norm.startswith(k + "/") for k in known):
            return True
    return False


@dataclass
class Check:
    text: str
    themes: list[dict[str, str]]
    has_resource: bool
    counts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def theme_labels(self) -> str:
        return ", ".join(t["label"] for t in self.themes)

    @property
    def missing_resource(self) -> bool:
        return bool(self.themes) and not self.has_resource

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "themes": self.themes,
            "has_resource": self.has_resource,
            "missing_resource": self.missing_resource,
            "counts": self.counts,
        }


def compose(
    text: str, *, resource: dict[str, str] | None = None, hashtags: list[str] | tuple[str, ...] = ()
) -> str:
    """The post with the chosen resource link and hashtags added (each only if not already there)."""
    text = (text or "").strip()
    lowered = text.lower()
    if (
        resource
        and resource.get("url")
        and normalize_url(resource["url"]) not in {normalize_url(u) for u in find_urls(text)}
    ):
        line = f"{resource['name']}: {resource['url']}" if resource.get("name") else resource["url"]
        text = f"{text}\n\n{line}" if text else line
    tags = [h for h in hashtags if not re.search(rf"{re.escape(h.lower())}(?!\w)", lowered)]
    if tags:
        text = f"{text}\n\n{' '.join(tags)}" if text else " ".join(tags)
    return text


def check(
    text: str, *, extra_urls: list[str] | tuple[str, ...] = (), language: str | None = None
) -> Check:
    """Warnings and per-network counts for a finished post."""
    result = Check(
        text=text,
        themes=heavy_themes(text, language),
        has_resource=mentions_resource(text, extra_urls),
    )
    graphemes = grapheme_count(
        unicodedata.normalize("NFC", text or "")
    )  # shared by every grapheme network
    for network in social_data()["networks"]:
        n = graphemes if network["counting"] == "graphemes" else count(text, network)
        result.counts.append(
            {
                "id": network["id"],
                "name": network["name"],
                "limit": network["limit"],
                "count": n,
                "over": n > network["limit"],
                "left": network["limit"] - n,
                "over_by": max(0, n - network["limit"]),
            }
        )
    return result
