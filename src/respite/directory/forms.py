from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from respite.core.roles import RoleGroup
from respite.directory.models import Audience, Channel, Confidentiality, Cost, Service, Tier

STATE = RegexValidator(r"^[A-Za-z]{2}$", _("Use a two-letter state code, e.g. CA."))


def _blank(choices, label) -> list[tuple[str, str]]:
    return [("", label), *choices]


class SearchForm(forms.Form):
    """The worker search form: GET, works without JavaScript. Every filter is optional."""

    q = forms.CharField(
        label=_("What would help?"),
        required=False,
        max_length=300,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("e.g. can't sleep, free therapy, peer support"),
            }
        ),
    )
    role = forms.ChoiceField(
        label=_("My role"), required=False, choices=_blank(RoleGroup.choices, _("Any role"))
    )
    state = forms.CharField(
        label=_("State"),
        required=False,
        max_length=2,
        validators=[STATE],
        widget=forms.TextInput(attrs={"size": 3, "autocomplete": "off"}),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Any language")), ("en", "English"), ("es", "Español")],
    )
    cost = forms.ChoiceField(
        label=_("Cost"), required=False, choices=_blank(Cost.choices, _("Any cost"))
    )
    confidentiality = forms.ChoiceField(
        label=_("Privacy"), required=False, choices=_blank(Confidentiality.choices, _("Any"))
    )
    channel = forms.ChoiceField(
        label=_("How to reach them"), required=False, choices=_blank(Channel.choices, _("Any way"))
    )
    audience = forms.ChoiceField(
        label=_("For"), required=False, choices=_blank(Audience.choices, _("Everyone"))
    )
    open_now = forms.BooleanField(label=_("Open now"), required=False)
    available_24_7 = forms.BooleanField(label=_("Available 24/7"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=1000, widget=forms.HiddenInput)


class _SharedFields(dict):
    """A form's ``base_fields`` that every instance shares instead of deep-copying (Django copies
    them per form so a view may change one form's fields; copying these eleven, choices, widgets
    and lazy labels included, cost the search page half a millisecond). Only for a form whose
    fields no one changes after the class is made."""

    def __deepcopy__(self, memo: dict) -> dict:
        return dict(self)


SearchForm.base_fields = _SharedFields(SearchForm.base_fields)


class LocalServiceForm(forms.ModelForm):
    """An organization's own service (EAP, chaplaincy, food pantry...). Descriptions are sanitized."""

    roles = forms.MultipleChoiceField(
        label=_("Open to"),
        required=False,
        choices=RoleGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty when every worker may use it."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        required=False,
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    audiences = forms.MultipleChoiceField(
        label=_("Audience"),
        required=False,
        choices=Audience.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["worker"],
    )
    tiers = forms.MultipleChoiceField(
        label=_("Suggest after a screening result of"),
        required=False,
        choices=Tier.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        required=False,
        choices=[("en", "English"), ("es", "Español")],
        widget=forms.CheckboxSelectMultiple,
        initial=["en"],
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=40,
        validators=[RegexValidator(r"^[0-9+() .\-]{3,40}$", _("Digits, spaces, + ( ) - only."))],
    )

    url = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Service
        fields = [
            "name",
            "name_es",
            "description",
            "description_es",
            "url",
            "phone",
            "cost",
            "confidentiality",
            "available_24_7",
            "roles",
            "audiences",
            "channels",
            "tiers",
            "languages",
            "keywords",
            "assured_date",
        ]
        widgets = {
            "assured_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "description_es": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_url(self) -> str:
        url = self.cleaned_data.get("url", "")
        if url and not url.startswith("https://"):
            raise forms.ValidationError(_("Use an https:// link."))
        return url


class CurationForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("hide", "hide"),
            ("show", "show"),
            ("feature", "feature"),
            ("unfeature", "unfeature"),
        ]
    )
