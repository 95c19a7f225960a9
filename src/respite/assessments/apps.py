from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from respite.core.periodic import PeriodicJob


class AssessmentsConfig(AppConfig):
    name = "respite.assessments"
    label = "assessments"
    verbose_name = _("Organizational self-assessments")
    # Integration points (see CONTRIBUTING.md). Staff pages only: workers never see assessments.
    respite_urls = [("staff/o/<slug:org>/assessments/", "respite.assessments.staff_urls")]
    respite_staff_nav = [
        ("assessments:index", _("Self-assessments"), ("org_admin",)),
        ("assessments:plan", _("Action plan"), ("org_admin",)),
        ("assessments:rate_index", _("Assessments to rate"), ("assessment_rater",)),
    ]
    respite_api = ("", "respite.assessments.api.router")
    # Loaded and validated by the system check at start-up (respite.core.apphooks).
    respite_data_files = [
        "respite.assessments.frameworks.registry",
    ]
    respite_demo = "respite.assessments.demo.load"
    respite_periodic = [
        PeriodicJob(
            "assessment_reminders",
            timedelta(days=1),
            "respite.assessments.management.commands.assessment_reminders.send_due_reminders",
        )
    ]
