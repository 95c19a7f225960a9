"""Respite over real HTTP: gunicorn + wrk on 127.0.0.1, each scenario as a ratio to Django's own hello page.

Servers. Three gunicorn servers are started in turn on free loopback ports, all with the same
configuration (``GUNICORN``: production's ``respite.gunicorn_conf`` — app preloaded and warmed up
before forking — with 2 processes × 4 threads, ``gthread``, which keeps connections alive):
``bench.hello_wsgi`` (a bare WSGI callable, shown for context), ``bench.django_hello`` (the baseline:
Respite's settings and full middleware stack with one trivial view) and ``respite.wsgi`` itself, on a
temporary SQLite file prepared by a setup subprocess (migrate, ``respite demo``, 200 open counseling
cases, 10,000 generated directory services with embeddings, bench_pulse's 10-million-response rollups,
150 worker sessions for the booking race). Django hello stays up, idle, while Respite's scenarios run:
each scenario's saturation run is bracketed by two short Django hello runs (``BRACKET_S`` flat out,
just before and just after) and its ratios are to their mean, so a drift of the shared machine over
the minutes between the baseline and a scenario does not land in the ratio. That is done
``SAT_ROUNDS`` times in a row (hello, scenario, hello, scenario, ..., hello: each hello run closes one
round and opens the next) and the median round's ratios are reported: on a shared virtual machine
one 8-second run's ratio moved by ±15 % between runs a minute apart (Django hello alone served 1,695
and 2,231 req/s in two runs minutes apart), and one unlucky run decided a target. Nothing is served on any
address other than 127.0.0.1, and every server is stopped before ``run()`` returns.

Method, per scenario: a short warm-up (not recorded), then a saturation run (``SAT_CONNECTIONS``
connections, no pauses) gives the maximum rate and the server CPU per request (CPU time of every
gunicorn worker thread, from /proc/<pid>/task/*/schedstat, ÷ requests); then a paced run at 50 % of
that rate gives the latencies. wrk (not wrk2) has no constant-rate mode, so pacing is emulated in
wrk's Lua ``delay()``: each of ``PACED_CONNECTIONS`` connections starts its next iteration on a fixed
schedule (connections × 1000 / rate ms apart, random phase). Latency is wrk's, from writing a request
to reading its response; time spent waiting for a late schedule is not counted (wrk2's
coordinated-omission correction is not available), so the achieved rate is reported beside the
target. Multi-step flows (the worker flow; the dashboard and its charts) run one connection per wrk
thread so each connection's cookies and steps stay in order. The worker flow's three requests are
also measured each on its own (issue 19 asks it of every request): the form for a new visitor, the
answers POSTed again and again (a new screening and session each time, as in the flow), and one result
page read again and again with its session.

The 50-way slot race is not a throughput test: 50 threads, each with its own worker session,
POST the same slot's booking form at one barrier; exactly one must get the redirect (302) and 49 the
conflict page (409), three rounds on three slots. Its latency is from the barrier to the response.

Cold start: a fresh one-worker server; the first request to the check-in page against the tenth, in
CPU and wall time, each request after the same idle pause (``COLD_PAUSE_S``). On a shared virtual
machine any request after a second of idleness costs several times one in a burst (cold caches, a
descheduled core: measured 7-12 ms against 2-3 ms for the same page in the same warm worker), so a
first request after the readiness wait compared with a tenth sent back to back measured the pause,
not the worker's newness. Back-to-back requests are reported beside it as context.
``respite score phq9``'s CPU is measured from a fresh parent process, after one run that writes its
bytecode (an installed copy has it; with PYTHONDONTWRITEBYTECODE set, every run compiled Respite's
modules from source).

Memory per worker is each gunicorn worker's RSS and PSS (``/proc``) after that server's runs.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

ROOT = Path(__file__).resolve().parent.parent
# Keep-alive 30 s (gunicorn's default is 2 s): a paced connection idles longer than 2 s between slow
# requests, and a proxy in front of Respite would keep its upstream connections open too.
# Every server (raw WSGI, Django hello, Respite) runs under production's configuration file
# (respite.gunicorn_conf: preloaded app, warm-up before fork, one BLAS thread per process).
GUNICORN = [
    "-c",
    "python:respite.gunicorn_conf",
    "-w",
    "2",
    "-k",
    "gthread",
    "--threads",
    "4",
    "--keep-alive",
    "30",
]
WARMUP_S, SATURATE_S, PACED_S = 3, 8, 10
BRACKET_S = 4  # Django hello flat out right before and after each Respite saturation run
# Saturation runs per Respite scenario, each bracketed by hello runs; the median is reported.
SAT_ROUNDS = 3
PACED_MIN_REQUESTS, PACED_MAX_S = 60, 30  # slow pages: pace longer (up to 30 s) for enough samples
SAT_CONNECTIONS = 16
PACED_CONNECTIONS = 8
INBOX_CASES = 200
DIRECTORY_SERVICES = 10_000
RACE_N, RACE_ROUNDS = 50, 3
COLD_PAUSE_S = 1.0  # idle before each cold-start request: the first one waits as long (readiness)
CSRF = "b" * 16 + "C" * 16  # an unmasked CSRF secret, sent as cookie and form field
PASSWORD = "respite-demo-password"  # noqa: S105 - `respite demo`'s local-only password
STAFF_USERS = ("admin", "riverside-counselor")  # the accounts the scenarios sign in as
# Issue 19's targets are ratios to Django's own hello page served the same way in the same run.
TARGETS = {
    "flow_ratio": 0.25,  # every request of the worker flow, × Django hello
    "search_ratio": 0.15,
    "search_p95_ms": 50.0,
    "dashboard_p95_ms": 100.0,
    "first_request_ratio": 2.0,  # a fresh preloaded worker: first request ÷ tenth
    "score_cpu_s": 1.5,
}
BASE = "Django hello"


# --- setup (runs in a subprocess: settings read DATABASE_URL at start-up) ----------------------
def _setup() -> dict:
    """Migrate and fill the benchmark database; return what the scenarios need (ids, session keys)."""
    import importlib

    settings_module = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    # Loading only: skip fsync while filling the file. The servers under test use the real settings.
    settings_module.DATABASES["default"]["OPTIONS"]["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA foreign_keys=ON;"
    )
    import django

    django.setup()
    from django.core.management import call_command

    timings: dict[str, float] = {}
    out: dict = {"timings": timings, "unavailable": {}}

    def step(name: str, fn) -> None:
        started = time.perf_counter()
        try:
            out[name] = fn()
        except Exception as exc:  # a scenario whose app is not ready is reported, not fatal
            out["unavailable"][name] = f"{type(exc).__name__}: {str(exc)[:300]}"
        timings[name] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        call_command("demo")
    timings["migrate+demo"] = round(time.perf_counter() - started, 1)
    step("second_factor", _enrol_second_factor)
    step("inbox", _seed_inbox)
    step("race", _seed_race)
    step("directory", _seed_directory)
    step("dashboard", _seed_pulse)
    return out


def _enrol_second_factor() -> dict[str, str]:
    """Staff who read worker content, and admins, must pass TOTP (core.twofactor) as in production:
    the bench enrols an authenticator for each account it signs in as and answers the second step."""
    from django.contrib.auth import get_user_model

    from respite.core.testing import enrol_two_factor

    users = get_user_model().objects.filter(username__in=STAFF_USERS)
    return {user.username: enrol_two_factor(user) for user in users}


def _answers(inst, k: int) -> dict:
    return {it.id: it.options[(k + n) % len(it.options)].value for n, it in enumerate(inst.items)}


def _seed_inbox() -> dict:
    """INBOX_CASES open cases in riverside's counseling queue (the page lists up to 200)."""
    from datetime import timedelta

    from django.utils import timezone

    from respite.core import privacy
    from respite.core.models import Organization
    from respite.counseling.models import Author, Case, Message
    from respite.screening import instruments
    from respite.screening.models import Screening

    org = Organization.objects.get(slug="riverside")
    now = timezone.now()
    for i in range(INBOX_CASES):
        results = [
            instruments.get(i_id).score(_answers(instruments.get(i_id), i))
            for i_id in ("phq2", "gad2")
        ]
        screening = Screening.do_create(results, organization=org, role_group="nurse")
        code = privacy.new_access_code(org)[1]
        screening.save_under(code)
        opened = now - timedelta(hours=i)
        case = Case.objects.create(
            organization=org,
            access_code=code,
            screening=screening,
            tier=screening.tier,
            opened_at=opened,
            awaiting_reply_since=opened,
        )
        for m in range(1 + i % 3):
            Message.objects.create(
                case=case, author=Author.WORKER, body=f"Benchmark message {m}.", created_at=opened
            )
    return {"cases": Case.objects.filter(organization=org).count()}


