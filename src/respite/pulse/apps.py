from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PulseConfig(AppConfig):
    name = "respite.pulse"
    label = "pulse"
    verbose_name = _("Pulse surveys")
    # Integration points (see CONTRIBUTING.md): respite_urls, respite_nav, respite_staff_nav,
    # respite_api, respite_demo.
    respite_urls: list[tuple[str, str]] = []
