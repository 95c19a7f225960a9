from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from respite.core.periodic import PeriodicJob


class CoreConfig(AppConfig):
    name = "respite.core"
    label = "core"
    verbose_name = _("Organizations and privacy")
    # Console pages, and the pages of roles granted here whose app links them elsewhere (the peer
    # program's lead pages, a volunteer therapist's profile). See respite.core.navigation.
    respite_staff_nav = [
        ("core:staff_list", _("Staff and roles"), ("org_admin",)),
        ("core:organization_settings", _("Settings"), ("org_admin",)),
        ("core:audit_log", _("Audit log"), ("org_admin",)),
        ("peers_staff:dashboard", _("Peer program: dashboard"), ("peer_lead",)),
        ("volunteers:profile", _("My volunteer profile"), ("volunteer_therapist",)),
    ]
    respite_staff_global_nav = [
        ("core:platform_organizations", _("Organizations"), "respite.core.models.is_platform_admin"),
        ("core:background_tasks", _("Background tasks"), "respite.core.models.is_platform_admin"),
    ]
    # Scheduled by `respite worker` (see respite.core.tasks).
    respite_periodic = [
        PeriodicJob("purge_throttles", timedelta(hours=1), "respite.core.tasks.purge_throttles", purge=True),
        PeriodicJob("clear_sessions", timedelta(hours=1), "respite.core.tasks.clear_expired_sessions", purge=True),
        PeriodicJob("prune_task_results", timedelta(hours=1), "respite.core.tasks.prune_task_results", purge=True),
        PeriodicJob("staff_digests", timedelta(days=1), "respite.core.tasks.send_digests"),
    ]

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from respite.core import signals

        user_login_failed.connect(signals.on_login_failed, dispatch_uid="core.audit_sign_in_failed")
