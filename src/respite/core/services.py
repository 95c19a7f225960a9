"""Offer only help that exists: which kinds of human help an organization can give workers now.

``available_services(org)`` is the one place that decides. The portal menu hides a link whose service
is missing (``NAV_SERVICES`` below), the portal home says what is offered instead, and apps call it on
their own pages (e.g. before promising that a peer supporter will reach out).
"""

from __future__ import annotations

import time

from respite.core.memo import ProcessCache
from respite.core.models import Membership, Organization
from respite.core.navigation import READ_AT_VERSION, TTL, version
from respite.core.roles import StaffRole

COUNSELING = "counseling"
PEER_SUPPORT = "peer_support"
THERAPISTS = "therapists"

# Portal menu links that lead only to human help: shown when any one of their services exists.
NAV_SERVICES: dict[str, tuple[str, ...]] = {
    "counseling:home": (COUNSELING, THERAPISTS),
    "peers:index": (PEER_SUPPORT,),
}


def available_services(organization: Organization) -> dict[str, bool]:
    """``counseling``: an active account holds the counselor role here. ``peer_support``: an active
    peer supporter (role and roster entry) is on this organization's roster. ``therapists``: a volunteer
    therapist whose licence a platform admin verified is taking new workers (they serve every
    organization)."""
    from respite.counseling.models import Clinician
    from respite.peers.models import Supporter

    active = Membership.objects.filter(organization=organization, user__is_active=True)
    return {
        COUNSELING: active.filter(role=StaffRole.COUNSELOR).exists(),
        PEER_SUPPORT: Supporter.objects.filter(
            organization=organization,
            active=True,
            user__is_active=True,
            user__memberships__organization=organization,
            user__memberships__role=StaffRole.PEER_SUPPORTER,
        ).exists(),
        THERAPISTS: Clinician.objects.listed().exists(),
    }


def offered(url_name: str, services: dict[str, bool]) -> bool:
    needs = NAV_SERVICES.get(url_name)
    return needs is None or any(services.get(s) for s in needs)


# (organization, its creation time, navigation version) → services. The time limit bounds staleness
# when no version moved here: a change made in another process with no shared cache.
# Kept as a tuple, which nobody can change.
_services: ProcessCache[tuple[tuple[str, bool], ...]] = ProcessCache(size=256, ttl_s=TTL)


def cached_available_services(organization: Organization) -> dict[str, bool]:
    """``available_services`` for the worker menu on every portal page: cached, and recomputed after
    any change to roles, rosters or therapists (``navigation.invalidate``).

    Also kept on the organization instance (one per request: ``core.portal``) under the version it
    was read at, for ``navigation.TTL`` seconds at most (a long-lived instance, in a task, sees
    another process's change as the cache entry would): the result page asks four times (menu,
    counselor, therapists, peers).

    Kept per process, not in the shared cache: only the version has to be shared for a change in one
    process to reach the others, and a shared read costs an unpickling (a network round trip with
    Redis) on every portal page to save each process four small queries a minute."""
    # A worker page's organization carries the version it was read at (``core.portal``): one
    # request, one version. Any other instance reads the counter.
    current = organization.__dict__.get(READ_AT_VERSION)
    if current is None:
        current = version()
    kept = organization.__dict__.get("_respite_services")
    if kept is not None and kept[0] == current and time.monotonic() - kept[1] < TTL:
        return kept[2]
    key = (organization.pk, organization.created_at, current)
    kept_here = _services.get(key)
    if kept_here is None:
        kept_here = tuple(available_services(organization).items())
        _services.put(key, kept_here)
    # Each request's own dict: what a caller writes into it stays in that request.
    services = dict(kept_here)
    organization.__dict__["_respite_services"] = (current, time.monotonic(), services)
    return services
