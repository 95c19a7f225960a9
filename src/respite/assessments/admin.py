from django.contrib import admin

from respite.assessments.models import ActionItem, Assessment, Commitment


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "framework", "created_at", "completed_at"]
    list_filter = ["framework"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "framework", "area", "owner", "due_date", "status"]
    list_filter = ["status", "framework"]


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "target_date", "status"]
