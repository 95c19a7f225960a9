from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from respite.core.periodic import PeriodicJob


class CounselingConfig(AppConfig):
    name = "respite.counseling"
    label = "counseling"
    verbose_name = _("Counseling")
    respite_urls = [
        ("o/<slug:org>/counseling/", "respite.counseling.urls"),
        ("staff/o/<slug:org>/counseling/", "respite.counseling.staff_urls"),
        # Volunteer therapists work across organizations: their pages take no org.
        ("staff/volunteers/", "respite.counseling.volunteer_urls"),
    ]
    respite_nav = [("counseling:home", _("Talk to someone"))]
    respite_staff_nav = [
        ("counseling_staff:queue", _("Counseling queue"), ("counselor",)),
        ("counseling_staff:report", _("Counseling figures"), ("org_admin",)),
        ("counseling_staff:settings", _("Counseling settings"), ("org_admin",)),
    ]
    respite_staff_global_nav = [
        ("volunteers:schedule", _("My volunteer schedule"), "respite.counseling.apps.is_volunteer"),
        (
            "volunteers:review",
            _("Volunteer licence review"),
            "respite.core.models.is_platform_admin",
        ),
    ]
    # The organization's own people on a screening result, when it has them (see screening.routing).
    respite_own_people = [
        (
            "counselor",
            "respite.counseling.offers.counselors_available",
            "counseling/share_panel.html",
        ),
        (
            "volunteer_therapists",
            "respite.counseling.offers.therapists_available",
            "counseling/_own_therapists.html",
        ),
    ]
    # A section of the worker's My space page (see screening.views.my_space).
    respite_my_space = "respite.counseling.views.my_space_section"
    respite_api = ("", "respite.counseling.api.router")
    respite_demo = "respite.counseling.demo.load"
    respite_periodic = [
        PeriodicJob(
            "counseling_overdue",
            timedelta(minutes=15),
            "respite.counseling.notify.notify_overdue_cases",
        )
    ]

    def ready(self) -> None:
        # Counselors hear of new cases and messages however they were created (page, API, demo).
        from django.db.models.signals import post_save

        from respite.counseling import notify
        from respite.counseling.models import Case, Message

        post_save.connect(notify.on_case_saved, sender=Case, dispatch_uid="counseling.case_notice")
        post_save.connect(
            notify.on_message_saved, sender=Message, dispatch_uid="counseling.message_notice"
        )


def is_volunteer(user) -> bool:
    """Staff home shows the volunteer schedule to accounts with a therapist profile."""
    from respite.counseling.models import Clinician

    return user.is_authenticated and Clinician.objects.filter(user=user).exists()
