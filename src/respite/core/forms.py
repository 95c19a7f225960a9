from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from respite.core import privacy
from respite.core.models import Organization
from respite.core.roles import RoleGroup


class ThrottledLoginForm(AuthenticationForm):
    """Staff login, rate-limited strictly per username and generously per network address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-in attempts. Please wait 15 minutes and try again."),
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        try:
            keys = privacy.check_credential(self.request, username, kind="login", per_credential=5, per_address=300)
        except privacy.Throttled:
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled") from None
        try:
            return super().clean()
        except forms.ValidationError:
            for key in keys:
                privacy.throttle_record_failure(key)
            raise


class OrganizationSettingsForm(forms.ModelForm):
    role_groups = forms.MultipleChoiceField(
        choices=RoleGroup.choices, widget=forms.CheckboxSelectMultiple, required=False,
        label=_("Role groups workers may choose from"),
        help_text=_("Keep groups broad: a group of a few people can identify them."),
    )

    class Meta:
        model = Organization
        fields = ["name", "welcome", "accent_color", "state", "role_groups", "min_group_size"]

    def clean_state(self) -> str:
        return (self.cleaned_data.get("state") or "").upper()


class ReplyEmailForm(forms.Form):
    """An address a worker chooses for "you have a reply" only (encrypted; deleted when the
    conversation closes). Empty turns it off."""

    email = forms.EmailField(
        label=_("Email address for reply notices"), required=False, max_length=254,
        help_text=_("Optional. Use a personal address, not your work one."),
    )
