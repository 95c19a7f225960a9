"""Who may read /metrics: a bearer token (RESPITE_METRICS_TOKEN) or an address in RESPITE_METRICS_ALLOW.

With neither set the endpoint does not exist (404): metrics are off unless an operator turns them on.
"""

from __future__ import annotations

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for item in spec:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue  # reported by the ops.E002 system check; a typo must not open or break /metrics
    return tuple(networks)


def allowed_networks() -> tuple[Network, ...]:
    return _networks(tuple(settings.RESPITE_METRICS_ALLOW))


def metrics_enabled() -> bool:
    return bool(settings.RESPITE_METRICS_TOKEN or settings.RESPITE_METRICS_ALLOW)


def token_matches(request: HttpRequest) -> bool:
    token = settings.RESPITE_METRICS_TOKEN
    if not token:
        return False
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())


def address_allowed(request: HttpRequest) -> bool:
    networks = allowed_networks()
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:  # "::ffff:10.0.0.5" is 10.0.0.5
        address = address.ipv4_mapped
    return any(address in network for network in networks)
