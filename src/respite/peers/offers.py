"""What the peer-support app offers on a screening result: only a program with active supporters."""

from __future__ import annotations

from respite.core.models import Organization
from respite.peers.models import Supporter


def peer_support_available(organization: Organization) -> bool:
    return Supporter.objects.filter(
        organization=organization, active=True, user__is_active=True
    ).exists()
