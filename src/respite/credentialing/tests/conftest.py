"""The credentialing pages' actor: the organization's admin, signed in; and their addresses."""

from __future__ import annotations

import pytest
from django.urls import reverse


def page_url(name: str, org, **kwargs) -> str:
    return reverse(f"credentialing:{name}", kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def admin_client(client, org_admin):
    client.force_login(org_admin)
    return client
