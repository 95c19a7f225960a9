import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Plans and the cross-organization benchmark are cached; each test starts from its own data.
    cache.clear()
    yield
    cache.clear()
