import pytest

from respite.peers.tests.factories import make_department, make_lead, make_supporter


@pytest.fixture
def er(org):
    return make_department(org, "Emergency")


@pytest.fixture
def icu(org):
    return make_department(org, "Intensive care")


@pytest.fixture
def lead(org):
    return make_lead(org)


@pytest.fixture
def er_supporter(org, er):
    return make_supporter(org, "erin", [er], languages=["en", "es"])


@pytest.fixture
def icu_supporter(org, icu):
    return make_supporter(org, "ivan", [icu], languages=["en", "es"])
