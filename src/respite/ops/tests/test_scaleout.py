"""Scale-out on PostgreSQL: two gunicorn app servers and two task workers behind a load balancer.

A bounded load of worker flows (screenings saved under a code, anonymous peer-support requests) and staff
actions (invitations, mailed through the task queue) runs through the balancer. Mid-run one app server and
one task worker are killed with SIGKILL. Afterwards:

- every write the client saw acknowledged is there (each saved code opens its screening over HTTP);
- every task ran: nothing is left waiting, running or failed, every invitation reached the mail server;
- no task's effect counts twice: each invitation is one message (one Message-ID) at the mail server,
  even where the killed worker's send was repeated;
- the only failed requests are those the killed server had in flight.

The figures go to bench/results/scaleout.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from respite.core.testing import SmtpInbox, enrol_two_factor, free_port, make_org, make_staff
from respite.ops.tests.helpers import ROOT, Balancer, Gunicorn, server_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="scale-out runs on PostgreSQL (several app servers share one database)",
    ),
]

LOAD_SECONDS = 30  # the load's length; the kills come a third of the way in
CLIENTS = 6
DRAIN_LIMIT = 600  # seconds to wait for the surviving worker to finish the queue (busy machine)
CSRF = "scaleoutcsrftoken0123456789abcde"  # 32 characters, as Django's unmasked secret
RESULTS = ROOT / "bench" / "results" / "scaleout.json"


class SlowInbox(SmtpInbox):
    """A mail server that takes a moment to accept each message and knows which client ports are in
    the middle of one, so the test can kill a worker mid-send: the case where delivery must repeat
    without counting twice."""

    def __init__(self) -> None:
        super().__init__()
        self.sending: set[int] = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        port = session.peer[1]
        self.sending.add(port)
        try:
            await asyncio.sleep(0.25)
            return await super().handle_DATA(server, session, envelope)
        finally:
            self.sending.discard(port)


def _local_ports(pid: int) -> set[int]:
    """The local TCP ports of one process's sockets (Linux /proc; no psutil needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _wait_until_sending(inbox: SlowInbox, worker: subprocess.Popen, limit: float = 60) -> bool:
    """Wait (up to ``limit`` seconds) until this worker is in the middle of handing a message over."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if inbox.sending & _local_ports(worker.pid):
                return True
        time.sleep(0.01)
    return False


@dataclass
class Outcome:
    kind: str
    started: float
    ended: float
    client_port: int | None
    status: int | None  # None: no response (connection dropped)
    ack: str | None = None  # what the client was given back: a code, a reference, an address
    detail: bytes = b""


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


def _request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int | None, bytes, int | None]:
    """One request on its own connection (as a browser behind a proxy might); returns (status, body,
    local port). A dropped connection gives status None."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    local_port = None
    try:
        conn.connect()
        local_port = conn.sock.getsockname()[1]
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        body = response.read()
        if 300 <= response.status < 400:  # a redirect: where to, as the body
            body = (response.getheader("Location") or "").encode()
        return response.status, body, local_port
    except (OSError, http.client.HTTPException) as exc:
        return None, repr(exc).encode(), local_port
    finally:
        conn.close()


