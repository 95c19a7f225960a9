from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "respite.directory"
    label = "directory"
    verbose_name = _("Resource directory")
    # Integration points (see CONTRIBUTING.md).
    respite_urls: list[tuple[str, str]] = [
        ("o/<slug:org>/directory/", "respite.directory.urls"),
        ("staff/o/<slug:org>/directory/", "respite.directory.staff_urls"),
    ]
    respite_nav = [("directory:search", _("Find support"))]
    respite_staff_nav = [("directory_staff:curate", _("Resource directory"), ("org_admin",))]
    respite_api = ("", "respite.directory.api.router")
    # Loaded and validated by the system check at start-up (respite.core.apphooks).
    respite_data_files = [
        "respite.directory.search.glossary",
        "respite.directory.crisis.phrasings",
    ]
    respite_demo = "respite.directory.demo.load"
