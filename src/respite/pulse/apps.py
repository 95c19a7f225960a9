from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from respite.core.periodic import PeriodicJob
from respite.core.roles import StaffRole


class PulseConfig(AppConfig):
    name = "respite.pulse"
    label = "pulse"
    verbose_name = _("Pulse surveys")
    # Integration points (see CONTRIBUTING.md).
    respite_urls = [
        ("o/<slug:org>/pulse/", "respite.pulse.urls"),
        ("staff/o/<slug:org>/pulse/", "respite.pulse.staff_urls"),
    ]
    respite_nav = [("pulse:index", _("Pulse survey"))]
    respite_staff_nav = [
        ("pulse_staff:index", _("Pulse surveys and dashboards"), (StaffRole.ORG_ADMIN,))
    ]
    respite_api = ("", "respite.pulse.api.router")
    # Loaded and validated by the system check at start-up (respite.core.apphooks).
    respite_data_files = [
        "respite.pulse.items.item_sets",
    ]
    respite_demo = "respite.pulse.demo.load"
    # Release points: final releases of ended rounds and interim releases of long ones.
    respite_periodic = [
        PeriodicJob("pulse-releases", timedelta(hours=1), "respite.pulse.releases.release_due")
    ]

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from respite.pulse.models import DASHBOARD_INPUTS, bump_on_change

        # Cached dashboards are keyed by a version every change of their inputs raises.
        for model in DASHBOARD_INPUTS:
            post_save.connect(bump_on_change, sender=model, dispatch_uid=f"pulse-dash-{model}")
            post_delete.connect(bump_on_change, sender=model, dispatch_uid=f"pulse-dash-d-{model}")
