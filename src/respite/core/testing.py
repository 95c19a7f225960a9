"""Test-data factories: plain ``make_*`` functions (house style), used by every app's tests."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from respite.core.models import Membership, Organization
from respite.core.roles import StaffRole

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"  # noqa: S105


def make_org(slug: str | None = None, **kwargs) -> Organization:
    n = next(_seq)
    slug = slug or f"org-{n}"
    return Organization.objects.create(slug=slug, name=kwargs.pop("name", f"Organization {n}"), **kwargs)


def make_user(username: str | None = None, **kwargs):
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **kwargs)
    return user


def make_staff(org: Organization | None, role: str, username: str | None = None):
    user = make_user(username)
    Membership.objects.create(user=user, organization=None if role == StaffRole.PLATFORM_ADMIN else org, role=role)
    return user
