"""Start-up cost: no heavy library is loaded with the URLconf, and `respite score` starts quickly.

Both run in fresh processes (an import already made by an earlier test would hide a regression).
CPU time, not wall-clock time, is asserted: it holds on a machine whose load average is 10.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


MEASURE_SCORE = r"""
import json, resource, subprocess, sys
proc = subprocess.run([sys.executable, "-m", "respite.cli", "score", "phq9",
                       "--answers", "0,1,2,0,1,2,0,1,0"], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "out": proc.stdout, "err": proc.stderr[-2000:],
                  "cpu": usage.ru_utime + usage.ru_stime}))
"""


def test_respite_score_costs_under_one_and_a_half_seconds_of_cpu(tmp_path):
    # Measured from a fresh parent process, whose only child is the command: its children's rusage
    # is then exactly the command's CPU time, whatever else this test process has run.
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE_SCORE],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["rc"] == 0, result["err"]
    assert json.loads(result["out"])["score"] == 7
    assert result["cpu"] < 1.5, f"respite score used {result['cpu']:.2f} s of CPU"
