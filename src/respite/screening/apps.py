from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from respite.core.periodic import PeriodicJob


class ScreeningConfig(AppConfig):
    name = "respite.screening"
    label = "screening"
    verbose_name = _("Screening")
    # Links this app adds to a portal's navigation: (url name, label). See core.context_processors.
    respite_nav = [("screening:checkin", _("Check-in")), ("screening:code_login", _("My space"))]
    respite_api = ("", "respite.screening.api.router")
    # Loaded and validated by the system check at start-up (respite.core.apphooks).
    respite_data_files = [
        "respite.screening.instruments.registry",
        "respite.screening.routing.table",
        "respite.screening.recommendations._data",
        "respite.screening.selfcare._guides",
    ]
    respite_urls = [("o/<slug:org>/", "respite.screening.urls"), ("", "respite.screening.pwa_urls")]
    respite_periodic = [
        PeriodicJob(
            "purge_unsaved_screenings",
            timedelta(hours=1),
            "respite.screening.models.purge_unsaved",
            purge=True,
        )
    ]

    def ready(self) -> None:
        # Validate every instrument file at start-up: a broken file must stop the server, not a worker.
        from respite.screening.instruments import registry
        from respite.screening.routing import table
        from respite.screening.selfcare import all_guides

        registry()
        table()  # every instrument, band and flag must have a route
        all_guides("en")  # and every self-care guide must be valid
