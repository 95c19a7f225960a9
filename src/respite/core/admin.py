from django.contrib import admin
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from respite.core.forms import ThrottledSignInMixin
from respite.core.models import AuditLog, Membership, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "state", "min_group_size"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    """Read-only: roles are granted through the audited staff console, where a counselor's or peer
    supporter's role needs the organization's own admins, never by a superuser here
    (``core/tests/test_admin_matrix.py``)."""

    list_display = ["user", "organization", "role"]
    list_filter = ["role"]


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "organization", "action", "target_type", "target_id"]
    list_filter = ["action"]


class ThrottledAdminLoginForm(ThrottledSignInMixin, OTPAdminAuthenticationForm):
    """The admin's sign-in: password and a second-factor code (authenticator or recovery code),
    throttled exactly like the staff sign-in; a wrong code counts as a failed sign-in."""

    def _chosen_device(self, user):
        # One box, as on the staff pages: six digits are the authenticator's, anything else a
        # recovery code. (django-otp otherwise makes the person pick a device first.)
        device = super()._chosen_device(user)
        if device is None:
            from respite.core.twofactor import device_for_token

            device = device_for_token(user, self.cleaned_data.get("otp_token") or "")
        return device


# django-otp's admin site: every admin page needs a session verified with a second factor, whether it
# signed in here or on the staff sign-in (core.twofactor). django-otp documents this class swap.
admin.site.__class__ = OTPAdminSite
admin.site.login_form = ThrottledAdminLoginForm
admin.site.login_template = OTPAdminSite.login_template
