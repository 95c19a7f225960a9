"""deploy/: the systemd units pass `systemd-analyze verify`, the environment template names only real
settings, and the PostgreSQL backup-and-restore drill restores a real Respite database under writes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from respite.ops.tests.helpers import ROOT, postgres_reachable, server_env

DEPLOY = ROOT / "deploy"
UNITS = [
    "respite-web.service",
    "respite-worker@.service",
    "respite-backup.service",
    "respite-backup.timer",
]
INSTALLED_VENV = "/opt/respite/venv/bin/"
INSTALLED_SOURCE = "/opt/respite/src/"


@pytest.mark.skipif(
    not shutil.which("systemd-analyze"),
    reason="systemd-analyze not installed (apt-get install systemd)",
)
def test_systemd_units_verify(tmp_path):
    # verify checks that ExecStart's program exists: point the units at this checkout and its
    # virtualenv, which hold the same programs an install has under /opt/respite/src and /opt/respite/venv.
    venv_bin = Path(sys.executable).parent
    assert (venv_bin / "gunicorn").exists() and (venv_bin / "respite").exists()
    for unit in UNITS:
        text = (DEPLOY / unit).read_text()
        text = text.replace(INSTALLED_VENV, f"{venv_bin}/").replace(INSTALLED_SOURCE, f"{ROOT}/")
        (tmp_path / unit).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / unit) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_units_run_the_right_programs_unprivileged():
    web = (DEPLOY / "respite-web.service").read_text()
    worker = (DEPLOY / "respite-worker@.service").read_text()
    assert (
        f"ExecStart={INSTALLED_VENV}gunicorn -c python:respite.gunicorn_conf respite.wsgi:application"
        in web
    )
    assert f"ExecStart={INSTALLED_VENV}respite worker" in worker
    for text in (web, worker):
        assert (
            "User=respite" in text
            and "NoNewPrivileges=yes" in text
            and "ProtectSystem=strict" in text
        )
        assert "EnvironmentFile=/etc/respite/respite.env" in text
    # The metrics directory is emptied at every start, so counts never mix two runs' files.
    assert (
        "PROMETHEUS_MULTIPROC_DIR=/run/respite-web" in web and "RuntimeDirectory=respite-web" in web
    )


def test_environment_template_names_only_real_settings():
    settings_source = (ROOT / "src" / "respite" / "settings.py").read_text()
    known = set(
        re.findall(
            r'(?:environ\.get|environ\[|env(?:bool|int|secret))\(?\s*"([A-Z_]+)"', settings_source
        )
    )
    known |= {f"{name}_FILE" for name in re.findall(r'envsecret\(\s*"([A-Z_]+)"', settings_source)}
    known |= {"GUNICORN_CMD_ARGS"}  # read by gunicorn itself
    template = (DEPLOY / "respite.env.example").read_text()
    names = re.findall(r"^#?([A-Z_]+)=", template, re.M)
    assert names and set(names) <= known, set(names) - known
    assert "RESPITE_ENV=production" in template
    # No secret values in the template: secrets are read from files.
    for secret in (
        "SECRET_KEY",
        "RESPITE_ENCRYPTION_KEY",
        "EMAIL_HOST_PASSWORD",
        "RESPITE_METRICS_TOKEN",
    ):
        assert not re.search(rf"^{secret}=", template, re.M)


# --- backup and restore drill ----------------------------------------------------------------
pg = pytest.mark.skipif(
    not (postgres_reachable() and shutil.which("pg_dump") and shutil.which("createdb")),
    reason="needs PostgreSQL on 127.0.0.1:5432 and its client programs",
)
PG_ENV = {"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "postgres"}


def _pg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env={**os.environ, **PG_ENV}, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def source_database():
    """A scratch Respite database with the real schema and the demo data, dropped afterwards."""
    name = f"respite_drill_{uuid.uuid4().hex[:12]}"
    assert _pg("createdb", name).returncode == 0
    env = server_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}")
    try:
        for command in (["migrate", "--noinput", "-v", "0"], ["demo"]):
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), *command],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                timeout=600,
            )
        yield name
    finally:
        _pg("dropdb", "--if-exists", "--force", name)


def _drill(source: str, backup_dir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(DEPLOY / "backup-drill.sh"), source, str(backup_dir)],
        env={**os.environ, **PG_ENV, **extra},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pg
@pytest.mark.slow
def test_backup_restores_and_matches_while_the_site_keeps_writing(source_database, tmp_path):
    import psycopg

    stop, started = threading.Event(), threading.Event()
    written = []

    def keep_writing() -> None:
        # Sessions are written on every page view: the drill must compare one consistent snapshot.
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:5432/{source_database}", autocommit=True
        ) as conn:
            while not stop.is_set():
                key = uuid.uuid4().hex
                conn.execute(
                    "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (%s, 'x', now())",
                    [key],
                )
                written.append(key)
                started.set()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert started.wait(timeout=60)
        result = _drill(source_database, tmp_path / "backups")
        during = len(written)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: ") and "tables" in result.stdout
    assert during > 1, "the writer must keep writing while the drill runs"
    dumps = list((tmp_path / "backups").glob(f"{source_database}-*.dump"))
    assert len(dumps) == 1 and dumps[0].stat().st_mode & 0o077 == 0  # readable by its owner only
    # The scratch database is gone.
    assert (
        source_database + "_drill"
        not in _pg("psql", "-XAtc", "SELECT datname FROM pg_database").stdout
    )
    # The dump holds the demo organizations.
    listing = _pg(
        "pg_restore", "--data-only", "--table=core_organization", "-f", "-", str(dumps[0])
    ).stdout
    assert "riverside" in listing


@pg
@pytest.mark.slow
def test_the_drill_never_restores_over_an_existing_database(source_database, tmp_path):
    victim = f"respite_drill_victim_{uuid.uuid4().hex[:8]}"
    assert _pg("createdb", victim).returncode == 0
    try:
        _pg(
            "psql",
            "-d",
            victim,
            "-Xqc",
            "CREATE TABLE precious (x int); INSERT INTO precious VALUES (42);",
        )
        result = _drill(source_database, tmp_path / "backups", RESPITE_DRILL_DATABASE=victim)
        assert result.returncode != 0 and "already exists" in result.stderr
        assert _pg("psql", "-d", victim, "-XAtc", "SELECT x FROM precious").stdout.strip() == "42"
    finally:
        _pg("dropdb", "--if-exists", "--force", victim)
