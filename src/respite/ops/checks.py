"""System checks for the operations settings: misconfiguration is reported by `respite check`."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

MIN_TOKEN_LENGTH = 32


@register()
def check_metrics_access(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    token = settings.RESPITE_METRICS_TOKEN
    if token and len(token) < MIN_TOKEN_LENGTH:
        problems.append(
            Error(
                f"RESPITE_METRICS_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters.",
                hint='Generate one: python3 -c "import secrets; print(secrets.token_urlsafe(32))"',
                id="ops.E001",
            )
        )
    for item in settings.RESPITE_METRICS_ALLOW:
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            problems.append(
                Error(
                    f"RESPITE_METRICS_ALLOW: {item!r} is not an address or network.", id="ops.E002"
                )
            )
            continue
        if network.is_loopback or network.prefixlen == 0:
            problems.append(
                Warning(
                    f"RESPITE_METRICS_ALLOW contains {item}: a reverse proxy on this machine makes every "
                    "visitor's request come from 127.0.0.1, so anyone could read /metrics through it.",
                    hint="Use RESPITE_METRICS_TOKEN, or make sure the proxy does not forward /metrics.",
                    id="ops.W001",
                )
            )
    return problems
