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


@pytest.fixture
def staffed_riverside(demo_directory, riverside):
    """Riverside offering all three of the portal's own services: a counselor, a peer supporter on
    the roster, and a verified volunteer therapist taking new workers."""
    from django.core.cache import cache

    from respite.core.roles import StaffRole
    from respite.core.testing import make_staff
    from respite.counseling.tests.conftest import make_clinician
    from respite.peers.models import Supporter

    make_staff(riverside, StaffRole.COUNSELOR)
    peer = make_staff(riverside, StaffRole.PEER_SUPPORTER)
    Supporter.objects.create(organization=riverside, user=peer, display_name="Sam")
    make_clinician(display_name="Dr Volunteer")
    cache.clear()
    return riverside
