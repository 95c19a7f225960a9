from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from respite.core.periodic import PeriodicJob


class CommunityConfig(AppConfig):
    name = "respite.community"
    label = "community"
    verbose_name = _("Community action kit")
    # Integration points (see CONTRIBUTING.md): respite_urls, respite_nav, respite_staff_nav,
    # respite_api, respite_demo.
    respite_urls: list[tuple[str, str]] = [
        ("o/<slug:org>/community/", "respite.community.urls"),
        ("staff/o/<slug:org>/community/", "respite.community.staff_urls"),
    ]
    respite_nav = [("community:index", _("Gatherings"))]
    respite_staff_nav = [("community_staff:events", _("Community gatherings"), ("org_admin",))]
    respite_api = ("", "respite.community.api.router")
    # Loaded and validated by the system check at start-up (respite.core.apphooks).
    respite_data_files = [
        "respite.community.toolkit.toolkit_data",
        "respite.community.toolkit.social_data",
    ]
    respite_demo = "respite.community.demo.load"
    # Hourly, so a reminder goes out during the day before a gathering and an address never outlives it.
    respite_periodic = [
        PeriodicJob(
            "community_tidy",
            timedelta(hours=1),
            "respite.community.management.commands.community_tidy.tidy",
        )
    ]
