"""The parts of a result page that are the same for every worker with the same result (issue 19).

Crisis options, matched services and the self-care suggestions depend only on the organization, the
tier, the needs, the role group and the language, never on who the worker is or what they answered
beyond that. Building them costs most of the page (directory look-ups, a template loop per card), so
they are rendered once and kept per process, keyed by exactly what they depend on plus the versions
that change them: the directory's fingerprint (services and the organization's curation) and which of
the organization's own people exist (``core.services``, recomputed after any role or roster change).
A time limit backs up the versions, as in ``directory.search.recommend`` (a phone number edited
without touching its service changes no fingerprint).

Kept in process memory only, never in the shared cache: a key names a tier and needs, which come from
a worker's answers. No panel holds a sealed link, a CSRF token or anything of one screening; the
page renders those around them on every request.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from respite.core.memo import ProcessCache
from respite.core.models import Organization
from respite.core.resources import crisis_options
from respite.screening import recommendations, routing, selfcare

CACHE_SIZE = 512
TTL_S = 300

_cache: ProcessCache[dict[str, Any]] = ProcessCache(CACHE_SIZE, TTL_S)


def panels(
    organization: Organization,
    needs: list[routing.Need],
    *,
    tier: str,
    role_group: str,
    language: str,
    crisis: bool,
    own_kinds: set[str],
) -> dict[str, Any]:
    """``intro`` and ``tier`` of the result summary, and the HTML of the ``crisis`` options (empty
    without a crisis), the ``services`` matched to the needs and the ``self_care`` section."""
    from respite.directory import search as directory

    key = (
        organization.pk,
        organization.created_at.timestamp(),  # a test (or restored) database can reuse an id
        organization.slug,
        organization.state,
        tier,
        tuple(n.id for n in needs),
        role_group,
        language,
        get_language(),
        crisis,
        tuple(sorted(own_kinds)),
        directory.fingerprint(organization),
    )
    hit = _cache.get(key)
    if hit is not None:
        return hit
    recs = recommendations.for_tier(tier, role_group, language, own=own_kinds)
    services = routing.matched_services(
        organization, needs, tier=tier, role_group=role_group, language=language
    )
    guides = selfcare.for_needs([n.id for n in needs], language)
    built = {
        "tier": recs["tier"],
        "intro": recs["intro"],
        "crisis": _render(
            "respite/crisis_options.html", {"crisis_options": crisis_options(language)}
        )
        if crisis
        else "",
        "services": _render(
            "screening/_result_services.html",
            {"services": services, "organization": organization},
        ),
        "self_care": _render(
            "screening/_result_self_care.html",
            {"recommendations": recs, "guides": guides, "organization": organization},
        ),
    }
    _cache.put(key, built)
    return built


def clear() -> None:
    _cache.clear()


def _render(template: str, context: dict[str, Any]) -> SafeString:
    # No request: these templates read only what they are given (no CSRF token, no nonce, no user).
    return SafeString(render_to_string(template, context))


def result_lines(results: list[dict[str, Any]]) -> SafeString:
    """The result summary's lines, one per instrument (``Result.as_dict``), each folding open to
    its explanation. Written out here rather than as a template loop: the loop's nested tags cost
    more than the rest of the result summary (issue 19). Every value is escaped by ``format_html``."""
    items = []
    for r in results:
        scales = r["scales"]
        paragraphs = []
        for s in scales:
            lead = ""
            if len(scales) > 1:  # name each scale when there are several
                lead = format_html("<strong>{}:</strong> {}{}. ", s["name"], s["label"], _score(s))
            paragraphs.append(format_html("<p>{}{}</p>", lead, s["explanation"]))
        items.append(
            format_html(
                '<li class="result band-{}"><details><summary><strong>{}:</strong> {}{}</summary>'
                "{}</details></li>",
                r["band"],
                r["short_name"],
                scales[0]["label"],
                _score(r),
                mark_safe("".join(paragraphs)),  # noqa: S308 - each paragraph built by format_html
            )
        )
    return mark_safe("\n".join(items))  # noqa: S308 - each item built by format_html


def _score(d: dict[str, Any]) -> str:
    return f" ({d['score']})" if d["score"] is not None else ""
