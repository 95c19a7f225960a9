from __future__ import annotations

import importlib
import sys
import types

import pytest

from respite.assessments.models import Assessment


@pytest.fixture
def admin_client(client, org_admin):
    client.force_login(org_admin)
    return client


@pytest.fixture
def assessment(org, org_admin):
    return Assessment.objects.create(
        organization=org, framework="all_in", title="Spring review", started_by=org_admin
    )


def url(org, name: str = "", **kwargs) -> str:
    from django.urls import reverse

    return reverse(f"assessments:{name or 'index'}", kwargs={"org": org.slug, **kwargs})


def _module(monkeypatch, name: str) -> types.ModuleType:
    """The real sibling module if it is installed, else an empty stand-in registered under its name."""
    try:
        return importlib.import_module(name)
    except ImportError:
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
        return module


@pytest.fixture
def fake_pulse(monkeypatch):
    """respite.pulse.reporting's agreed contract, with known answers."""
    module = _module(monkeypatch, "respite.pulse.reporting")
    calls = []

    def before_after(organization, key, on_date):
        calls.append((organization.slug, key, on_date))
        return {
            "label": "Burnout (single item)",
            "before": {"value": 0.42, "n": 31, "suppressed": False},
            "after": {"value": 0.3, "n": 4, "suppressed": True},
        }

    monkeypatch.setattr(
        module,
        "measure_choices",
        lambda organization: [("burnout", "Burnout (single item)"), ("phq2", "PHQ-2 positive")],
        raising=False,
    )
    monkeypatch.setattr(module, "measure_before_after", before_after, raising=False)
    return types.SimpleNamespace(calls=calls)


@pytest.fixture
def no_pulse(monkeypatch):
    """As if the deployment had left the pulse app out of INSTALLED_APPS."""
    from respite.assessments import links

    installed = links._installed
    monkeypatch.setattr(links, "_installed", lambda app: app != links.PULSE and installed(app))


@pytest.fixture
def fake_directory(monkeypatch):
    module = _module(monkeypatch, "respite.directory.search")

    def recommend(*, organization, audience, limit):
        assert audience == "organization"
        return [
            {
                "id": 1,
                "name": "Schwartz Rounds Program",
                "description": "Regular rounds",
                "url": "https://example.org/sr",
            },
            {"id": 2, "name": "RISE Peer Support", "description": "", "url": ""},
        ][:limit]

    monkeypatch.setattr(module, "recommend", recommend, raising=False)


@pytest.fixture
def no_directory(monkeypatch):
    """As if the deployment had left the directory app out of INSTALLED_APPS."""
    from respite.assessments import links

    installed = links._installed
    monkeypatch.setattr(links, "_installed", lambda app: app != links.DIRECTORY and installed(app))
