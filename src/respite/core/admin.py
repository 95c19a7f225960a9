from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from respite.core.forms import ThrottledSignInMixin
from respite.core.models import AuditLog, Membership, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "state", "min_group_size"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Read-only: roles are granted through the audited staff console, where a counselor's or peer
    supporter's role needs the organization's own admins, never by a superuser here
    (``core/tests/test_admin_matrix.py``)."""

    list_display = ["user", "organization", "role"]
    list_filter = ["role"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "organization", "action", "target_type", "target_id"]
    list_filter = ["action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ThrottledAdminLoginForm(ThrottledSignInMixin, AdminAuthenticationForm):
    """The admin's sign-in, throttled exactly like the staff sign-in."""


admin.site.login_form = ThrottledAdminLoginForm