def _seed_race() -> dict:
    """One verified therapist with RACE_ROUNDS free slots, and RACE_N worker sessions per round."""
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.utils import timezone

    from respite.core import privacy
    from respite.core.models import Organization
    from respite.core.testing import make_user
    from respite.core.urlseal import seal
    from respite.counseling.models import Clinician, Slot
    from respite.screening.views import SESSION_CODE

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    org = Organization.objects.get(slug="riverside")
    clinician = Clinician.objects.create(
        user=make_user("bench-race-therapist"),
        display_name="Dr Bench",
        licence_type="lcsw",
        states=["CA"],
        licence_number="B-1",
        languages=["en"],
        modalities=["video"],
        verified_at=timezone.now(),
    )
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    rounds = []
    for r in range(RACE_ROUNDS):
        at = start + timedelta(hours=r)
        slot = Slot.objects.create(
            clinician=clinician, starts_at=at, ends_at=at + timedelta(minutes=50)
        )
        sessions = []
        for _ in range(RACE_N):
            store = SessionStore()
            store[SESSION_CODE] = str(privacy.new_access_code(org)[1].pk)
            store.create()
            sessions.append(store.session_key)
        # Worker pages take sealed ids (core.urlseal), valid for a few hours: the race runs minutes later.
        rounds.append({"slot": slot.pk, "sealed": seal(slot.pk), "sessions": sessions})
    return {"org": org.slug, "rounds": rounds}


def _seed_directory() -> dict:
    """bench_directory's generator (same 10,000 services), with embeddings computed up front."""
    from bench import bench_directory
    from respite.directory import search
    from respite.directory.models import Service

    bench_directory._generate(DIRECTORY_SERVICES, random.Random(20261123))
    search.refresh_index()
    return {"services": Service.objects.count(), "queries": bench_directory.QUERY_POOL}


def _seed_pulse() -> dict:
    """bench_pulse's data generator (10M responses as rollups over 20 organizations), without its own
    timing loops: its dashboard call is stubbed and its query/submit counts set to 1 while it runs."""
    from bench import bench_pulse
    from respite.pulse import reporting
    from respite.pulse.models import Rollup, Survey, Unit

    original = reporting.dashboard
    bench_pulse.QUERIES, bench_pulse.SUBMITS = 1, 1
    reporting.dashboard = lambda *args, **kwargs: None
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            generated = bench_pulse._worker()
    finally:
        reporting.dashboard = original
    survey = Survey.objects.select_related("organization").get(organization__slug="bench-0")
    return {
        "org": survey.organization.slug,
        "survey": survey.pk,
        "rounds": list(survey.rounds.values_list("pk", flat=True)),
        "units": list(
            Unit.objects.filter(organization=survey.organization, parent__isnull=False).values_list(
                "pk", flat=True
            )
        ),
        "measures": list(bench_pulse.MEASURES[1:]),
        "responses": generated.get("responses_represented"),
        "rollup_rows": Rollup.objects.count(),
    }


