"""What the peer-support app offers on a screening result: only a program with active supporters.

Whether it has them is ``core.services``' one decision (the same as the worker menu's: an active
supporter on the roster who holds the peer-supporter role here), cached and recomputed after any
change to roles, accounts or the roster."""

from __future__ import annotations

from respite.core.models import Organization
from respite.core.services import PEER_SUPPORT, cached_available_services


def peer_support_available(organization: Organization) -> bool:
    return cached_available_services(organization)[PEER_SUPPORT]
