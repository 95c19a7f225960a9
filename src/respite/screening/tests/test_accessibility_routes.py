"""Every worker page in the URL map is opened by an accessibility walk (test_accessibility_browser), or
is listed there, with why, as something that is not a page (a POST-only endpoint, an image, a
download)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from respite.screening.tests.test_accessibility_browser import (
    NOT_A_PAGE,
    WALKED_ELSEWHERE,
    WALKED_WITH_A_CODE,
)


def _worker_routes(patterns=None, prefix: str = "", namespace: str = "") -> set[str]:
    """Names of every route under /o/<org>/ and /crisis/ in the URL map."""
    names: set[str] = set()
    for p in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = namespace + (f"{p.namespace}:" if p.namespace else "")
            names |= _worker_routes(p.url_patterns, route, ns)
        elif isinstance(p, URLPattern) and route.startswith(("o/", "crisis/")):
            names.add(namespace + (p.name or route))
    return names


def test_every_worker_route_is_walked_or_is_not_a_page():
    """A new worker page fails here until an accessibility walk opens it (or it is listed, with
    why, as something that is not a page)."""
    routes = _worker_routes()
    listed = WALKED_WITH_A_CODE | WALKED_ELSEWHERE | set(NOT_A_PAGE)
    assert routes - listed == set(), "worker routes no accessibility walk opens"
    assert listed - routes == set(), "listed routes that no longer exist"
    assert not (WALKED_WITH_A_CODE | WALKED_ELSEWHERE) & set(NOT_A_PAGE)
