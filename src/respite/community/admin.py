"""Django admin: events only, without attendee contacts or note text (organizers moderate notes)."""

from django.contrib import admin

from respite.community.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "starts_at", "format", "audience", "removed"]
    list_filter = ["format", "audience", "removed"]
    fields = [
        "title",
        "organization",
        "format",
        "starts_at",
        "time_zone",
        "place",
        "audience",
        "state",
        "notes_for",
        "donation_url",
        "pledge_goal",
        "removed",
    ]
    readonly_fields = ["organization"]
