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
        ("core:units_import", _("Units and departments"), ("org_admin",)),
        ("core:sso_settings", _("Single sign-on"), ("org_admin",)),
        ("core:api_tokens", _("API tokens"), ("org_admin", "peer_lead")),
        ("peers_staff:dashboard", _("Peer program: dashboard"), ("peer_lead",)),
        ("volunteers:profile", _("My volunteer profile"), ("volunteer_therapist",)),
    ]
    respite_staff_global_nav = [
        (
            "core:platform_organizations",
            _("Organizations"),
            "respite.core.models.is_platform_admin",
        ),
        ("core:background_tasks", _("Background tasks"), "respite.core.models.is_platform_admin"),
    ]
    # Loaded and validated by the system check at start-up (respite.core.apphooks).
    respite_data_files = ["respite.core.resources._crisis_data"]
    # Scheduled by `respite worker` (see respite.core.tasks).
    respite_periodic = [
        PeriodicJob(
            "purge_throttles",
            timedelta(hours=1),
            "respite.core.privacy.purge_throttles",
            purge=True,
        ),
        PeriodicJob(
            "clear_sessions",
            timedelta(hours=1),
            "respite.core.tasks.clear_expired_sessions",
            purge=True,
        ),
        PeriodicJob(
            "prune_task_results",
            timedelta(hours=1),
            "respite.core.tasks.prune_task_results",
            purge=True,
        ),
        # `respite purge` runs it after every other purge job.
        PeriodicJob(
            "vacuum_worker_tables",
            timedelta(hours=1),
            "respite.core.privacy.vacuum_worker_tables",
            purge=True,
        ),
        PeriodicJob("staff_digests", timedelta(days=1), "respite.core.notify.send_digests"),
        PeriodicJob(
            "checkin_reminders", timedelta(days=1), "respite.core.alerts.send_checkin_reminders"
        ),
    ]

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth.signals import user_login_failed
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from respite.core import apphooks, signals  # apphooks also registers its system check
        from respite.core.navigation import invalidate

        user_login_failed.connect(signals.on_login_failed, dispatch_uid="core.audit_sign_in_failed")
        # Every app's data files (respite_data_files), validated before anything is served.
        apphooks.load_data_files()
        # The staff header's cached navigation and time zone follow roles, profiles and accounts.
        for model in (
            "core.Membership",
            "core.StaffProfile",
            "core.Organization",
            settings.AUTH_USER_MODEL,
            "counseling.Clinician",
            "peers.Supporter",
        ):
            post_save.connect(invalidate, sender=model, dispatch_uid=f"core.nav.save.{model}")
            post_delete.connect(invalidate, sender=model, dispatch_uid=f"core.nav.delete.{model}")
        m2m_changed.connect(
            invalidate, sender="peers.PeerProgram_leads", dispatch_uid="core.nav.leads"
        )
        # Computed at sign-in, so the first staff page after it costs no queries for the header.
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(signals.warm_staff_navigation, dispatch_uid="core.nav.warm")
