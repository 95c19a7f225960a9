"""Attacks on access codes, tried over HTTP as an attacker would.

* Behind a reverse proxy, the client address comes from X-Forwarded-For read from the right, and
  only through configured trusted proxies; a client cannot pick its own throttle key.
* One client's failures never lock out another worker's valid code, even on a shared address.
* Someone who saw most of a code is stopped, from any number of addresses.
* Every endpoint that takes a code (web and API) is throttled the same way, including real codes
  that open nothing there (the peer status check used to let those through without a charge).
* A real code of another organization takes as long to refuse as a made-up one.
"""

from __future__ import annotations

import json
import random
import statistics
import time

import pytest
from django.test import Client

from respite.core import privacy
from respite.core.privacy import _WORDLIST  # the public BIP-39 list: nothing secret

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
WEB = ["/o/{org}/my/", "/o/{org}/counseling/code/", "/o/{org}/peer-support/check/"]


def _code_operations() -> list[str]:
    """Every API operation whose body takes an access code, read from the OpenAPI schema."""
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    components = schema["components"]["schemas"]
    found = []
    for path, ops in schema["paths"].items():
        body = (
            ops.get("post", {})
            .get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
        )
        ref = body.get("schema", {}).get("$ref", "")
        props = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        if "access_code" in props and "{" not in path:
            required = components[ref.rsplit("/", 1)[-1]].get("required", [])
            if required and "access_code" in required:
                found.append("/api/v1" + path.removeprefix("/api/v1"))
    return sorted(found)


def _api(client: Client, path: str, code: str):
    # every code operation's other fields, so only the code decides the answer
    data = {"access_code": code, "rating": 4, "body": "hello"}
    return client.post(path, data, content_type="application/json")


def _web(client: Client, path: str, org, code: str):
    return client.post(path.format(org=org.slug), {"code": code})


def _made_up() -> str:
    return " ".join(random.choice(_WORDLIST) for _ in range(8))  # noqa: S311 - an attacker's guess


