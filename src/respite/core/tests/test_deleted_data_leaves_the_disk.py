"""A worker deletes everything; someone later copies the SQLite files (a backup, a stolen disk).

The deleted rows must be in neither the database file nor its write-ahead log: ``secure_delete``
zeroes freed space and the delete view checkpoints and truncates the WAL once the deletion commits.
Runs a real file database in a child process (the test database is in memory).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]

JOURNEY = textwrap.dedent(
    """
    import json, re, sys
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from django.db import connection
    from django.test import Client
    from respite.core.models import AccessCode
    from respite.core.testing import make_org
    from respite.screening.models import Screening

    org = make_org("acme")
    worker = Client()
    answers = {"phq2__1": 1, "phq2__2": 1, "gad2__1": 0, "gad2__2": 0, "burnout__1": 1, "selfharm__9": 0}
    pk = worker.post(f"/o/{org.slug}/check-in/", answers)["Location"].rstrip("/").split("/")[-1]
    worker.post(f"/o/{org.slug}/results/{pk}/save/")
    digest = AccessCode.objects.get().digest
    screening_hex = Screening.objects.get().pk.hex
    response = worker.post(f"/o/{org.slug}/my/delete/", {"confirm": "on"})
    assert response.status_code == 302, response.status_code
    assert not Screening.objects.exists()
    # Copy the files now, while the server still has the database open (a live backup or snapshot).
    path = connection.settings_dict["NAME"]
    on_disk = b"".join(open(p, "rb").read() for p in (path, path + "-wal") if __import__("os").path.exists(p))
    print(json.dumps({name: value in on_disk.decode("latin-1") for name, value in
                      {"digest": digest, "screening": screening_hex}.items()}))
    """
)


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="SQLite files only"
)
def test_deleted_screening_is_in_neither_the_database_file_nor_its_wal(tmp_path):
    db = tmp_path / "respite.sqlite3"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{db}",
        PYTHONPATH=str(ROOT / "src"),
        DJANGO_SETTINGS_MODULE="respite.settings",
    )
    done = subprocess.run(
        [sys.executable, "-c", JOURNEY],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    still_on_disk = json.loads(done.stdout.strip().splitlines()[-1])
    assert still_on_disk == {"digest": False, "screening": False}


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_purge_vacuums_the_tables_a_deletion_left_dead_rows_in(org):
    """PostgreSQL keeps a deleted row in the table file until VACUUM. After a worker deletes
    everything, ``respite purge`` (and the hourly job) vacuums every worker-side table, sessions,
    throttles, mail and task rows; on SQLite there is nothing to vacuum (secure_delete)."""
    import io

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from respite.screening.models import Screening

    worker = Client()
    answers = {"phq2__1": 1, "phq2__2": 1, "gad2__1": 0, "gad2__2": 0, "burnout__1": 1}
    result = worker.post(f"/o/{org.slug}/check-in/", {**answers, "selfharm__9": 0})
    worker.post(result["Location"] + "save/")
    assert worker.post(f"/o/{org.slug}/my/delete/", {"confirm": "on"}).status_code == 302
    assert not Screening.objects.exists()

    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("purge", stdout=out)
    vacuums = [q["sql"] for q in queries if q["sql"].upper().startswith("VACUUM")]
    if connection.vendor == "postgresql":
        assert len(vacuums) == 1, out.getvalue()
        for table in (
            "screening_screening",
            "screening_screeningresult",
            "core_accesscode",
            "counseling_message",
            "peers_supportrequest",
            "django_session",
        ):
            assert f'"{table}"' in vacuums[0], table
        assert "vacuum_worker_tables: vacuumed" in out.getvalue()
    else:
        assert not vacuums and "vacuum_worker_tables: not needed" in out.getvalue()
