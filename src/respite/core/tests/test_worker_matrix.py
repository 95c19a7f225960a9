"""One worker against another: worker A (their own access code, signed in on their own phone) has
somehow got worker B's links (a shared computer's history, a forwarded screenshot) and tries every
worker page that names an object, with GET and POST, and every API operation that takes a code.

Generated from the URL map and the OpenAPI schema: every worker route with a sealed id must be
classified below (whose object it names), so a new worker page fails this test until it is. A gets
404 on each of B's objects, changes nothing, and never sees B's words, contact or ids on any page.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from respite.core.privacy import new_access_code
from respite.core.tests.test_security_suite import _routes
from respite.core.tests.test_worker_urls_hold_no_secrets import _journey
from respite.core.urlseal import seal
from respite.counseling.models import Booking, Case, Engagement, Message
from respite.peers.models import SupportRequest
from respite.screening.models import SafetyPlan, Screening
from respite.screening.views import SESSION_CODE

pytestmark = pytest.mark.django_db

# Which of B's objects each object-bearing worker route names. A new sealed route must be added.
# (405: a POST-only page asked with GET, before anything is looked up.)
OBJECT_OF = {
    "results/": "screening",
    "counseling/share/": "screening",
    "counseling/cases/": "case",
    "counseling/sessions/": "engagement",
    "counseling/bookings/": "booking",
    "peer-support/status/": "request",
}
# Sealed routes that name something public, with the reason.
PUBLIC_OBJECTS = {
    "counseling/therapists/slots/": "a therapist's free time, listed to every worker; a slot B "
    "holds answers 409 to anyone else (counseling/tests/test_booking.py)",
}
B_WORDS = ("still hard", "hard week", "555-0100", "no sleep", "my dog")


def _object_routes() -> list[str]:
    return [r for r, _p in _routes() if r.startswith("o/<slug:org>/") and "<sealed_" in r]


def _kind(route: str) -> str | None:
    tail = route.removeprefix("o/<slug:org>/")
    if any(tail.startswith(p) for p in PUBLIC_OBJECTS):
        return None
    return next((kind for prefix, kind in OBJECT_OF.items() if tail.startswith(prefix)), "")


def test_every_object_bearing_worker_route_is_classified():
    routes = _object_routes()
    assert len(routes) >= 12
    unclassified = [r for r in routes if _kind(r) == ""]
    assert not unclassified, unclassified


def _state() -> tuple:
    return (
        list(Case.objects.values_list("pk", "status", "awaiting_reply_since").order_by("pk")),
        Message.objects.count(),
        list(Engagement.objects.values_list("pk", "status").order_by("pk")),
        list(Booking.objects.values_list("pk", "status").order_by("pk")),
        list(SupportRequest.objects.values_list("pk", "rating", "closed_at").order_by("pk")),
        Screening.objects.count(),
        SafetyPlan.objects.count(),
    )


def test_worker_a_cannot_reach_change_or_read_worker_bs_objects(org, counselor):
    clients, b_code, _raw = _journey(org)  # worker B's week
    booking = Booking.objects.first()
    b_objects = {
        "screening": Screening.objects.get().pk,
        "case": Case.objects.get().pk,
        "engagement": booking.engagement_id,
        "booking": booking.pk,
        "request": SupportRequest.objects.get().pk,
    }
    b_ids = {str(pk) for pk in b_objects.values()} | {pk.hex for pk in b_objects.values()}

    a_words, a_code = new_access_code(org)
    a = Client(raise_request_exception=False)
    session = a.session
    session[SESSION_CODE] = str(a_code.pk)
    session.save()

    before = _state()
    wrong, tried = [], 0
    for route in _object_routes():
        kind = _kind(route)
        if kind is None:
            continue
        path = "/" + route.replace("<slug:org>", org.slug)
        path = re.sub(r"<sealed_\w+:\w+>", seal(b_objects[kind]), path)
        for method in ("get", "post"):
            response = getattr(a, method)(path, {"body": "x", "confirm": "end", "rating": "1"})
            tried += 1
            body = response.content.decode(errors="replace")
            if response.status_code not in (404, 405) or any(w in body for w in B_WORDS):
                wrong.append((method, route, response.status_code))
    assert tried >= 20
    assert not wrong, wrong
    assert _state() == before, "worker A changed something of worker B's"

    # Every page of A's own (My space, history, safety plan, alerts, counseling, peer support) and
    # every API operation that takes a code, with A's code: nothing of B's appears.
    pages = [
        "/" + r.replace("<slug:org>", org.slug)
        for r, _p in _routes()
        if r.startswith("o/<slug:org>/") and not re.search(r"<(?!slug:org>)", r)
    ]
    assert len(pages) >= 25
    a.post(f"/o/{org.slug}/my/", {"code": a_words})
    for path in pages:
        if "sign-out" in path or "delete" in path:
            continue
        body = a.get(path).content.decode(errors="replace")
        assert not any(w in body for w in B_WORDS), path
        assert not any(i in body for i in b_ids), path

    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    components = schema.get("components", {}).get("schemas", {})

    def takes_a_code(op: dict) -> bool:
        refs = re.findall(r'"#/components/schemas/(\w+)"', json.dumps(op.get("requestBody", {})))
        return any("access_code" in components.get(ref, {}).get("properties", {}) for ref in refs)

    code_ops = [
        path
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method == "post" and takes_a_code(op)
    ]
    assert len(code_ops) >= 2, code_ops
    api = Client(raise_request_exception=False)
    for path in code_ops:
        response = api.post(
            path, json.dumps({"access_code": a_words}), content_type="application/json"
        )
        body = response.content.decode(errors="replace")
        assert response.status_code < 500, path
        assert not any(w in body for w in B_WORDS) and not any(i in body for i in b_ids), path
    assert b_code  # B's code was issued, and A never used it
