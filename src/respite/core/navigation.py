"""Staff navigation: exactly the pages each person's roles open, built from what apps declare.

Apps declare links on their AppConfig:

- ``respite_staff_nav = [(url_name, label, (roles...)), ...]``: organization pages; the url takes the
  organization slug as ``org`` (a url that takes no arguments is linked as it is).
- ``respite_staff_global_nav = [(url_name, label, "dotted.predicate"), ...]``: pages that belong to no
  organization; shown when ``predicate(user)`` is true.

Roles are those of ``staff.roles_in`` (memberships, the peer program's leads, platform admins as
org admins). The staff header and the staff home both use ``staff_navigation``.

Every staff page shows the header, so what it needs (organizations, roles, predicates, time zone) is
cached per person and recomputed only after a change to roles, profiles, organizations or accounts
(``invalidate``, connected to those models' signals in ``CoreConfig.ready``): no page pays queries for it.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.module_loading import import_string

from respite.core.apphooks import installed_hooks
from respite.core.roles import StaffRole

VERSION_KEY = "respite:staff-nav-version"
TTL = 60  # bounds staleness in other processes when the cache is per-process (no Redis)
# Where a request's organization instance carries the version it was read at (set by
# ``portal._organization_by_slug``, read by ``services.cached_available_services``).
READ_AT_VERSION = "_respite_read_at_version"


@dataclass(frozen=True)
class OrgRef:
    pk: int
    slug: str
    name: str

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal", kwargs={"org": self.slug})


@dataclass
class OrgNav:
    organization: OrgRef
    roles: set[str]
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StaffNav:
    orgs: list[OrgNav]
    global_links: list[tuple[str, str]]
    current: OrgNav | None


def version() -> int:
    """The current version of everything cached under ``VERSION_KEY``.

    A counter that restarted at 0 or 1 after the cache lost it (cleared, evicted, Redis restarted)
    would give again a version something was cached under before, and that stale entry would be taken
    for current. So a lost counter starts again from the clock, a value never handed out before."""
    value = cache.get(VERSION_KEY)
    if value is None:
        cache.add(VERSION_KEY, time.time_ns(), None)  # add: concurrent starters agree on one value
        value = cache.get(VERSION_KEY)
    return value if value is not None else time.time_ns()


def invalidate(*args: Any, **kwargs: Any) -> None:
    """Forget every cached navigation (a signal receiver: any role, profile or account changed)."""
    if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= {"last_login"}:
        return
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the counter was lost: restart from the clock (see ``version``)
        cache.set(VERSION_KEY, time.time_ns(), None)


def _compute(user: Any) -> dict:
    from respite.core.models import Membership, Organization
    from respite.core.notify import staff_time_zone
    from respite.peers.models import PeerProgram

    roles: dict[int, set[str]] = {}
    orgs: dict[int, OrgRef] = {}
    platform = user.is_superuser
    for m in Membership.objects.for_user(user).select_related("organization"):
        if m.role == StaffRole.PLATFORM_ADMIN:
            platform = True
        elif m.organization is not None:
            o = m.organization
            orgs[o.pk] = OrgRef(o.pk, o.slug, o.name)
            roles.setdefault(o.pk, set()).add(m.role)
    for program in PeerProgram.objects.filter(leads=user).select_related("organization"):
        o = program.organization
        orgs[o.pk] = OrgRef(o.pk, o.slug, o.name)
        roles.setdefault(o.pk, set()).add(StaffRole.PEER_LEAD)
    if platform:
        for o in Organization.objects.only("pk", "slug", "name"):
            orgs.setdefault(o.pk, OrgRef(o.pk, o.slug, o.name))
            roles.setdefault(o.pk, set()).add(StaffRole.ORG_ADMIN)
    global_links = [
        link.url_name
        for hooks in installed_hooks()
        for link in hooks.staff_global_nav
        if import_string(link.predicate)(user)
    ]
    return {
        "orgs": sorted(orgs.values(), key=lambda o: o.name),
        "roles": {pk: sorted(str(r) for r in rs) for pk, rs in roles.items()},
        "global": global_links,
        "time_zone": str(staff_time_zone(user)),
    }


def _key(user: Any) -> str:
    # The account's creation time is in the key: a test database (or a restored one) can reuse an id.
    return f"respite:staff-nav:{user.pk}:{user.date_joined.timestamp()}:{version()}"


def staff_data(user: Any) -> dict:
    """Organizations, roles, global pages and time zone of a signed-in person (cached)."""
    cached = getattr(user, "_respite_staff_data", None)
    if cached is not None:
        return cached
    data = cache.get(_key(user))
    if data is None:
        data = _compute(user)
        # Keyed after computing: computing may itself create the person's profile (a change).
        cache.set(_key(user), data, TTL)
    user._respite_staff_data = data
    return data


def _link(name: str, slug: str) -> str:
    """The address an organization link of the header points to."""
    return _org_link(get_resolver(get_urlconf()), get_script_prefix(), name, slug)


@functools.lru_cache(maxsize=4096)
def _org_link(resolver: object, prefix: str, name: str, slug: str) -> str:
    """Memoised per URL configuration and prefix: the header of a person with many organizations
    (a platform admin sees every one) would otherwise reverse hundreds of URLs on every page."""
    try:
        return reverse(name, kwargs={"org": slug})
    except NoReverseMatch:
        return reverse(name)


def staff_navigation(user: Any, organization: Any = None) -> StaffNav:
    data = staff_data(user)
    declared = [link for hooks in installed_hooks() for link in hooks.staff_nav]
    labels = {
        link.url_name: link.label for hooks in installed_hooks() for link in hooks.staff_global_nav
    }
    # Once per page, not once per organization × link: a platform admin sees every organization.
    resolver, prefix = get_resolver(get_urlconf()), get_script_prefix()
    declared_labels = [(link, set(link.roles), str(link.label)) for link in declared]
    orgs = []
    for org in data["orgs"]:
        roles = set(data["roles"].get(org.pk, []))
        links, seen = [], set()
        for link, link_roles, label in declared_labels:
            if roles & link_roles and link.url_name not in seen:
                seen.add(link.url_name)
                links.append((_org_link(resolver, prefix, link.url_name, org.slug), label))
        orgs.append(OrgNav(org, roles, links))
    global_links = [(reverse(name), str(labels[name])) for name in data["global"]]
    current = None
    if organization is not None:
        current = next((o for o in orgs if o.organization.pk == organization.pk), None)
    elif len(orgs) == 1:
        current = orgs[0]
    return StaffNav(orgs, global_links, current)
