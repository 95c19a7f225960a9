from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "respite.community"
    label = "community"
    verbose_name = _("Community action kit")
    # Integration points (see CONTRIBUTING.md): respite_urls, respite_nav, respite_staff_nav,
    # respite_api, respite_demo.
    respite_urls: list[tuple[str, str]] = []
