from __future__ import annotations

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from respite.community import notesafety, social, toolkit
from respite.community.models import Event, Format, Note, Pledge, Rsvp

US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "PR",
    "GU",
    "VI",
    "AS",
    "MP",
]


def _https(value: str) -> str:
    if value and not value.lower().startswith("https://"):
        raise ValidationError(_("Use a secure link starting with https://"))
    return value


def _https_urls(field, **kwargs):
    """Model URL fields become https-by-default form fields (Django 6's default, chosen now)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class EventForm(forms.ModelForm):
    """Create or edit a gathering. Dates are entered in the event's own time zone."""

    start_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    link = forms.URLField(
        label=_("Meeting link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=Event._meta.get_field("link").help_text,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    donation_url = forms.URLField(
        label=_("Donation page"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=Event._meta.get_field("donation_url").help_text,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    class Meta:
        model = Event
        fields = [
            "title",
            "format",
            "start_date",
            "start_time",
            "time_zone",
            "place",
            "link",
            "audience",
            "state",
            "notes_for",
            "donation_url",
            "pledge_goal",
        ]
        widgets = {"format": forms.RadioSelect, "audience": forms.RadioSelect}
        formfield_callback = _https_urls

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].widget = forms.TextInput(
            attrs={"maxlength": 2, "autocapitalize": "characters", "size": 3}
        )
        if not self.instance._state.adding:
            local = self.instance.local_start
            self.initial.setdefault("start_date", local.date())
            self.initial.setdefault("start_time", local.time().replace(second=0, microsecond=0))

    def clean_state(self) -> str:
        state = (self.cleaned_data.get("state") or "").strip().upper()
        if state and state not in US_STATES:
            raise ValidationError(_("Use a two-letter US state code, e.g. CA."))
        return state

    def clean_link(self) -> str:
        return _https(self.cleaned_data.get("link", ""))

    def clean_donation_url(self) -> str:
        return _https(self.cleaned_data.get("donation_url", ""))

    def clean(self):
        data = super().clean()
        if data.get("format") == Format.IN_PERSON and not data.get("place"):
            self.add_error("place", _("Say where the gathering takes place."))
        if data.get("format") == Format.VIRTUAL and not data.get("link"):
            self.add_error("link", _("Add the meeting link for a virtual gathering."))
        if data.get("start_date") and data.get("start_time") and data.get("time_zone"):
            naive = datetime.combine(data["start_date"], data["start_time"])
            self.instance.starts_at = timezone.make_aware(naive, ZoneInfo(data["time_zone"]))
            if self.instance._state.adding and self.instance.starts_at < timezone.now():
                self.add_error("start_date", _("Pick a date in the future."))
        return data


class RsvpForm(forms.ModelForm):
    want_reminder = forms.BooleanField(
        label=_("Email me a reminder the day before"), required=False
    )
    email = forms.EmailField(
        label=_("Email for the reminder"),
        required=False,
        max_length=254,
        help_text=_("Only if you want a reminder. Encrypted, and erased after the event."),
    )

    class Meta:
        model = Rsvp
        fields = ["nickname", "party_size"]
        widgets = {"party_size": forms.NumberInput(attrs={"min": 1, "max": 20})}

    def clean_nickname(self) -> str:
        return notesafety.sanitize(self.cleaned_data.get("nickname", ""))[:40]

    def clean(self):
        data = super().clean()
        if data.get("want_reminder") and not data.get("email"):
            self.add_error("email", _("Add an email for the reminder, or untick the reminder box."))
        if not data.get("want_reminder"):
            data["email"] = ""  # never keep an address the attendee did not ask us to use
        return data

    def save(self, commit: bool = True) -> Rsvp:
        self.instance.reminder_email = self.cleaned_data.get("email", "")
        return super().save(commit)


class NoteForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = ["body", "signed"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5, "maxlength": 1000})}
        help_texts = {
            "body": _(
                "Shown after the organizer reviews it. Please do not name patients or add "
                "dates of birth, record numbers or phone numbers."
            )
        }

    def clean_body(self) -> str:
        body = notesafety.sanitize(self.cleaned_data.get("body", ""))
        if not body:
            raise ValidationError(_("Write a few words of thanks."))
        problems = notesafety.personal_data_problems(body)
        if problems:
            raise ValidationError(
                [_("This note may contain personal data about a patient, so it was not sent.")]
                + [message for _code, message in problems]
            )
        return body

    def clean_signed(self) -> str:
        signed = notesafety.sanitize(self.cleaned_data.get("signed", ""))
        if notesafety.personal_data_problems(signed):
            raise ValidationError(_("Please sign with a first name or a nickname only."))
        return signed


class PledgeForm(forms.Form):
    tier = forms.ChoiceField(label=_("Pledge"), widget=forms.RadioSelect)
    other_amount = forms.IntegerField(
        label=_("Other amount (US$)"), required=False, min_value=1, max_value=1_000_000
    )
    display_name = forms.CharField(
        label=_("Name to show (optional)"), required=False, max_length=40
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tier"]).choices = [
            (t["id"], f"{t['name']} · ${t['amount']:,}") for t in toolkit.fundraising()["tiers"]
        ] + [("other", _("Another amount"))]

    def clean_display_name(self) -> str:
        name = notesafety.sanitize(self.cleaned_data.get("display_name", ""))
        if notesafety.personal_data_problems(name):
            raise ValidationError(_("Please use a first name or a nickname only."))
        return name

    def clean(self):
        data = super().clean()
        tier = data.get("tier")
        if tier == "other":
            if not data.get("other_amount"):
                self.add_error("other_amount", _("Enter the amount you pledge."))
            else:
                data["amount"] = data["other_amount"]
        elif tier:
            data["amount"] = toolkit.tier_amounts()[tier]
        return data

    def save(self, event: Event) -> Pledge:
        tier = self.cleaned_data["tier"]
        return Pledge.objects.create(
            event=event,
            tier="" if tier == "other" else tier,
            amount=self.cleaned_data["amount"],
            display_name=self.cleaned_data.get("display_name", ""),
        )


class ComposerForm(forms.Form):
    text = forms.CharField(
        label=_("Your post"),
        required=False,
        max_length=social.MAX_POST,
        widget=forms.Textarea(attrs={"rows": 7}),
    )
    resource = forms.ChoiceField(label=_("Add a resource link"), required=False)
    hashtags = forms.MultipleChoiceField(
        label=_("Hashtags"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, links: list[dict[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.links = {c["key"]: c for c in links}
        cast(forms.ChoiceField, self.fields["resource"]).choices = [("", _("No link"))] + [
            (c["key"], c["name"]) for c in links
        ]
        tags = toolkit.social()["hashtags"]
        cast(forms.ChoiceField, self.fields["hashtags"]).choices = [(h, h) for h in tags]

    def composed(self) -> str:
        data = self.cleaned_data
        return social.compose(
            data.get("text", ""),
            resource=self.links.get(data.get("resource") or ""),
            hashtags=data.get("hashtags") or [],
        )


class ManageTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Your private link"),
        max_length=400,
        help_text=_("Paste the whole link you were given when you created the gathering."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
