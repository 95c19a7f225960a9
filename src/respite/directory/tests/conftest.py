from __future__ import annotations

import pytest

from respite.directory.demo import DEMO_LOCAL_FILE, SEED_FILE
from respite.directory.hsds import import_json


@pytest.fixture
def directory(db):
    """The shipped directory, loaded through the same HSDS import as `respite load_directory`."""
    report = import_json(SEED_FILE)
    assert not report.errors
    return report


@pytest.fixture
def riverside(db):
    from respite.core.testing import make_org

    return make_org("riverside", name="Riverside Community Health", state="CA")


@pytest.fixture
def lakeview(db):
    from respite.core.testing import make_org

    return make_org("lakeview", name="Lakeview Safety-Net Clinic", state="TX")


@pytest.fixture
def demo_directory(directory, riverside, lakeview):
    report = import_json(DEMO_LOCAL_FILE)
    assert not report.errors
    return report
