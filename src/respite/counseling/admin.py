"""Only the clinician registry is in the Django admin. Cases, messages and engagements hold worker
content or contact details and are deliberately left out; verification goes through the audited
review page (/staff/volunteers/review/), so it is read-only here."""

from django.contrib import admin

from respite.counseling.models import Clinician, CounselingSettings


@admin.register(Clinician)
class ClinicianAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "licence_type",
        "licence_number",
        "verified_at",
        "verified_by",
        "accepting",
    ]
    list_filter = ["licence_type", "accepting"]
    search_fields = ["display_name", "licence_number"]
    readonly_fields = ["verified_at", "verified_by"]


@admin.register(CounselingSettings)
class CounselingSettingsAdmin(admin.ModelAdmin):
    list_display = ["organization", "reply_target_hours"]
