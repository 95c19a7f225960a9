from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from respite.core.periodic import PeriodicJob


class CoreConfig(AppConfig):
    name = "respite.core"
    label = "core"
    verbose_name = _("Organizations and privacy")
    # Scheduled by `respite worker` (see respite.core.tasks).
    respite_periodic = [
        PeriodicJob("purge_throttles", timedelta(hours=1), "respite.core.tasks.purge_throttles", purge=True),
        PeriodicJob("clear_sessions", timedelta(hours=1), "respite.core.tasks.clear_expired_sessions", purge=True),
        PeriodicJob("prune_task_results", timedelta(hours=1), "respite.core.tasks.prune_task_results", purge=True),
        PeriodicJob("staff_digests", timedelta(days=1), "respite.core.tasks.send_digests"),
        PeriodicJob("requeue_stale_tasks", timedelta(minutes=5), "respite.core.tasks.requeue_stale_tasks"),
        PeriodicJob("checkin_reminders", timedelta(days=1), "respite.core.alerts.send_checkin_reminders"),
    ]