def _client(port: int, org: str, staff_cookie: str, until: float, seed: int, load: Load) -> None:
    rnd = random.Random(seed)  # noqa: S311 - choosing actions, not secrets
    n = 0
    while time.monotonic() < until:
        n += 1
        action = rnd.choices(["screening", "peer", "invite", "page"], [5, 2, 2, 1])[0]
        started = time.monotonic()
        ack = None
        if action == "screening":
            payload = {
                "organization": org,
                "save": True,
                "results": [{"instrument": "phq9", "answers": [rnd.randint(0, 2)] * 9}],
            }
            status, body, local = _request(
                port,
                "POST",
                "/api/v1/screenings",
                json.dumps(payload).encode(),
                {"Content-Type": "application/json"},
            )
            if status == 201:
                ack = json.loads(body)["access_code"]
        elif action == "peer":
            payload = {"organization": org, "source": "self_code"}
            status, body, local = _request(
                port,
                "POST",
                "/api/v1/peer-support/requests",
                json.dumps(payload).encode(),
                {"Content-Type": "application/json"},
            )
            if status == 201:
                ack = json.loads(body)["reference"]
        elif action == "invite":
            address = f"staff-{seed}-{n}@example.org"
            form = f"csrfmiddlewaretoken={CSRF}&email={address}&roles=counselor".encode()
            status, body, local = _request(
                port,
                "POST",
                f"/staff/o/{org}/staff/",
                form,
                {"Content-Type": "application/x-www-form-urlencoded", "Cookie": staff_cookie},
            )
            if status == 302 and body.decode().endswith(f"/staff/o/{org}/staff/"):
                ack = address
        else:
            status, body, local = _request(port, "GET", f"/o/{org}/")
        detail = body[:300] if status is None or status >= 400 else b""
        load.add(Outcome(action, started, time.monotonic(), local, status, ack, detail))


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "worker"],
        env=env,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill9(proc: subprocess.Popen) -> None:
    """SIGKILL a process group and return once every process of it is gone (the master exits first; its
    workers, which share the listening socket, may still take connections for a moment)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            _kill9(proc)


def _queue_state() -> dict[str, int]:
    from django_tasks_db.models import DBTaskResult

    from respite.core.models import OutboundEmail

    tasks = Counter(DBTaskResult.objects.values_list("status", flat=True))
    mail = Counter(OutboundEmail.objects.values_list("status", flat=True))
    return {"tasks_" + k.lower(): v for k, v in tasks.items()} | {
        "mail_" + k: v for k, v in mail.items()
    }


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


@pytest.mark.django_db(transaction=True)
def test_two_app_servers_and_two_workers_survive_losing_one_of_each(tmp_path):
    from aiosmtpd.controller import Controller
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from respite.core.models import Invitation, OutboundEmail
    from respite.peers.models import SupportRequest

    org = make_org("scaleout")
    admin = make_staff(org, "org_admin", "scaleout-admin")
    make_staff(org, "peer_supporter", "scaleout-supporter")
    staff = Client()
    staff.force_login(admin)
    # The admin has passed the second factor (the sign-in itself is tested elsewhere).
    enrol_two_factor(admin)
    session = staff.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=admin).persistent_id
    session.save()
    staff.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    staff_cookie = f"{settings.SESSION_COOKIE_NAME}={staff.cookies[settings.SESSION_COOKIE_NAME].value}; csrftoken={CSRF}"

    inbox = SlowInbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port(), ready_timeout=60)
    smtp.start()
    db = connection.settings_dict
    env = server_env(
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        EMAIL_USE_TLS="0",
        RESPITE_TASK_STALE_AFTER="20",  # a dead worker's task comes back after 20 s
        RESPITE_SCHEDULER_INTERVAL="2",
        RESPITE_CODE_FAILURES_PER_ADDRESS="100000",  # every client comes through one proxy address
    )
    servers: list[Gunicorn] = []
    workers: list[subprocess.Popen] = []
    balancer = None
    try:
        servers = [Gunicorn(env, tmp_path / f"app{i}.log", workers=1, threads=4) for i in (0, 1)]
        workers = [_start_worker(env, tmp_path / f"worker{i}.log") for i in (0, 1)]
        balancer = Balancer([s.port for s in servers])

        load = Load()
        began = time.monotonic()
        until = began + LOAD_SECONDS
        clients = [
            threading.Thread(
                target=_client, args=(balancer.port, org.slug, staff_cookie, until, i, load)
            )
            for i in range(CLIENTS)
        ]
        for c in clients:
            c.start()
        time.sleep(LOAD_SECONDS / 3)
        _kill9(servers[0].proc)
        killed_at = time.monotonic()  # from here on, server 0 accepts nothing
        # Kill worker 0 while it hands a message to the mail server, before it can record it as sent.
        caught_mid_send = _wait_until_sending(inbox, workers[0])
        _kill9(workers[0])
        for c in clients:
            c.join(timeout=LOAD_SECONDS + 600)
        load_ended = time.monotonic()

        # The surviving worker finishes the queue, including what the dead one had claimed.
        deadline = time.monotonic() + DRAIN_LIMIT
        while time.monotonic() < deadline:
            state = _queue_state()
            if not (
                state.get("tasks_ready") or state.get("tasks_running") or state.get("mail_pending")
            ):
                break
            time.sleep(1)
        drained_after = time.monotonic() - load_ended
        state = _queue_state()
        assert not state.get("tasks_ready") and not state.get("tasks_running"), state
        assert not state.get("tasks_failed") and not state.get("mail_failed"), state
        assert not state.get("mail_pending"), state

        # Failures: only requests the killed server had in flight when it died.
        failures = [o for o in load.outcomes if o.status is None or o.status >= 400]
        for failure in failures:
            assert failure.client_port is not None, failure
            routed = [
                r
                for r in balancer.routed.get(failure.client_port, [])
                if r.opened <= failure.ended and (r.closed is None or r.closed >= failure.started)
            ]
            assert routed, f"a failed request the balancer never routed: {failure}"
            assert all(r.backend == 0 and r.opened <= killed_at for r in routed), (
                f"a request failed that the killed server was not serving: {failure} {routed} "
                f"killed at {killed_at}"
            )
        acknowledged = [o for o in load.outcomes if o.ack]
        assert len(acknowledged) > 20, "the load did too little to show anything"
        assert any(o.started > killed_at and o.ack for o in load.outcomes), "nothing after the kill"

        # No acknowledged write lost: each saved code opens its screening, through the balancer.
        # Several at a time: every look-up takes at least RESPITE_CODE_LOOKUP_SECONDS (a constant-time
        # floor), and a fast run acknowledges thousands of codes.
        def look_up(o: Outcome) -> tuple[Outcome, int | None, bytes]:
            status, body, _port = _request(
                balancer.port,
                "POST",
                "/api/v1/screenings/lookup",
                json.dumps({"access_code": o.ack}).encode(),
                {"Content-Type": "application/json"},
            )
            return o, status, body

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = [o for o in acknowledged if o.kind == "screening"]
            for o, status, body in pool.map(look_up, codes):
                assert status == 200 and len(json.loads(body)) == 1, (o, status, body[:200])
        references = {o.ack for o in acknowledged if o.kind == "peer"}
        assert references <= {r.reference for r in SupportRequest.objects.filter(organization=org)}
        invited = {o.ack for o in acknowledged if o.kind == "invite"}
        assert invited <= set(Invitation.objects.values_list("email", flat=True))

        # Every invitation reached the mail server, and counts once: one Message-ID per invitation.
        received: dict[str, set[str]] = {}
        deliveries = 0
        for recipients, raw in inbox.messages:
            message_id = email.message_from_string(raw)["Message-ID"]
            for to in recipients:
                if to in invited:
                    deliveries += 1
                    received.setdefault(to, set()).add(message_id)
        assert set(received) == invited, invited - set(received)
        assert all(len(ids) == 1 for ids in received.values()), {
            k: v for k, v in received.items() if len(v) > 1
        }
        assert not any(e.to for e in OutboundEmail.objects.all())  # sent mail forgets its address

        latencies = [o.ended - o.started for o in load.outcomes if o.status and o.status < 400]
        figures = {
            "benchmark": "scaleout",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": "postgresql",
            "app_servers": 2,
            "task_workers": 2,
            "load_seconds": round(load_ended - began, 1),
            "killed_after_seconds": round(killed_at - began, 1),
            "requests": len(load.outcomes),
            "by_kind": dict(Counter(o.kind for o in load.outcomes)),
            "acknowledged_writes": len(acknowledged),
            "acknowledged_writes_lost": 0,
            "failed_in_flight_on_killed_server": len(failures),
            "failed_elsewhere": 0,
            "invitations_mailed": len(invited),
            "mail_deliveries": deliveries,
            "worker_killed_mid_send": caught_mid_send,
            "repeated_deliveries_same_message_id": deliveries - len(invited),
            "queue_drained_seconds_after_load": round(drained_after, 1),
            "latency_p50_ms": round(_percentile(latencies, 0.5) * 1000),
            "latency_p95_ms": round(_percentile(latencies, 0.95) * 1000),
            "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()[0]},
        }
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
        print("scale-out:", json.dumps(figures))
    finally:
        if balancer is not None:
            balancer.close()
        for w in workers:
            _stop(w)
        for s in servers:
            if s.proc.poll() is None:
                s.stop()
        smtp.stop()
