"""The app contract (respite.core.apphooks): a new app joins through its AppConfig alone, and a wrong
declaration is a clear system-check error, not a 500 on some page later."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import respite.core.tests.tinyapp as tinyapp_module
from respite.core import apphooks
from respite.core.periodic import PeriodicJob

SRC = Path(__file__).resolve().parents[3]


def _config(module: ModuleType = tinyapp_module, **hooks: object) -> AppConfig:
    cls = type("SomeConfig", (AppConfig,), {"name": module.__name__, "label": "someapp", **hooks})
    return cls(module.__name__, module)


def _errors(config: AppConfig) -> list[tuple[str | None, str]]:
    return [(e.id, e.msg) for e in apphooks.check_app_hooks([config])]


def test_every_shipped_app_passes_the_check():
    assert apphooks.check_app_hooks() == []
    shipped = {h.app for h in apphooks.installed_hooks() if h != apphooks.AppHooks(app=h.app)}
    assert {"core", "screening", "peers", "counseling", "pulse", "directory"} <= shipped


def test_declarations_are_read_into_typed_hooks():
    hooks = apphooks.read(
        _config(
            respite_nav=[("x:index", _("X"))],
            respite_staff_nav=[("x:staff", "X staff", ("org_admin", "counselor"))],
            respite_api=("x", "respite.api.api"),
            respite_periodic=[PeriodicJob("x", timedelta(days=1), "respite.api.api")],
        )
    )
    assert hooks.nav == (apphooks.NavLink("x:index", _("X")),)
    assert hooks.staff_nav[0].roles == ("org_admin", "counselor")
    assert hooks.api == apphooks.Mount("x", "respite.api.api")
    assert [j.name for j in hooks.periodic] == ["x"]


@pytest.mark.parametrize(
    ("hooks", "says"),
    [
        ({"respite_nav": [("x:index",)]}, "someapp.respite_nav: each entry must be a tuple"),
        ({"respite_nav": ("x:index", "X")}, "someapp.respite_nav: each entry must be a tuple"),
        ({"respite_nav": [("x:index", 3)]}, "label must be a text"),
        ({"respite_staff_nav": [("x:staff", "X", ())]}, "roles of 'x:staff' must be a non-empty"),
        ({"respite_api": "respite.api.api"}, "someapp.respite_api: must be a tuple"),
        ({"respite_demo": ["respite.x.demo"]}, "someapp.respite_demo: the demo hook must be"),
        (
            {"respite_periodic": [("job", 3600, "x.y")]},
            "must be a respite.core.periodic.PeriodicJob",
        ),
        ({"respite_my_space": 7}, "someapp.respite_my_space"),
        ({"respite_staffnav": []}, "respite_staffnav is not a Respite hook"),
    ],
)
def test_a_wrong_declaration_is_a_system_check_error_naming_app_and_attribute(hooks, says):
    errors = _errors(_config(**hooks))
    assert len(errors) == 1
    assert errors[0][0] == "respite.E001"
    assert says in errors[0][1]


def test_a_dotted_path_that_does_not_import_is_a_check_error():
    errors = _errors(
        _config(
            respite_demo="respite.core.tests.tinyapp.logic.no_such_function",
            respite_urls=[("tiny/", "respite.core.tests.tinyapp.no_such_urls")],
        )
    )
    assert [e[0] for e in errors] == ["respite.E002", "respite.E002"]
    assert "someapp.respite_urls" in errors[0][1]
    assert "no_such_function" in errors[1][1]


BROKEN: list[Path] = []


def load_broken_crisis_file() -> None:
    """A loader as apps declare them, reading the file the test below broke."""
    from respite.core.datafiles import load_yaml
    from respite.core.resources import CRISIS_SCHEMA

    load_yaml(BROKEN[0], CRISIS_SCHEMA)


def test_a_broken_data_file_fails_the_start_up_check_naming_file_and_line(tmp_path, monkeypatch):
    shipped = Path(apphooks.__file__).parent / "data" / "crisis.yaml"
    broken = tmp_path / "crisis.yaml"
    lines = shipped.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("es:"))
    broken.write_text("\n".join(lines[:at] + lines[at + 1 :]) + "\n", encoding="utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["BROKEN"]), "BROKEN", [broken])
    errors = apphooks.check_app_hooks(
        [_config(respite_data_files=[f"{__name__}.load_broken_crisis_file"])]
    )
    assert [e.id for e in errors] == ["respite.E003"]
    assert "crisis.yaml, line" in errors[0].msg and "'es' is a required property" in errors[0].msg


def test_a_broken_data_file_stops_any_process_at_start_up(tmp_path, monkeypatch):
    """CoreConfig.ready calls load_data_files: the server, the worker and every command."""
    broken = tmp_path / "crisis.yaml"
    broken.write_text("- id: lifeline988\n  name: {en: 988}\n", encoding="utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["BROKEN"]), "BROKEN", [broken])
    hooks = apphooks.AppHooks(app="someapp", data_files=(f"{__name__}.load_broken_crisis_file",))
    monkeypatch.setattr(apphooks, "installed_hooks", lambda: [hooks])
    with pytest.raises(apphooks.HookError, match=r"someapp: a data file does not load: .*crisis"):
        apphooks.load_data_files()


def test_every_shipped_data_file_is_checked_at_start_up():
    declared = {d for h in apphooks.installed_hooks() for d in h.data_files}
    assert {
        "respite.core.resources._crisis_data",
        "respite.screening.recommendations._data",
        "respite.directory.search.glossary",
        "respite.screening.instruments.registry",
    } <= declared


def test_shared_code_reads_hooks_only_through_the_contract():
    """No module outside respite.core.apphooks reads a respite_* hook with getattr."""
    names = "|".join(apphooks.HOOK_NAMES)
    reads = re.compile(rf'getattr\([^,]+,\s*"({names})"|\b[a-z_]\w*\.({names})\b')
    offenders = []
    for path in (SRC / "respite").rglob("*.py"):
        if "tests" in path.parts or path.name == "apphooks.py":
            continue
        offenders += [
            f"{path.relative_to(SRC)}: {m.group(0)}"
            for m in reads.finditer(path.read_text(encoding="utf-8"))
        ]
    assert offenders == []
    assert reads.search('hook = getattr(config, "respite_demo", None)')  # the rule finds one


SCRIPT = r"""
import io, json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()
call_command("migrate", verbosity=0)
checks = io.StringIO()
call_command("check", stdout=checks)
from respite.core.testing import make_org, make_staff

