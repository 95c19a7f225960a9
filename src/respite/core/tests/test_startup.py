"""Start-up cost: no heavy library is loaded with the URLconf or by `respite score`, and a preloaded
worker's first request costs about what its tenth does.

Each runs in fresh processes (an import already made by an earlier test would hide a regression).
Times themselves are measured by `make bench`; the worker test compares two CPU times of one process
with a generous margin, which holds on a machine whose load average is 10.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from respite.core.management.commands.serve import gunicorn_command
from respite.core.testing import free_port

# Libraries that cost tenths of a second or more to import and serve only a few pages or commands.
HEAVY = (
    "matplotlib",
    "weasyprint",
    "model2vec",
    "numpy",
    "opendp",
    "fhir",
    "pypdf",
    "icalendar",
    "PIL",
    "pandas",
    "scipy",
)

IMPORT_EVERYTHING = r"""
import importlib, json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "respite.settings"
import django
django.setup()
from django.apps import apps
from django.urls import get_resolver
get_resolver().url_patterns  # the project's URLconf, with the API and every app's urls
loaded = []
for app in apps.get_app_configs():
    if not app.name.startswith("respite"):
        continue
    for part in ("models", "views", "staff_views", "api", "forms", "urls", "staff_urls", "admin"):
        name = f"{app.name}.{part}"
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
        else:
            loaded.append(name)
heavy = json.loads(sys.argv[1])
print(json.dumps({"loaded": loaded,
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in heavy)}))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'startup.sqlite3'}",
        PYTHONPATH=os.pathsep.join(sys.path),
    )
    return env


def test_urlconf_and_every_apps_models_and_views_load_no_heavy_library(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING, json.dumps(HEAVY)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "respite.screening.views" in out["loaded"]
    assert "respite.directory.views" in out["loaded"]
    assert "respite.pulse.views" in out["loaded"]
    assert out["heavy"] == [], f"imported at start-up: {out['heavy']}"


SCORE_AND_LIST_IMPORTS = r"""
import contextlib, io, json, sys
heavy = json.loads(sys.argv[1])
from respite.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    main(["score", "phq9", "--answers", "0,1,2,0,1,2,0,1,0"])
print(json.dumps({"out": out.getvalue(),
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in heavy)}))
"""


def test_respite_score_loads_no_heavy_library(tmp_path):
    # Its CPU time (0.76 s against a 1.5 s goal on a quiet machine) is measured by `make bench`; what
    # keeps it low, and can be asserted on a busy machine, is that scoring imports none of them.
    proc = subprocess.run(
        [sys.executable, "-c", SCORE_AND_LIST_IMPORTS, json.dumps(HEAVY)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert json.loads(result["out"])["score"] == 7
    assert result["heavy"] == [], f"respite score imported {result['heavy']}"


# --- a preloaded gunicorn worker is ready for its first request -------------------------------------
def _cpu_ns(pid: int) -> int:
    """CPU time of every thread of ``pid`` so far, in nanoseconds (/proc/<pid>/task/*/schedstat)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError):
            total += int(stat.read_text().split()[0])
    return total


@pytest.mark.skipif(not Path("/proc/self/schedstat").exists(), reason="needs Linux /proc")
def test_preloaded_worker_serves_its_first_request_about_as_cheaply_as_its_tenth(tmp_path):
    env = _env(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "respite.cli", "migrate", "--noinput", "-v", "0"],
        env=env,
        check=True,
        timeout=900,
    )
    subprocess.run(
        [sys.executable, "-m", "respite.cli", "demo"],
        env=env,
        check=True,
        timeout=900,
        capture_output=True,
    )
    port = free_port()
    log = tmp_path / "gunicorn.log"
    proc = subprocess.Popen(
        [*gunicorn_command(f"127.0.0.1:{port}", 1), "--log-level", "info"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # Ready = the worker has run its own warm-up (it then blocks in accept, using no CPU).
        deadline = time.monotonic() + 300
        worker, last = None, -1
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            if children:
                worker = int(children[0])
                now = _cpu_ns(worker)
                if last > 0 and now - last < 5_000_000:  # < 5 ms CPU in the last second: idle
                    break
                last = now
            time.sleep(1)
        assert worker is not None, log.read_text()[-3000:]
        warmed = re.search(r"warm-up: (.*)", log.read_text())
        assert warmed, log.read_text()[-3000:]
        # Every page of the master's warm-up was served (a failed one is logged with status 0).
        assert re.findall(r" (\d+) in ", warmed.group(1)) == ["200"] * 4, warmed.group(1)

        def cpu_of_one_request() -> float:
            # Every request after the same second of idleness, as the first one comes after the
            # readiness wait: on a shared machine any request after a pause costs several times one
            # sent back to back (cold caches), whatever the worker's age.
            time.sleep(1)
            before = _cpu_ns(worker)
            with urllib.request.urlopen(  # noqa: S310 - loopback
                f"http://127.0.0.1:{port}/o/riverside/check-in/", timeout=120
            ) as response:
                assert response.status == 200
                response.read()
            return (_cpu_ns(worker) - before) / 1e9

        costs = [cpu_of_one_request() for _ in range(12)]
        typical = sorted(costs[8:12])[1]
        # Without the warm-up the first request costs over half a second here (570 ms against 10-20),
        # without preloading seconds (every import). The slack is for the one sample a first request
        # is: on a busy machine a single request after a pause has measured 46 ms against 16.
        assert costs[0] <= 2 * typical + 0.025, [round(c * 1000, 1) for c in costs]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=120)
