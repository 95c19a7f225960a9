from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from respite.core import privacy
from respite.core.models import Organization, SingleSignOn, StaffProfile
from respite.core.roles import DEFAULT_ROLE_GROUPS, ORG_ROLES, RoleGroup, StaffRole

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _code_words_help() -> str:
    return gettext("The %(n)s words you were given, in order. Spaces or dashes are fine.") % {
        "n": privacy.CODE_WORDS
    }


def access_code_field(label: StrOrPromise) -> forms.CharField:
    """The box a worker types their access code into. The words are a secret: the browser neither
    completes, capitalizes nor spell-checks them. The help is in the page's language (lazy)."""
    return forms.CharField(
        label=label,
        max_length=300,
        help_text=lazy(_code_words_help, str)(),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


def throttled_message(exc: privacy.Throttled) -> str:
    return privacy.too_many_sign_ins(privacy.wait_minutes(exc))


class ThrottledSignInMixin:
    """Back off a Django sign-in form per (username, client network), so someone guessing from one
    network cannot lock the owner out from theirs (core.privacy.check_account_sign_in), and put the
    sign-in in the audit log (failures are logged by ``signals.on_login_failed``)."""

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        try:
            keys = privacy.check_account_sign_in(self.request, username, kind="login")
        except privacy.Throttled as exc:
            raise forms.ValidationError(throttled_message(exc), code="throttled") from None
        try:
            data = super().clean()
        except forms.ValidationError:
            privacy.throttle_record_failure(*keys)
            raise
        from respite.core.signals import record_sign_in

        record_sign_in(self.get_user())
        return data


class ThrottledLoginForm(ThrottledSignInMixin, AuthenticationForm):
    """Staff sign-in."""


# What an organization's admins set on its settings page; the platform console sets them at creation.
SETTINGS_FIELDS = ["name", "name_es", "welcome", "accent_color", "state", "role_groups"]


class OrganizationSettingsForm(forms.ModelForm):
    role_groups = forms.MultipleChoiceField(
        choices=RoleGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Role groups workers may choose from"),
        help_text=_("Keep groups broad: a group of a few people can identify them."),
    )

    class Meta:
        model = Organization
        fields = [*SETTINGS_FIELDS, "min_group_size"]

    def clean_state(self) -> str:
        return (self.cleaned_data.get("state") or "").upper()


class ReplyEmailForm(forms.Form):
    """An address a worker chooses for "you have a reply" only (encrypted; deleted when the
    conversation closes). Empty turns it off."""

    email = forms.EmailField(
        label=_("Email address for reply notices"),
        required=False,
        max_length=254,
        help_text=_("Optional. Use a personal address, not your work one."),
    )


def _role_choices() -> list[tuple[str, StrOrPromise]]:
    labels = dict(StaffRole.choices)
    return [(str(r), labels[r]) for r in ORG_ROLES]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=_role_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Counselors and peer supporters read what workers write; give these roles with care."
        ),
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=_role_choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class AcceptInvitationForm(forms.Form):
    """A new account's password (the username is the invited email address)."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters."),
    )
    password2 = forms.CharField(
        label=_("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            raise forms.ValidationError(_("The two passwords differ."))
        if p1:
            from django.contrib.auth import get_user_model

            password_validation.validate_password(
                p1, get_user_model()(username=self.email, email=self.email)
            )
        return data


class VolunteerApplicationForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("Email address"), max_length=254)


class OrganizationCreateForm(OrganizationSettingsForm):
    """Platform console: a new organization. The first admin is invited by email in the same step."""

    time_zone = forms.ChoiceField(label=_("Time zone"), choices=(), initial="America/Los_Angeles")
    admin_email = forms.EmailField(
        label=_("First admin's email address"),
        max_length=254,
        help_text=_("They get a single-use link to set a password."),
    )

    class Meta(OrganizationSettingsForm.Meta):
        fields = ["slug", *SETTINGS_FIELDS, "time_zone", "min_group_size"]
        labels = {"slug": _("Web address name"), "name": _("Name (English)")}
        help_texts = {
            "slug": _("Lowercase letters, digits and hyphens; the portal is at /o/<name>/.")
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role_groups"].initial = [str(r) for r in DEFAULT_ROLE_GROUPS]
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = time_zone_choices()


def time_zone_choices() -> list[tuple[str, str]]:
    from respite.core.models import available_time_zones

    common = [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
        "America/Puerto_Rico",
        "UTC",
    ]
    rest = sorted(
        z
        for z in available_time_zones()
        if z not in common and "/" in z and not z.startswith("Etc/")
    )
    return [(z, z.replace("_", " ")) for z in common + rest]


class ProfileForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("Notices about waiting work go here. They never contain what a worker wrote."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Leave empty to use your organization's time zone."),
    )
    frequency = forms.ChoiceField(
        label=_("Notification emails"), choices=StaffProfile.Frequency.choices
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = [
            ("", _("My organization's time zone")),
            *time_zone_choices(),
        ]


class SsoEmailForm(forms.Form):
    email = forms.EmailField(label=_("Your work email address"), max_length=254)


class SingleSignOnForm(forms.ModelForm):
    """The organization's OpenID Connect provider. The secret is never shown again: an empty box keeps
    the one saved."""

    issuer = forms.URLField(
        label=_("Issuer"),
        max_length=300,
        assume_scheme="https",
        help_text=_("The provider's issuer URL, e.g. https://login.example.org/realms/staff."),
    )
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted. Leave empty to keep the saved secret."),
    )

    class Meta:
        model = SingleSignOn
        fields = ["is_enabled", "issuer", "client_id", "client_secret", "email_domains"]

    def clean_client_secret(self) -> str:
        secret = self.cleaned_data.get("client_secret") or ""
        if not secret:
            if not self.instance.pk:
                raise forms.ValidationError(_("Enter the client secret your provider gave you."))
            return self.instance.client_secret
        return secret

    def clean_issuer(self) -> str:
        issuer = (self.cleaned_data.get("issuer") or "").strip()
        if not issuer.startswith("https://") and not settings.DEBUG and not _local(issuer):
            raise forms.ValidationError(_("The issuer must start with https://."))
        return issuer.rstrip("/")

    def clean_email_domains(self) -> str:
        value = self.cleaned_data.get("email_domains") or ""
        return ", ".join(d.strip().lower() for d in value.split(",") if d.strip())

    @property
    def changed_data(self) -> list[str]:
        # An empty secret box is "unchanged", whatever the form machinery thinks.
        changed = list(super().changed_data)
        if "client_secret" in changed and not self.data.get("client_secret"):
            changed.remove("client_secret")
        return changed


def _local(url: str) -> bool:
    """Plain http only to this machine (a provider run beside Respite, and the tests')."""
    from urllib.parse import urlsplit

    return urlsplit(url).scheme == "http" and urlsplit(url).hostname in ("127.0.0.1", "localhost")


class BrandingForm(forms.ModelForm):
    """Platform console: an organization's names in each language and its logo."""

    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP, up to 2 MB. Shown at the top of every page of the portal."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Organization
        fields = ["name", "name_es"]
        labels = {"name": _("Name (English)")}

    def clean_logo(self) -> bytes | None:
        from respite.core.branding import clean_logo

        upload = self.cleaned_data.get("logo")
        return clean_logo(upload) if upload else None
