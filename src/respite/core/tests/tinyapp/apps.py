"""A tiny app that joins the portal only through the documented contract (CONTRIBUTING.md,
respite.core.apphooks). test_apphooks.py installs it in a subprocess and looks for it."""

from datetime import timedelta

from django.apps import AppConfig

from respite.core.periodic import PeriodicJob


class TinyConfig(AppConfig):
    name = "respite.core.tests.tinyapp"
    label = "tinyapp"
    respite_urls = [("staff/o/<slug:org>/tiny/", "respite.core.tests.tinyapp.urls")]
    respite_staff_nav = [("tinyapp:home", "Tiny wellness room", ("org_admin",))]
    respite_own_people = [
        ("tiny_buddy", "respite.core.tests.tinyapp.logic.available", "tinyapp/_offer.html")
    ]
    respite_periodic = [
        PeriodicJob(
            "tiny_purge", timedelta(days=1), "respite.core.tests.tinyapp.logic.purge", purge=True
        )
    ]
