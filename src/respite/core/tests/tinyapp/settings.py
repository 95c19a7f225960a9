"""Respite's settings with the tiny app installed, as a deployment would add an app."""

from respite.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "respite.core.tests.tinyapp"]  # noqa: F405
# As in the rest of the suite (conftest.py): staff sign in with force_login; two-factor has its own tests.
RESPITE_TWO_FACTOR_REQUIRED = False