# --- servers -----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn on 127.0.0.1 (``GUNICORN`` configuration), stopped by ``stop()`` or on exit."""

    def __init__(
        self, app: str, env: dict, ready_path: str | None = "/", extra: tuple[str, ...] = ()
    ) -> None:
        self.port = _free_port()
        self.log = Path(tempfile.gettempdir()) / f"respite-bench-gunicorn-{self.port}.log"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                app,
                "-b",
                f"127.0.0.1:{self.port}",
                *GUNICORN,
                *extra,
                "--pythonpath",
                str(ROOT),
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            # A file, not a pipe: a pipe nobody reads fills up and blocks the server's logging.
            stderr=self.log.open("ab"),
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{app} exited: {self.log.read_text(errors='replace')[-2000:]}")
            if ready_path is None:  # the caller decides readiness (cold-start measurement)
                return
            try:
                status, _h, _b = request(self.port, "GET", ready_path)
                if status < 500:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{app} did not start")

    def workers(self) -> list[int]:
        pid = self.proc.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def cpu_ns(self) -> int:
        """CPU time used so far by all worker processes (every thread), in nanoseconds."""
        return sum(cpu_ns(pid) for pid in self.workers())

    def memory(self) -> list[dict]:
        """RSS and PSS (shared pages split between the processes sharing them) of each worker, MiB."""
        rows = []
        for pid in self.workers():
            with contextlib.suppress(OSError):
                rss = _kib(Path(f"/proc/{pid}/status").read_text(), "VmRSS:")
                pss = _kib(Path(f"/proc/{pid}/smaps_rollup").read_text(), "Pss:")
                rows.append(
                    {"pid": pid, "rss_mib": round(rss / 1024, 1), "pss_mib": round(pss / 1024, 1)}
                )
        return rows

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of ``pid``, in nanoseconds (/proc/<pid>/task/*/schedstat: exact, not
    clock ticks)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(stat.read_text().split()[0])
    return total


def _kib(text: str, key: str) -> int:
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def request(
    port: int,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict | None = None,
    timeout: float = 30,
) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _sep, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        return (
            response.status,
            {"location": response.getheader("Location"), "cookies": cookies},
            response.read(),
        )
    finally:
        conn.close()


def login(port: int, username: str, totp_secret: str | None = None) -> str:
    """Sign in through the real staff login page, then its second step (the authenticator code) when
    the account has one; returns the Cookie header of the session."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urlencode({"csrfmiddlewaretoken": CSRF, "username": username, "password": PASSWORD})
    status, headers, _b = request(
        port, "POST", "/staff/login/", body, {**form, "Cookie": f"csrftoken={CSRF}"}
    )
    session = headers["cookies"].get("sessionid")
    if status != 302 or not session:
        raise RuntimeError(f"login as {username} failed with HTTP {status}")
    if totp_secret is not None:
        from respite.core.rfc6238 import totp_code  # imports no Django

        body = urlencode({"csrfmiddlewaretoken": CSRF, "code": totp_code(totp_secret)})
        cookie = f"sessionid={session}; csrftoken={CSRF}"
        status, headers, _b = request(
            port, "POST", "/staff/two-factor/", body, {**form, "Cookie": cookie}
        )
        session = headers["cookies"].get("sessionid", session)
        if status != 302:
            raise RuntimeError(f"second factor for {username} failed with HTTP {status}")
    return f"sessionid={session}; csrftoken={headers['cookies'].get('csrftoken', CSRF)}"


# --- load generation: wrk with Lua ----------------------------------------------------------------
LUA_PRELUDE = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

INTERVAL = %(interval).3f  -- ms between iteration starts on one connection; 0 = as fast as possible
local threads = {}
local count = 0
bad = 0
iterations = 0
step = 1
local next_at = nil

function setup(thread)
  count = count + 1
  thread:set("tid", count)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(tid * 7919 + 17)
end

function delay()
  if INTERVAL <= 0 or step ~= 1 then return 0 end
  local t = now_ms()
  if next_at == nil then next_at = t + math.random() * INTERVAL end
  local d = next_at - t
  next_at = next_at + INTERVAL
  if d < 1 then return 0 end
  return math.floor(d)
end

local function header(headers, name)
  for k, v in pairs(headers) do
    if string.lower(k) == name then return v end
  end
  return nil
end

function done(summary, latency, requests)
  local b, it = 0, 0
  for _, t in ipairs(threads) do
    b = b + (t:get("bad") or 0)
    it = it + (t:get("iterations") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%%d,"duration_us":%%d,"bad":%%d,"iterations":%%d,"p50_us":%%d,"p95_us":%%d,' ..
    '"p99_us":%%d,"max_us":%%d,"socket_errors":%%d,"timeouts":%%d}\n',
    summary.requests, summary.duration, b, it, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect + e.read + e.write, e.timeout))
end
"""

LUA_GET = r"""
PATHS = %(paths)s
HEADERS = %(headers)s
function request()
  return wrk.format("GET", PATHS[math.random(#PATHS)], HEADERS)
end
function response(status, headers, body)
  if status == 200 then iterations = iterations + 1 else bad = bad + 1 end
end
"""

# A dashboard and the SVG charts it embeds (<img src=".../dashboard/<kind>.svg?...">), as a browser
# loads them (static files aside): one iteration = the page, then each chart in turn on the same
# connection. Latency percentiles are per request.
LUA_PAGE_WITH_CHARTS = r"""
PATHS = %(paths)s
HEADERS = %(headers)s
local queue = {}
function request()
  if #queue > 0 then
    return wrk.format("GET", table.remove(queue, 1), HEADERS)
  end
  return wrk.format("GET", PATHS[math.random(#PATHS)], HEADERS)
end
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    queue = {}
  elseif step == 1 then
    for src in string.gmatch(body, 'src="([^"]*/dashboard/[a-z]+%%.svg[^"]*)"') do
      queue[#queue + 1] = (string.gsub(src, "&amp;", "&"))
    end
    charts = (charts or 0) + #queue
  end
  if #queue == 0 then
    if status == 200 then iterations = iterations + 1 end
    step = 1
  else
    step = 2
  end
end
"""

# The check-in's answers (negative: straight to the result, no follow-up page), after the CSRF token.
CHECKIN_ANSWERS = (
    "&step=1&role_group=nurse&phq2__1=0&phq2__2=0&gad2__1=0&gad2__2=0&burnout__1=1&selfharm__9=0"
)

# GET the check-in form (new visitor: CSRF cookie set), POST negative answers (302 to the result),
# GET the result with the session cookie the POST set. One iteration = three requests.
LUA_FLOW = r"""
local csrf, session, result_path = nil, nil, nil
local ANSWERS = "%(answers)s"
function request()
  if step == 1 then
    return wrk.format("GET", "/o/riverside/check-in/", {})
  elseif step == 2 then
    return wrk.format("POST", "/o/riverside/check-in/", {
      ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "csrftoken=" .. csrf},
      "csrfmiddlewaretoken=" .. csrf .. ANSWERS)
  end
  return wrk.format("GET", result_path, {["Cookie"] = "csrftoken=" .. csrf .. "; sessionid=" .. session})
end
function response(status, headers, body)
  if step == 1 then
    csrf = string.match(header(headers, "set-cookie") or "", "csrftoken=([^;]+)")
    if status == 200 and csrf then step = 2 else bad = bad + 1 end
  elseif step == 2 then
    session = string.match(header(headers, "set-cookie") or "", "sessionid=([^;]+)")
    result_path = header(headers, "location")
    if status == 302 and session and result_path then step = 3 else bad = bad + 1; step = 1 end
  else
    if status == 200 then iterations = iterations + 1 else bad = bad + 1 end
    step = 1
  end
end
"""


LUA_FLOW = LUA_FLOW % {"answers": CHECKIN_ANSWERS}

# The flow's answers POST alone, over and over: each creates a screening and a session, as in the
# flow. The CSRF secret is a fixed one, sent as cookie and form field (Django accepts the unmasked
# secret), so no form page is needed first.
LUA_ANSWERS = r"""
local BODY = "csrfmiddlewaretoken=%(csrf)s%(answers)s"
local HEADERS = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "csrftoken=%(csrf)s"}
function request()
  return wrk.format("POST", "/o/riverside/check-in/", HEADERS, BODY)
end
function response(status, headers, body)
  if status == 302 then iterations = iterations + 1 else bad = bad + 1 end
end
"""


def _lua_table(values: list[str] | dict[str, str]) -> str:
    if isinstance(values, dict):
        return (
            "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in values.items()) + "}"
        )
    return "{" + ", ".join(json.dumps(v) for v in values) + "}"


def _wrk(
    port: int, script: str, connections: int, seconds: float, workdir: Path, timeout_s: int = 30
) -> dict:
    path = workdir / f"script-{time.monotonic_ns()}.lua"
    path.write_text(script)
    proc = subprocess.run(
        [
            "wrk",
            "-t",
            str(connections),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            f"{timeout_s}s",
            "-s",
            str(path),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    r = json.loads(line[len("BENCHJSON ") :])
    seconds_run = r["duration_us"] / 1e6
    return {
        "requests": r["requests"],
        "iterations": r["iterations"],
        "unexpected": r["bad"],
        "socket_errors": r["socket_errors"],
        "timeouts": r["timeouts"],
        "req_per_s": round(r["requests"] / seconds_run, 1),
        "iter_per_s": round(r["iterations"] / seconds_run, 1),
        "p50_ms": round(r["p50_us"] / 1000, 1),
        "p95_ms": round(r["p95_us"] / 1000, 1),
        "p99_ms": round(r["p99_us"] / 1000, 1),
        "max_ms": round(r["max_us"] / 1000, 1),
    }


def measure(
    server: Server,
    body: str,
    workdir: Path,
    steps: int = 1,
    warmup_s: float = WARMUP_S,
    hello: tuple[Server, str] | None = None,
) -> dict:
    """Warm up, saturate, then run at half the saturated rate. ``steps`` requests make one iteration.

    With ``hello`` (Django hello's server and script), the saturation run is repeated
    ``SAT_ROUNDS`` times, with Django hello flat out for ``BRACKET_S`` before the first and after
    each one, and the result keeps every round (``"rounds"``: the run and the hello runs just before
    and after it): each round's ratios are to the hello measured seconds around it, not minutes
    earlier. On a shared machine the cost of a request drifts (Django hello's CPU per request
    measured 0.80 and 1.28 ms in two runs an hour apart, the same page's 3.5 and 3.6). ``"max"`` and
    ``"hello"`` are the median round's (by throughput ratio), whose rate also paces the latency run.

    Server CPU per request = CPU time of the server's workers during a run ÷ requests in that run:
    steadier than throughput on a shared machine, since other work slows the server without adding
    to its CPU time.
    """
    _wrk(server.port, LUA_PRELUDE % {"interval": 0} + body, SAT_CONNECTIONS, warmup_s, workdir)
    rounds: list[dict] = []
    if hello:
        before = timed_run(*hello, workdir, BRACKET_S)
        for _ in range(SAT_ROUNDS):
            run = timed_run(server, body, workdir, SATURATE_S)
            after = timed_run(*hello, workdir, BRACKET_S)
            rounds.append({"run": run, "hello": [before, after]})
            before = after
        middle = median_round(rounds)
        sat, around = middle["run"], middle["hello"]
    else:
        sat, around = timed_run(server, body, workdir, SATURATE_S), []
    result = {"max": sat, "paced": None, "steps": steps, "hello": around, "rounds": rounds}
    target = sat["iter_per_s"] / 2
    if target <= 0:
        return result
    # Slow pages: fewer paced connections, so each still starts an iteration every few seconds.
    connections = max(1, min(PACED_CONNECTIONS, round(target * 2)))
    interval_ms = connections * 1000 / target
    # wrk takes whole seconds.
    per_iteration = steps or sat["requests"] / max(1, sat["iterations"])
    seconds = round(min(PACED_MAX_S, max(PACED_S, PACED_MIN_REQUESTS / (target * per_iteration))))
    paced = timed_run(server, body, workdir, seconds, connections, interval_ms)
    paced["connections"] = connections
    paced["seconds"] = seconds
    paced["target_iter_per_s"] = round(target, 1)
    return {**result, "paced": paced}


def round_ratios(r: dict) -> tuple[float, float | None]:
    """One round's (throughput ratio, CPU ratio) to the mean of the Django hello runs around it."""
    hello_rps = sum(h["req_per_s"] for h in r["hello"]) / len(r["hello"])
    hello_cpu = sum(h["cpu_ms_per_request"] for h in r["hello"]) / len(r["hello"])
    cpu = r["run"]["cpu_ms_per_request"]
    return r["run"]["req_per_s"] / hello_rps, (hello_cpu / cpu if cpu else None)


def median_round(rounds: list[dict]) -> dict:
    """The round with the median throughput ratio (the lower middle one of an even number)."""
    ordered = sorted(rounds, key=lambda r: round_ratios(r)[0])
    return ordered[(len(ordered) - 1) // 2]


def _hello_runs(rounds: list[dict]) -> list[dict]:
    """Each Django hello run of the rounds once: the first round's opening run, then every round's
    closing run (which opens the next round)."""
    return [rounds[0]["hello"][0], *(r["hello"][1] for r in rounds)]


def timed_run(
    server: Server,
    body: str,
    workdir: Path,
    seconds: float,
    connections: int = SAT_CONNECTIONS,
    interval_ms: float = 0,
) -> dict:
    """One wrk run against ``server`` (flat out unless ``interval_ms`` paces it): wrk's figures,
    and the server's CPU per request during the run."""
    before = server.cpu_ns()
    run = _wrk(
        server.port, LUA_PRELUDE % {"interval": interval_ms} + body, connections, seconds, workdir
    )
    run["cpu_ms_per_request"] = round((server.cpu_ns() - before) / 1e6 / max(1, run["requests"]), 3)
    return run


# --- a fresh worker: first request against the tenth --------------------------------------------
def cold_start(env: dict, path: str, requests: int = 12) -> dict:
    """One preloaded gunicorn worker, started afresh: CPU and wall time of its first request against
    its tenth (the same page), each after ``COLD_PAUSE_S`` of idleness. Readiness = the worker's CPU
    time stopped moving (its warm-up done), so no request reaches it before the measured one."""
    # Production's worker class (deploy/respite-web.service: sync workers). Under gthread each pool
    # thread opens its own database connection on its first request, whatever the preloading.
    server = Server(
        "respite.wsgi:application",
        env,
        ready_path=None,
        # --threads 1 too: gunicorn silently runs gthread for "-k sync" with more than one thread
        # (GUNICORN's --threads 4), whose pool threads each open a connection on first use.
        extra=("-w", "1", "-k", "sync", "--threads", "1"),
    )
    try:
        deadline = time.monotonic() + 300
        worker, last = None, -1
        while time.monotonic() < deadline:
            workers = server.workers()
            if workers:
                worker = workers[0]
                now = cpu_ns(worker)
                if last > 0 and now - last < 5_000_000:  # < 5 ms CPU in the last second: idle
                    break
                last = now
            time.sleep(1)
        if worker is None:
            raise RuntimeError("no worker started")
        boot_cpu_ms = round(last / 1e6, 1)

        def one() -> dict:
            before, started = cpu_ns(worker), time.perf_counter()
            status, _h, _b = request(server.port, "GET", path, timeout=120)
            return {
                "status": status,
                "wall_ms": round((time.perf_counter() - started) * 1000, 1),
                "cpu_ms": round((cpu_ns(worker) - before) / 1e6, 2),
            }

        rows = []
        for _ in range(requests):
            time.sleep(COLD_PAUSE_S)
            rows.append(one())
        burst = sorted(one()["cpu_ms"] for _ in range(9))
    finally:
        server.stop()
    first, tenth = rows[0], rows[9]
    return {
        "path": path,
        "requests": rows,
        "worker_boot_cpu_ms": boot_cpu_ms,
        "first_cpu_ms": first["cpu_ms"],
        "tenth_cpu_ms": tenth["cpu_ms"],
        "first_wall_ms": first["wall_ms"],
        "tenth_wall_ms": tenth["wall_ms"],
        "cpu_ratio": round(first["cpu_ms"] / max(tenth["cpu_ms"], 0.01), 2),
        "wall_ratio": round(first["wall_ms"] / max(tenth["wall_ms"], 0.01), 2),
        "pause_s": COLD_PAUSE_S,
        "burst_median_cpu_ms": burst[len(burst) // 2],
    }


def score_cpu(env: dict) -> float:
    """CPU seconds of one `respite score phq9` (from a fresh parent whose only child it is)."""
    code = (
        "import resource, subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'respite.cli', 'score', 'phq9', '--answers',"
        " '0,1,2,0,1,2,0,1,0'], check=True, capture_output=True)\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(u.ru_utime + u.ru_stime)\n"
    )
    # Measured as an installed command runs: with its modules' bytecode already compiled. A first
    # run writes it; with PYTHONDONTWRITEBYTECODE set (some shells and CI images set it) every run
    # would compile each of Respite's modules from source again, which no installed copy does.
    warm = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-c", code], env=warm, cwd=ROOT, capture_output=True, check=True
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return round(float(out.stdout.strip().splitlines()[-1]), 2)


# --- the booking race ----------------------------------------------------------------------------
def race(port: int, org: str, slot: str, sessions: list[str]) -> list[tuple[int, float, str]]:
    """Every session POSTs the same slot at one barrier. Returns (status, ms, body excerpt) per request."""
    path = f"/o/{org}/counseling/therapists/slots/{slot}/book/"
    barrier = threading.Barrier(len(sessions))
    results: list[tuple[int, float, str]] = [(0, 0.0, "")] * len(sessions)

    def one(i: int, key: str) -> None:
        body = urlencode(
            {
                "state": "CA",
                "contact_method": "text",
                "contact": f"555 010 {i:04d}",
                "csrfmiddlewaretoken": CSRF,
            }
        )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.connect()
            barrier.wait()
            started = time.perf_counter()
            conn.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"sessionid={key}; csrftoken={CSRF}",
                },
            )
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            results[i] = (response.status, (time.perf_counter() - started) * 1000, text)
        except Exception as exc:  # counted as a failure below, never hangs the run
            results[i] = (-1, 0.0, repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i, key)) for i, key in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(150)
    return results


def _race_rounds(port: int, seeded: dict, db: Path) -> dict:
    rounds, latencies = [], []
    for r in seeded["rounds"]:
        results = race(port, seeded["org"], r["sealed"], r["sessions"])
        statuses = [s for s, _ms, _b in results]
        with sqlite3.connect(db) as raw:
            booked = raw.execute(
                "SELECT COUNT(*) FROM counseling_booking WHERE slot_id = ? AND status = 'booked'",
                [r["slot"]],
            ).fetchone()[0]
        ok = statuses.count(302) == 1 and statuses.count(409) == RACE_N - 1 and booked == 1
        rounds.append(
            {
                "successes": statuses.count(302),
                "conflicts": statuses.count(409),
                "server_errors": sum(1 for s in statuses if s >= 500 or s < 0),
                "other": sorted({s for s in statuses if s not in (302, 409)}),
                "booked_rows": booked,
                "correct": ok,
            }
        )
        latencies += [ms for s, ms, _b in results if s > 0]
        time.sleep(0.5)
    latencies.sort()

    def pct(p: float) -> float:
        return (
            round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 1)
            if latencies
            else 0.0
        )

    return {
        "rounds": rounds,
        "correct": all(x["correct"] for x in rounds),
        "requests": len(latencies),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": round(latencies[-1], 1) if latencies else 0.0,
    }


# --- the run ---------------------------------------------------------------------------------------
def _env(db: Path) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "respite.settings",
        "LOG_LEVEL": "WARNING",
        "RESPITE_ENV": "development",
        "DEBUG": "0",
    }
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return env


def run() -> dict:
    if shutil.which("wrk") is None:
        return {
            "error": "wrk is not installed",
            "markdown": [
                "Not run: `wrk` is not installed (`apt-get install wrk`; `make bench` installs it as root)."
            ],
        }
    started = time.perf_counter()
    load = os.getloadavg()
    scenarios: dict[str, dict] = {}
    memory: dict[str, list] = {}
    unavailable: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="respite-bench-http-") as tmp:
        workdir = Path(tmp)
        db = workdir / "bench.sqlite3"
        env = _env(db)
        setup = subprocess.run(
            [
                sys.executable,
                "-c",
                "import json, bench.bench_http as b; print('RESULT' + json.dumps(b._setup()))",
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if setup.returncode != 0:
            raise RuntimeError(f"bench_http setup failed: {setup.stderr[-3000:]}")
        seeded = json.loads(
            next(x for x in setup.stdout.splitlines() if x.startswith("RESULT"))[6:]
        )
        unavailable.update(seeded["unavailable"])
        setup_s = round(time.perf_counter() - started, 1)

        hello_body = LUA_GET % {"paths": _lua_table(["/"]), "headers": "{}"}
        server = Server("bench.hello_wsgi:application", env)
        try:
            scenarios["raw WSGI hello (ceiling)"] = measure(server, hello_body, workdir)
            memory["raw WSGI hello (ceiling)"] = server.memory()
        finally:
            server.stop()
        # Django hello stays up (idle between its runs) to be measured again around each scenario.
        hello = Server("bench.django_hello:application", env)
        try:
            scenarios[BASE] = measure(hello, hello_body, workdir)
            memory[BASE] = hello.memory()
            race_result = _respite_scenarios(
                env, db, workdir, seeded, scenarios, memory, unavailable, hello, hello_body
            )
        finally:
            hello.stop()
        extras: dict = {}
        try:
            extras["cold_start"] = cold_start(env, "/o/riverside/check-in/")
        except Exception as exc:
            unavailable["cold start"] = f"{type(exc).__name__}: {exc}"
        try:
            extras["score_cpu_s"] = score_cpu(env)
        except Exception as exc:
            unavailable["respite score"] = f"{type(exc).__name__}: {exc}"
    return _report(scenarios, race_result, memory, unavailable, seeded, setup_s, load, extras)


def _respite_scenarios(
    env: dict,
    db: Path,
    workdir: Path,
    seeded: dict,
    scenarios: dict,
    memory: dict,
    unavailable: dict,
    hello: Server,
    hello_body: str,
) -> dict | None:
    """Respite's scenarios, each bracketed by Django hello runs; returns the slot race's result."""

    def measured(server: Server, body: str, workdir: Path, **kwargs: Any) -> dict:
        return measure(server, body, workdir, hello=(hello, hello_body), **kwargs)

    server = Server("respite.wsgi:application", env, ready_path="/crisis/")
    race_result = None
    try:
        scenarios["worker flow (check-in, answers, result)"] = measured(
            server, LUA_FLOW, workdir, steps=3
        )
        # Each request of the flow on its own ("every request" of issue 19): the form for a new
        # visitor, the answers POST, and one result page read again and again with its session.
        form = LUA_GET % {"paths": _lua_table(["/o/riverside/check-in/"]), "headers": "{}"}
        scenarios["flow step 1 alone (check-in form, GET)"] = measured(server, form, workdir)
        answers = LUA_ANSWERS % {"csrf": CSRF, "answers": CHECKIN_ANSWERS}
        scenarios["flow step 2 alone (answers, POST)"] = measured(server, answers, workdir)
        status, headers, _b = request(
            server.port,
            "POST",
            "/o/riverside/check-in/",
            f"csrfmiddlewaretoken={CSRF}{CHECKIN_ANSWERS}",
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={CSRF}",
            },
        )
        session = headers["cookies"].get("sessionid")
        if status != 302 or not session or not headers["location"]:
            raise RuntimeError(f"the check-in's answers got HTTP {status}")
        result = LUA_GET % {
            "paths": _lua_table([headers["location"]]),
            "headers": _lua_table({"Cookie": f"csrftoken={CSRF}; sessionid={session}"}),
        }
        scenarios["flow step 3 alone (result page, GET)"] = measured(server, result, workdir)
        if "inbox" in seeded:
            try:
                cookie = login(
                    server.port,
                    "riverside-counselor",
                    seeded.get("second_factor", {}).get("riverside-counselor"),
                )
                path = "/staff/o/riverside/counseling/"
                status, _h, _b = request(server.port, "GET", path, headers={"Cookie": cookie})
                if status != 200:
                    raise RuntimeError(f"{path} answered HTTP {status}")
                body = LUA_GET % {
                    "paths": _lua_table([path]),
                    "headers": _lua_table({"Cookie": cookie}),
                }
                scenarios[f"counselor inbox ({seeded['inbox']['cases']} open cases)"] = measured(
                    server, body, workdir
                )
            except Exception as exc:
                unavailable["inbox"] = f"{type(exc).__name__}: {exc}"
        if "directory" in seeded:
            paths = [
                f"/o/riverside/directory/?q={quote_plus(q)}" for q in seeded["directory"]["queries"]
            ]
            body = LUA_GET % {"paths": _lua_table(paths), "headers": "{}"}
            scenarios[f"directory search ({seeded['directory']['services']:,} services)"] = (
                measured(server, body, workdir)
            )
        if "dashboard" in seeded:
            try:
                d = seeded["dashboard"]
                # The platform admin passes as org_admin of every organization.
                cookie = login(server.port, "admin", seeded.get("second_factor", {}).get("admin"))
                base = f"/staff/o/{d['org']}/pulse/surveys/{d['survey']}/dashboard/"
                rng = random.Random(42)
                paths = [base]
                for _ in range(40):
                    query = {
                        "measure": rng.choice(d["measures"]),
                        "round": rng.choice(d["rounds"]),
                    }
                    if d["units"] and rng.random() < 0.5:
                        query["unit"] = rng.choice(d["units"])
                    role = rng.choice(["", "nurse", "physician"])
                    if role:
                        query["role"] = role
                    paths.append(f"{base}?{urlencode(query)}")
                status, _h, _b = request(
                    server.port, "GET", base, headers={"Cookie": cookie}, timeout=120
                )
                if status != 200:
                    raise RuntimeError(f"{base} answered HTTP {status}")
                body = LUA_PAGE_WITH_CHARTS % {
                    "paths": _lua_table(paths),
                    "headers": _lua_table({"Cookie": cookie}),
                }
                label = f"pulse dashboard with its charts ({d['responses'] or 0:,} responses)"
                # Warm-up long enough for each worker to have drawn every filter combination
                # once: between releases a dashboard is the same for every read (cached per
                # release); the cold cost of a first view is bench_pulse's "cold" column.
                scenarios[label] = measured(server, body, workdir, steps=0, warmup_s=45)
            except Exception as exc:
                unavailable["dashboard"] = f"{type(exc).__name__}: {exc}"
        if "race" in seeded:
            try:
                race_result = _race_rounds(server.port, seeded["race"], db)
            except Exception as exc:
                unavailable["race"] = f"{type(exc).__name__}: {exc}"
        memory["Respite"] = server.memory()
    finally:
        server.stop()
    return race_result


def _report(
    scenarios: dict,
    race_result: dict | None,
    memory: dict,
    unavailable: dict,
    seeded: dict,
    setup_s: float,
    load: tuple[float, float, float],
    extras: dict | None = None,
) -> dict:
    extras = extras or {}
    base = scenarios[BASE]["max"]
    base_rps, base_cpu = base["req_per_s"], base.get("cpu_ms_per_request") or 0.0
    rows = []
    for name, s in scenarios.items():
        m, p = s["max"], s["paced"] or {}
        cpu = m.get("cpu_ms_per_request")
        # Respite's scenarios: ratios to the Django hello runs just before and after their saturation
        # run (``measure``'s ``hello``).
        rounds = s.get("rounds") or []
        per_round = [round_ratios(r) for r in rounds]
        if rounds:
            # The median of the rounds, each ratio on its own (the median round by throughput
            # need not be the median by CPU).
            ratio = statistics.median(t for t, _c in per_round)
            cpus = [c for _t, c in per_round if c is not None]
            cpu_ratio = statistics.median(cpus) if cpus else None
        else:  # the hello rows themselves
            ratio = m["req_per_s"] / base_rps
            cpu_ratio = base_cpu / cpu if cpu else None
        rows.append(
            {
                "scenario": name,
                "requests_per_iteration": s["steps"]
                or round(m["requests"] / max(1, m["iterations"]), 2),
                "max_req_per_s": m["req_per_s"],
                "max_iter_per_s": m["iter_per_s"],
                # Throughput ratio: max req/s ÷ Django hello's around it (median of the rounds).
                "ratio_to_django_hello": round(ratio, 3),
                # CPU ratio: Django hello's server CPU per request around it ÷ this scenario's
                # (median of the rounds).
                "cpu_ms_per_request": cpu,
                "cpu_ratio_to_django_hello": None if cpu_ratio is None else round(cpu_ratio, 3),
                "django_hello_around": s.get("hello"),
                "rounds": [
                    {
                        "req_per_s": r["run"]["req_per_s"],
                        "cpu_ms_per_request": r["run"]["cpu_ms_per_request"],
                        "ratio_to_django_hello": round(t, 3),
                        "cpu_ratio_to_django_hello": None if c is None else round(c, 3),
                        "django_hello_around": r["hello"],
                    }
                    for r, (t, c) in zip(rounds, per_round, strict=True)
                ],
                "paced_cpu_ms_per_request": p.get("cpu_ms_per_request"),
                "paced_target_iter_per_s": p.get("target_iter_per_s"),
                "paced_iter_per_s": p.get("iter_per_s"),
                "paced_req_per_s": p.get("req_per_s"),
                "p50_ms": p.get("p50_ms"),
                "p95_ms": p.get("p95_ms"),
                "p99_ms": p.get("p99_ms"),
                "max_ms": p.get("max_ms"),
                # Every run of the scenario and every Django hello run around it.
                "errors": {
                    k: p.get(k, 0)
                    + sum(r["run"][k] for r in rounds)
                    + sum(h[k] for h in _hello_runs(rounds))
                    if rounds
                    else m[k] + p.get(k, 0)
                    for k in ("unexpected", "socket_errors", "timeouts")
                },
            }
        )
    by = {r["scenario"].split(" (")[0]: r for r in rows}
    md = [
        f"gunicorn `{' '.join(GUNICORN)}` for every server (production's configuration file: the app "
        "preloaded and warmed up before the workers fork); wrk from the same 2-core machine; SQLite "
        f"(WAL). Max = {SAT_CONNECTIONS} connections flat out for {SATURATE_S} s; latency = up to "
        f"{PACED_CONNECTIONS} connections (fewer for slow pages) paced at 50 % of max for {PACED_S}–{PACED_MAX_S} s (longer for "
        f"slow pages, to get ~{PACED_MIN_REQUESTS} samples; schedule in wrk's Lua `delay()`, no "
        "coordinated-omission correction).",
        "",
        f"**Every scenario is a ratio to Django's own hello page** (`bench.django_hello`: Respite's "
        "settings and full middleware stack, one trivial view, same server) measured in this run: "
        f"each Respite saturation run to Django hello run flat out for {BRACKET_S} s just before it "
        f"and {BRACKET_S} s just after (the mean of the two; the hello row is its own "
        "longer run), since "
        "on a shared machine a request's cost drifts over the minutes between scenarios. "
        f"Each Respite scenario runs {SAT_ROUNDS} such rounds back to back and its ratios are the "
        "medians of the rounds' (every round is listed below the table); max req/s, CPU per "
        "request and the pacing are the median round's. "
        "× hello (req/s) = max req/s ÷ Django hello's; × hello (CPU) = Django hello's server CPU per "
        "request ÷ the scenario's (server CPU = all gunicorn workers' CPU time during the saturation "
        "run ÷ requests; steadier than throughput when other work shares the cores). Raw WSGI is "
        "shown as context only. "
        f"Load average when the run started: {load[0]:.1f} (anything above 0 is other work sharing "
        "the 2 cores).",
        "",
        "Errors = unexpected status / socket errors / timeouts, over every run of the scenario.",
        "",
        "| scenario | req/iter | max req/s | × hello (req/s) | server CPU ms/req | × hello (CPU) "
        "| paced req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cpu_ratio = r["cpu_ratio_to_django_hello"]
        md.append(
            f"| {r['scenario']} | {r['requests_per_iteration']:g} | {r['max_req_per_s']:,.0f} | "
            f"{r['ratio_to_django_hello']:.3f} | {r['cpu_ms_per_request'] or 0:.2f} | "
            f"{'n/a' if cpu_ratio is None else f'{cpu_ratio:.3f}'} | "
            f"{r['paced_req_per_s'] or 0:,.1f} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
            f"{'/'.join(str(v) for v in r['errors'].values())} |"
        )
    if race_result:
        md.append(
            f"| 50-way slot race ({RACE_ROUNDS} rounds, {race_result['requests']} POSTs at one barrier) | "
            f"1 | – | – | – | – | – | {race_result['p50_ms']} | {race_result['p95_ms']} | "
            f"{race_result['p99_ms']} | {sum(x['server_errors'] for x in race_result['rounds'])}/–/– |"
        )
    with_rounds = [r for r in rows if r["rounds"]]
    if with_rounds:
        md += [
            "",
            "Each round: × hello by throughput / by CPU (the scenario's req/s and CPU ms per request; "
            "Django hello's CPU ms per request just before / just after):",
            "",
        ]
        for r in with_rounds:
            md.append(
                f"- {r['scenario'].split(' (')[0]}: "
                + "; ".join(
                    f"{x['ratio_to_django_hello']:.3f} / "
                    + (
                        "n/a"
                        if x["cpu_ratio_to_django_hello"] is None
                        else f"{x['cpu_ratio_to_django_hello']:.3f}"
                    )
                    + f" ({x['req_per_s']:,.0f} req/s, {x['cpu_ms_per_request']:.2f} ms; hello "
                    + " / ".join(f"{h['cpu_ms_per_request']:.2f}" for h in x["django_hello_around"])
                    + ")"
                    for x in r["rounds"]
                )
            )
    flow = by.get("worker flow")
    if flow:
        md += [
            "",
            f"Worker flow: {flow['max_iter_per_s']:,.0f} complete check-ins/s at most "
            f"({flow['requests_per_iteration']} requests each), on the database with "
            f"{seeded.get('directory', {}).get('services', 0):,} directory services.",
        ]
    dash = by.get("pulse dashboard with its charts")
    if dash:
        md.append(
            f"Dashboard: each iteration loads the page and the SVG charts it embeds "
            f"({dash['requests_per_iteration']:g} requests per dashboard); percentiles are per request."
        )
    if race_result:
        outcome = "; ".join(
            f"round {i + 1}: {x['successes']} booked, {x['conflicts']} conflicts"
            + (f", other {x['other']}" if x["other"] else "")
            for i, x in enumerate(race_result["rounds"])
        )
        md.append(
            f"Slot race: {outcome} — {'correct' if race_result['correct'] else 'WRONG'} "
            "(exactly one booking per slot, checked in the database too)."
        )
    cold = extras.get("cold_start")
    if cold:
        md += [
            "",
            f"Fresh preloaded worker (`-w 1 -k sync`, production's worker class), `{cold['path']}`: first request {cold['first_cpu_ms']} ms "
            f"CPU / {cold['first_wall_ms']} ms wall, tenth {cold['tenth_cpu_ms']} ms CPU / "
            f"{cold['tenth_wall_ms']} ms wall (CPU ratio {cold['cpu_ratio']}, wall ratio "
            f"{cold['wall_ratio']}), each after {cold.get('pause_s', 0)} s idle; back to back the "
            f"same page costs {cold.get('burst_median_cpu_ms')} ms CPU (median of 9), so the first "
            "request after a pause costs "
            f"{cold['first_cpu_ms'] / max(cold.get('burst_median_cpu_ms') or 0.01, 0.01):.1f}× one "
            "in a burst, as any request after a pause does here. The worker's own boot and warm-up "
            f"took {cold['worker_boot_cpu_ms']} ms CPU.",
        ]
    if "score_cpu_s" in extras:
        md.append(
            f"`respite score phq9`: {extras['score_cpu_s']} s CPU (whole process, its bytecode"
            " written by a run before, as an installed copy has it)."
        )

    md += ["", "| server | worker | RSS MiB | PSS MiB |", "|---|---|---:|---:|"]
    for name, rows_m in memory.items():
        for n, w in enumerate(rows_m, start=1):
            md.append(f"| {name} | {n} | {w['rss_mib']} | {w['pss_mib']} |")

    targets = []

    def target(label: str, value: float | None, goal: str, ok: bool | None) -> None:
        shown = "n/a" if value is None else f"{value:g}"
        verdict = "not measured" if ok is None else ("met" if ok else "**missed**")
        targets.append({"target": label, "value": value, "goal": goal, "met": ok})
        md.append(f"| {label} | {shown} | {goal} | {verdict} |")

    md += ["", "| target (issue 19, 14, 18) | measured | goal | |", "|---|---:|---|---|"]
    search = by.get("directory search")
    for label, row, key in (
        ("worker flow req/s × Django hello", flow, "flow_ratio"),
        ("directory search req/s × Django hello", search, "search_ratio"),
    ):
        value = row and row["ratio_to_django_hello"]
        target(label, value, f"≥ {TARGETS[key]}", None if not row else value >= TARGETS[key])
    for label, row, key in (
        ("worker flow CPU × Django hello", flow, "flow_ratio"),
        ("directory search CPU × Django hello", search, "search_ratio"),
    ):
        value = row and row["cpu_ratio_to_django_hello"]
        target(label, value, f"≥ {TARGETS[key]}", None if not value else value >= TARGETS[key])
    # "Every request" of the flow, each measured on its own: the slowest of the three.
    steps = [r for r in rows if r["scenario"].startswith("flow step ")]
    for label, key in (
        ("worker flow, slowest request alone, req/s × Django hello", "ratio_to_django_hello"),
        ("worker flow, slowest request alone, CPU × Django hello", "cpu_ratio_to_django_hello"),
    ):
        values = [r[key] for r in steps if r[key] is not None]
        value = min(values) if len(values) == 3 else None
        goal = TARGETS["flow_ratio"]
        target(label, value, f"≥ {goal}", None if value is None else value >= goal)
    target(
        "directory search p95 over 10k services, half load (ms)",
        search and search["p95_ms"],
        f"< {TARGETS['search_p95_ms']:g}",
        None
        if not search or search["p95_ms"] is None
        else search["p95_ms"] < TARGETS["search_p95_ms"],
    )
    target(
        "dashboard + charts p95 over 10M responses, half load (ms)",
        dash and dash["p95_ms"],
        f"< {TARGETS['dashboard_p95_ms']:g}",
        None
        if not dash or dash["p95_ms"] is None
        else dash["p95_ms"] < TARGETS["dashboard_p95_ms"],
    )
    target(
        "fresh worker: first request ÷ tenth (CPU)",
        cold and cold["cpu_ratio"],
        f"≤ {TARGETS['first_request_ratio']:g}",
        None if not cold else cold["cpu_ratio"] <= TARGETS["first_request_ratio"],
    )
    target(
        "fresh worker: first request ÷ tenth (wall)",
        cold and cold["wall_ratio"],
        f"≤ {TARGETS['first_request_ratio']:g}",
        None if not cold else cold["wall_ratio"] <= TARGETS["first_request_ratio"],
    )
    score = extras.get("score_cpu_s")
    target(
        "`respite score` CPU (s)",
        score,
        f"< {TARGETS['score_cpu_s']:g}",
        None if score is None else score < TARGETS["score_cpu_s"],
    )
    if unavailable:
        md += [""] + [f"Not available: {k} — {v}" for k, v in unavailable.items()]
    timings = ", ".join(f"{k} {v} s" for k, v in seeded.get("timings", {}).items())
    md += [
        "",
        f"Setup {setup_s} s ({timings}). Dashboard data: bench_pulse's generator "
        "(rollups for 10M responses over 20 organizations); the HTTP scenario reads one organization's "
        "survey with random measure/round/unit/role filters and its charts, after a warm-up.",
    ]
    return {
        "baseline": BASE,
        "django_hello_req_per_s": base_rps,
        "django_hello_cpu_ms_per_request": base_cpu,
        "gunicorn": GUNICORN,
        "scenarios": rows,
        "race": race_result,
        "cold_start": cold,
        "score_cpu_s": score,
        "memory": memory,
        "targets": targets,
        "unavailable": unavailable,
        "setup_seconds": setup_s,
        "setup": seeded.get("timings"),
        "load_average_at_start": load,
        "markdown": md,
    }


if __name__ == "__main__":
    print(json.dumps({k: v for k, v in run().items() if k != "markdown"}, indent=2))
