"""An operator who copies a key from the repository (or keeps the development one) gets a server
that refuses to start in production, with a message saying how to make a real key."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[4]
# A key as someone might paste it into a doc or a test: being in the repository makes it public.
KEY_FROM_THE_REPOSITORY = "respite-example-key-from-docs-9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # noqa: S105
DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop"  # noqa: S105
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktaW5zZWN1cmUtZW5jcnlwdGlvbi1rZXk="  # noqa: S105


def _start_production(secret: str, encryption_key: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        RESPITE_ENV="production",
        SECRET_KEY=secret,
        RESPITE_ENCRYPTION_KEY=encryption_key,
        DATABASE_URL="sqlite:////tmp/respite-prod-keys.sqlite3",
        ALLOWED_HOSTS="x.example",
        STATIC_ROOT="/tmp/respite-prod-static",
        PYTHONPATH=str(ROOT / "src"),
        DJANGO_SETTINGS_MODULE="respite.settings",
    )
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "CRITICAL"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.parametrize(
    ("secret", "encryption_key", "named"),
    [
        (DEV_SECRET, None, "SECRET_KEY"),
        (None, DEV_ENCRYPTION_KEY, "RESPITE_ENCRYPTION_KEY"),
        (KEY_FROM_THE_REPOSITORY, None, "SECRET_KEY"),
        ("short", None, "SECRET_KEY"),
    ],
)
def test_production_refuses_development_and_repository_keys(secret, encryption_key, named):
    result = _start_production(
        secret or secrets.token_urlsafe(50), encryption_key or Fernet.generate_key().decode()
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr


def test_production_starts_with_fresh_keys():
    result = _start_production(secrets.token_urlsafe(50), Fernet.generate_key().decode())
    assert result.returncode == 0, result.stderr[-2000:]
