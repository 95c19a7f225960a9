"""Respite's settings with the tiny app installed, as a deployment would add an app."""

from respite.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "respite.core.tests.tinyapp"]  # noqa: F405
