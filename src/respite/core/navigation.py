"""Staff navigation: exactly the pages each person's roles open, built from what apps declare.

Apps declare links on their AppConfig:

- ``respite_staff_nav = [(url_name, label, (roles...)), ...]``: organization pages; the url takes the
  organization slug as ``org`` (a url that takes no arguments is linked as it is).
- ``respite_staff_global_nav = [(url_name, label, "dotted.predicate"), ...]``: pages that belong to no
  organization; shown when ``predicate(user)`` is true.

Roles are those of ``staff.roles_in`` (memberships, the peer program's leads, platform admins as
org admins). The staff header and the staff home both use ``staff_navigation``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from respite.core.models import Membership, Organization, is_platform_admin, organizations_for
from respite.core.roles import StaffRole


@dataclass
class OrgNav:
    organization: Organization
    roles: set[str]
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StaffNav:
    orgs: list[OrgNav]
    global_links: list[tuple[str, str]]
    current: OrgNav | None


def _link(name: str, org: Organization) -> str:
    try:
        return reverse(name, kwargs={"org": org.slug})
    except NoReverseMatch:
        return reverse(name)


def user_organizations(user: Any) -> list[Organization]:
    orgs = {
        m.organization
        for m in Membership.objects.for_user(user)
        .filter(organization__isnull=False)
        .select_related("organization")
    }
    from respite.peers.models import PeerProgram

    orgs |= {
        p.organization
        for p in PeerProgram.objects.filter(leads=user).select_related("organization")
    }
    if is_platform_admin(user):
        orgs |= set(organizations_for(user, StaffRole.ORG_ADMIN))
    return sorted(orgs, key=lambda o: o.name)


def staff_navigation(user: Any, organization: Organization | None = None) -> StaffNav:
    from respite.core.staff import roles_in

    declared = [
        entry
        for config in apps.get_app_configs()
        for entry in getattr(config, "respite_staff_nav", [])
    ]
    orgs = []
    for org in user_organizations(user):
        roles = roles_in(user, org)
        links = []
        seen = set()
        for name, label, needed in declared:
            if roles & {str(r) for r in needed} and name not in seen:
                seen.add(name)
                links.append((_link(name, org), str(label)))
        orgs.append(OrgNav(org, roles, links))
    global_links = [
        (reverse(name), str(label))
        for config in apps.get_app_configs()
        for name, label, predicate in getattr(config, "respite_staff_global_nav", [])
        if import_string(predicate)(user)
    ]
    current = None
    if organization is not None:
        current = next((o for o in orgs if o.organization.pk == organization.pk), None)
    elif len(orgs) == 1:
        current = orgs[0]
    return StaffNav(orgs, global_links, current)