def _peer_request_code(org) -> str:
    from respite.peers.tests.factories import make_department

    dept = make_department(org, "Emergency")
    response = Client().post(
        "/api/v1/peer-support/requests",
        {
            "organization": org.slug,
            "source": "manager",
            "contact": "555-0100",
            "department": dept.pk,
            "event_type": "patient_death",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    return response.json()["access_code"]


def test_the_schema_still_lists_the_code_operations():
    """If this fails, a code endpoint was renamed: the other tests here would silently skip it."""
    ops = _code_operations()
    assert {
        "/api/v1/screenings/lookup",
        "/api/v1/peer-support/status",
        "/api/v1/peer-support/rate",
    } <= set(ops)


def test_forwarded_for_is_believed_only_from_trusted_proxies_and_read_from_the_right(org, settings):
    settings.RESPITE_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.RESPITE_CODE_FAILURES_PER_ADDRESS = 5
    path = f"/o/{org.slug}/my/"
    # The attacker sits behind the proxy and writes a new fake address into X-Forwarded-For on every try;
    # the proxy appends the attacker's real address on the right.
    for i in range(5):
        via_proxy = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.66")
        assert via_proxy.post(path, {"code": _made_up()}).status_code == 400
    spoofed = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.66")
    assert spoofed.post(path, {"code": _made_up()}).status_code == 429
    # Another worker behind the same proxy is a different client: not throttled.
    colleague = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert colleague.post(path, {"code": _made_up()}).status_code == 400
    # Without going through the proxy, the header is the attacker's own words and is ignored.
    direct = Client(REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert direct.post(path, {"code": _made_up()}).status_code == 429
    # Nothing configured: the header is never read, even from the proxy's address.
    settings.RESPITE_TRUSTED_PROXIES = []
    for _ in range(5):
        Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1").post(
            path, {"code": _made_up()}
        )
    blocked = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2").post(
        path, {"code": _made_up()}
    )
    assert blocked.status_code == 429


def test_hopping_through_an_ipv6_block_does_not_escape_the_limit(org, settings):
    settings.RESPITE_CODE_FAILURES_PER_ADDRESS = 5
    path = f"/o/{org.slug}/my/"
    for i in range(5):
        Client(REMOTE_ADDR=f"2001:db8:1:2::{i + 1:x}").post(path, {"code": _made_up()})
    assert (
        Client(REMOTE_ADDR="2001:db8:1:2:ffff::9").post(path, {"code": _made_up()}).status_code
        == 429
    )
    assert Client(REMOTE_ADDR="2001:db8:1:3::1").post(path, {"code": _made_up()}).status_code == 400


def test_one_clients_failures_never_lock_out_another_workers_valid_code(org, settings):
    """200 failures from one client on the hospital's shared address, then a colleague with a real
    code on every code endpoint, web and API, from that same address."""
    settings.RESPITE_TRUSTED_PROXIES = [PROXY]
    settings.RESPITE_CODE_FAILURES_PER_ADDRESS = 200
    hospital = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.10"}
    attacker = Client(**hospital)
    statuses = [
        attacker.post(f"/o/{org.slug}/my/", {"code": _made_up()}).status_code for _ in range(205)
    ]
    assert statuses[:200] == [400] * 200 and set(statuses[200:]) == {429}
    assert _api(attacker, "/api/v1/screenings/lookup", _made_up()).status_code == 429

    screening_code, _row = privacy.new_access_code(org)
    peer_code = _peer_request_code(org)
    for path in WEB[:2]:
        assert _web(Client(**hospital), path, org, screening_code).status_code == 302, path
    assert _web(Client(**hospital), WEB[2], org, peer_code).status_code == 302
    assert _api(Client(**hospital), "/api/v1/screenings/lookup", screening_code).status_code == 200
    assert _api(Client(**hospital), "/api/v1/peer-support/status", peer_code).status_code == 200


def test_someone_who_saw_seven_words_is_stopped_from_any_address(org, settings):
    settings.RESPITE_CODE_FAILURES_PER_CODE = 5
    code, _row = privacy.new_access_code(org)
    seen = code.split("-")[:7]
    guesses = [w for w in _WORDLIST if w != code.split("-")[7]][:10]
    for i, last in enumerate(guesses):  # a new address for every guess
        response = Client(REMOTE_ADDR=f"198.51.100.{i}").post(
            f"/o/{org.slug}/my/", {"code": " ".join([*seen, last])}
        )
        assert response.status_code == 400
    # The eleventh guess is refused whatever it is, even the right one, from a fresh address.
    right = Client(REMOTE_ADDR="192.0.2.250").post(f"/o/{org.slug}/my/", {"code": code})
    assert right.status_code == 429
    # A different worker's code is untouched.
    other, _ = privacy.new_access_code(org)
    assert (
        Client(REMOTE_ADDR="192.0.2.250").post(f"/o/{org.slug}/my/", {"code": other}).status_code
        == 302
    )


@pytest.mark.parametrize("target", WEB + ["api"])
def test_every_code_endpoint_charges_a_real_code_that_opens_nothing_there(
    target, org, other_org, settings
):
    """A real code that this endpoint does not serve (another organization's, or one with no peer
    request behind it) is a failure like any other: after the per-code limit, 429."""
    settings.RESPITE_CODE_FAILURES_PER_CODE = 3
    paths = _code_operations() if target == "api" else [target]
    for path in paths:
        foreign, _row = privacy.new_access_code(other_org)  # real, but another organization's
        if path.startswith("/api/"):
            if "screenings" in path:
                continue  # screening look-ups serve every real code: nothing to charge
            statuses = [_api(Client(), path, foreign).status_code for _ in range(4)]
        else:
            statuses = [_web(Client(), path, org, foreign).status_code for _ in range(4)]
        assert statuses[:3] == [statuses[0]] * 3 and statuses[0] in (400, 404), (path, statuses)
        assert statuses[3] == 429, (path, statuses)


def test_code_lookups_are_throttled_alike_on_web_and_api(org, settings):
    """Failures on one endpoint count on every other: switching endpoints buys no extra tries."""
    settings.RESPITE_CODE_FAILURES_PER_CODE = 4
    guess = _made_up()
    assert _web(Client(), WEB[0], org, guess).status_code == 400
    assert _web(Client(), WEB[1], org, guess).status_code == 400
    assert _api(Client(), "/api/v1/screenings/lookup", guess).status_code == 404
    assert _api(Client(), "/api/v1/peer-support/status", guess).status_code == 404
    for path in WEB:
        assert _web(Client(), path, org, guess).status_code == 429, path
    for path in _code_operations():
        assert _api(Client(), path, guess).status_code == 429, path


def _timed(client: Client, path: str, code: str) -> float:
    started = time.perf_counter()
    response = client.post(path, {"code": code})
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    return elapsed


@pytest.mark.parametrize("path", [WEB[0], WEB[2]])
def test_a_real_code_of_another_organization_takes_as_long_as_a_made_up_one(
    path, org, other_org, settings
):
    """The attacker holds real codes from their own organization and times the refusal here.

    Robust on a busy machine: the two kinds are interleaved (load hits both alike), many tries are
    made, and medians and upper quartiles are compared with a margin well under the 26 ms the leak
    used to show."""
    settings.RESPITE_CODE_LOOKUP_SECONDS = 0.1
    settings.RESPITE_CODE_FAILURES_PER_CODE = 10**6
    settings.RESPITE_CODE_FAILURES_PER_ADDRESS = 10**6
    path = path.format(org=org.slug)
    client = Client()
    tries = 60
    real = [privacy.new_access_code(other_org)[0] for _ in range(tries)]
    _timed(client, path, _made_up())  # warm-up: templates, translations, connection
    foreign, unknown = [], []
    for i in range(tries):
        pair = [(foreign, real[i]), (unknown, _made_up())]
        random.shuffle(pair)
        for bucket, code in pair:
            bucket.append(_timed(client, path, code))
    for times in (foreign, unknown):
        assert statistics.median(times) >= 0.1
    assert abs(statistics.median(foreign) - statistics.median(unknown)) < 0.010
    q_foreign = statistics.quantiles(foreign, n=4)[2]
    q_unknown = statistics.quantiles(unknown, n=4)[2]
    assert abs(q_foreign - q_unknown) < 0.020
