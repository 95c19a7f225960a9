from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from respite.core.roles import StaffRole


class CredentialingConfig(AppConfig):
    name = "respite.credentialing"
    label = "credentialing"
    verbose_name = _("Credentialing question auditor")
    # Integration points (see CONTRIBUTING.md).
    respite_urls = [("staff/o/<slug:org>/credentialing/", "respite.credentialing.staff_urls")]
    respite_staff_nav = [
        ("credentialing:audit_list", _("Credentialing question auditor"), (StaffRole.ORG_ADMIN,))
    ]
    respite_api = ("", "respite.credentialing.api.router")
    # Loaded and validated by the system check at start-up (respite.core.apphooks).
    respite_data_files = [
        "respite.credentialing.auditor.vocabulary",
    ]
    respite_demo = "respite.credentialing.demo.load"