org = make_org("tiny-org")
admin = make_staff(org, "org_admin", "tiny-admin")
client = Client()
calm = {f"phq9__{i}": 0 for i in range(1, 10)}
result = client.post(f"/o/{org.slug}/screenings/phq9/", calm, follow=True)
client.force_login(admin)
home = client.get("/staff/")
room = client.get(f"/staff/o/{org.slug}/tiny/")
purge = io.StringIO()
call_command("purge", stdout=purge)
print(json.dumps({
    "check": checks.getvalue(),
    "result": [result.status_code, result.content.decode()],
    "home": [home.status_code, home.content.decode()],
    "room": [room.status_code, room.content.decode()],
    "purge": purge.getvalue(),
}))
"""


@pytest.mark.slow
def test_a_tiny_app_joins_through_the_documented_contract(tmp_path):
    """Installed by settings alone (as CONTRIBUTING.md's recipe says), the tiny app's offer is on the
    screening result page, its link on the staff home and its purge job in `respite purge`."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "respite.core.tests.tinyapp.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tiny.sqlite3'}",
        "PYTHONPATH": str(SRC),
    }
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # a full migrate on a loaded machine; the run itself takes seconds
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert "no issues" in out["check"]
    status, page = out["result"]
    assert status == 200 and 'class="result-summary' in page
    assert 'data-kind="tiny_buddy"' in page  # the offer, among the organization's own people
    assert page.index('class="own-people"') < page.index('data-kind="tiny_buddy"')
    status, page = out["home"]
    assert status == 200 and "Tiny wellness room" in page
    assert "/staff/o/tiny-org/tiny/" in page
    assert out["room"] == [200, "the tiny room"]
    assert "tiny_purge: tiny rows purged: 3" in out["purge"]
    assert "purge_throttles" in out["purge"]  # next to the shipped purge jobs
