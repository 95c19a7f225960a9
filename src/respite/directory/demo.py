"""Seed data: the shared directory (every resource the seed documents name) and demo portals' own services."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from respite.core.models import Organization
from respite.directory.hsds import ImportReport, import_json

DATA = Path(__file__).resolve().parent / "data"
SEED_FILE = DATA / "seed.json"
DEMO_LOCAL_FILE = DATA / "demo_local.json"


def load_seed() -> ImportReport:
    """Load the shipped directory; records are matched by id, so running it twice changes nothing."""
    with transaction.atomic():
        return import_json(SEED_FILE)


def load(orgs: list[Organization]) -> None:
    """``respite demo`` hook: the shared directory, then Riverside's and Lakeview's local services."""
    report = load_seed()
    if report.errors:
        raise ValueError("; ".join(report.errors[:5]))
    if {o.slug for o in orgs} >= {"riverside", "lakeview"}:
        with transaction.atomic():
            local = import_json(DEMO_LOCAL_FILE)
        if local.errors:
            raise ValueError("; ".join(local.errors[:5]))
