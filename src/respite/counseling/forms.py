from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from respite.counseling.models import (
    LANGUAGES,
    AvailabilityException,
    Clinician,
    ContactMethod,
    CounselingSettings,
    Modality,
    Specialty,
    WeeklyAvailability,
)
from respite.counseling.scheduling import US_TIME_ZONES, known_zones
from respite.counseling.states import US_STATES

MESSAGE_MAX = 4000
_textarea = forms.Textarea(attrs={"rows": 5})


class ShareForm(forms.Form):
    message = forms.CharField(
        label=_("Anything you want the counselor to know (optional)"),
        required=False,
        max_length=MESSAGE_MAX,
        widget=_textarea,
        help_text=_("Do not write your name unless you want the counselor to know it."),
    )


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Your message"), max_length=MESSAGE_MAX, widget=_textarea)


class CounselorReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), max_length=MESSAGE_MAX, widget=_textarea, required=False
    )
    resources = forms.MultipleChoiceField(
        label=_("Share resources"), required=False, widget=forms.CheckboxSelectMultiple
    )
    suggests_booking = forms.BooleanField(
        label=_("Suggest booking a free session with a volunteer therapist"), required=False
    )

    def __init__(self, *args, resources: list[dict] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.resource_options = {
            str(r["id"]): r for r in resources or [] if r.get("id") is not None
        }
        cast(forms.ChoiceField, self.fields["resources"]).choices = [
            (k, r.get("name", k)) for k, r in self.resource_options.items()
        ]
        if not self.resource_options:
            del self.fields["resources"]

    def clean(self):
        data = super().clean()
        if not (data.get("body") or data.get("resources") or data.get("suggests_booking")):
            raise forms.ValidationError(_("Write a reply, share a resource or suggest a booking."))
        return data

    def shared_resources(self) -> list[dict]:
        """A snapshot of the chosen resources: the directory may change, the message must not."""
        return [
            {k: self.resource_options[i].get(k) or "" for k in ("id", "name", "url", "phone")}
            for i in self.cleaned_data.get("resources", [])
        ]


class ConfirmDeleteForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, delete this for good."), required=True)


class FindTherapistForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State you are in"),
        choices=US_STATES,
        help_text=_("Therapists can only see people in states where they are licensed."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    specialty = forms.ChoiceField(
        label=_("What would you like help with? (optional)"),
        required=False,
        choices=[("", _("Anything")), *Specialty.choices],
    )
    modality = forms.ChoiceField(
        label=_("How would you like to meet? (optional)"),
        required=False,
        choices=[("", _("Either")), *Modality.choices],
    )
    tz = forms.ChoiceField(
        label=_("Show times in"),
        required=False,
        help_text=_(
            "Your phone's time zone is chosen for you when it can be found; change it here."
        ),
    )
    day = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, default_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # US zones by name, plus the organization's and any real zone a browser reported (Intl).
        choices: list[tuple[str, Any]] = list(US_TIME_ZONES)
        known = {value for value, _label in choices}
        for extra in (default_zone, self.data.get("tz", "") if self.data else ""):
            if extra and extra not in known and extra in known_zones():
                choices.append((extra, extra.replace("_", " ")))
                known.add(extra)
        self.fields["tz"].choices = choices  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["tz"].initial = default_zone
        self.fields["tz"].widget.attrs["data-detect-tz"] = ""


class BookForm(forms.Form):
    state = forms.ChoiceField(label=_("State you are in"), choices=US_STATES)
    contact_method = forms.ChoiceField(
        label=_("How should the therapist reach you?"), choices=ContactMethod.choices
    )
    contact = forms.CharField(
        label=_("Phone number or email"),
        max_length=200,
        required=False,
        help_text=_(
            "Only this therapist sees it. It is encrypted and deleted when your sessions end. "
            "You do not need to give your name."
        ),
    )

    def __init__(self, *args, needs_contact: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].required = needs_contact

    def clean(self):
        data = super().clean()
        contact = (data.get("contact") or "").strip()
        method = data.get("contact_method")
        if contact and method == ContactMethod.EMAIL:
            try:
                validate_email(contact)
            except forms.ValidationError:
                self.add_error("contact", _("Enter an email address."))
        elif contact and len(re.sub(r"\D", "", contact)) < 7:
            self.add_error("contact", _("Enter a phone number."))
        data["contact"] = contact
        return data


class CounselingSettingsForm(forms.ModelForm):
    class Meta:
        model = CounselingSettings
        fields = ["reply_target_hours"]


class ClinicianForm(forms.ModelForm):
    states = forms.MultipleChoiceField(
        label=_("States licensed in"),
        choices=US_STATES,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=LANGUAGES, widget=forms.CheckboxSelectMultiple
    )
    specialties = forms.MultipleChoiceField(
        label=_("Specialties"),
        choices=Specialty.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    modalities = forms.MultipleChoiceField(
        label=_("Modalities"), choices=Modality.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Clinician
        fields = [
            "display_name",
            "licence_type",
            "states",
            "licence_number",
            "languages",
            "specialties",
            "modalities",
            "session_cap",
            "session_minutes",
            "time_zone",
            "bio",
            "accepting",
        ]

    # Changing what a platform admin verified sends the profile back for verification.
    REVERIFY = ("licence_type", "states", "licence_number")


class AvailabilityForm(forms.ModelForm):
    class Meta:
        model = WeeklyAvailability
        fields = ["weekday", "start", "end"]
        widgets = {
            "weekday": forms.Select(
                choices=[
                    (0, _("Monday")),
                    (1, _("Tuesday")),
                    (2, _("Wednesday")),
                    (3, _("Thursday")),
                    (4, _("Friday")),
                    (5, _("Saturday")),
                    (6, _("Sunday")),
                ]
            ),
            "start": forms.TimeInput(attrs={"type": "time"}),
            "end": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise forms.ValidationError(_("The end must be after the start."))
        return data


class ExceptionForm(forms.ModelForm):
    class Meta:
        model = AvailabilityException
        fields = ["date", "start", "end"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "start": forms.TimeInput(attrs={"type": "time"}),
            "end": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise forms.ValidationError(
                _("Give both a start and an end, or neither for the whole day.")
            )
        if start and end and end <= start:
            raise forms.ValidationError(_("The end must be after the start."))
        return data


class CompleteForm(forms.Form):
    last = forms.BooleanField(label=_("This was our last session"), required=False)


class RescheduleForm(forms.Form):
    slot = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
