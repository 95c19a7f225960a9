"""``{% directory_recommendations screening organization %}``: the result-page panel of suggested services."""

from __future__ import annotations

from django import template

from respite.directory.search import recommend

register = template.Library()


@register.inclusion_tag("directory/_recommendations.html")
def directory_recommendations(screening, organization=None) -> dict:
    organization = organization or getattr(screening, "organization", None)
    services = recommend(
        organization=organization,
        tier=getattr(screening, "tier", None),
        role_group=getattr(screening, "role_group", "") or "",
        language=getattr(screening, "language", "en") or "en",
        limit=5,
    )
    return {"services": services, "organization": organization}
