from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from respite.core.forms import access_code_field
from respite.core.models import Membership, Organization
from respite.core.roles import RoleGroup, StaffRole
from respite.peers.models import (
    LANGUAGES,
    ContactMethod,
    Department,
    EventType,
    PeerProgram,
    Referral,
    Shift,
    Supporter,
    TrainingMaterial,
)

NO_DETAILS = _("No names of patients, no clinical details, no story: only how to reach the person.")
EVENT_CHOICES = [(v, label) for v, label in EventType.choices if v != EventType.NONE]


class _RequestForm(forms.Form):
    """Fields shared by every request form: what matching needs and nothing more."""

    contact = forms.CharField(
        label=_("How to reach them"),
        max_length=200,
        help_text=NO_DETAILS,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    best_time = forms.CharField(
        label=_("Best time to reach them (optional)"),
        max_length=120,
        required=False,
        help_text=_("For example: weekdays after 5 pm. No patient or clinical details."),
    )
    department = forms.ModelChoiceField(
        label=_("Their department or unit"),
        queryset=Department.objects.none(),
        help_text=_("Only so the supporter comes from a different department."),
    )
    role_group = forms.ChoiceField(label=_("Their work (optional)"), required=False)
    language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGES)
    event_type = forms.ChoiceField(
        label=_("Kind of event"),
        choices=EVENT_CHOICES,
        help_text=_("Choose the closest. Do not describe what happened."),
    )

    def __init__(self, organization: Organization, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["department"]
        ).queryset = Department.objects.filter(organization=organization)
        cast(forms.ChoiceField, self.fields["role_group"]).choices = [
            ("", _("Prefer not to say")),
            *organization.role_group_choices(),
        ]


class SelfRequestForm(_RequestForm):
    MODE_CODE, MODE_CONTACT = "code", "contact"
    mode = forms.ChoiceField(
        label=_("How should a supporter reach you?"),
        widget=forms.RadioSelect,
        choices=[
            (MODE_CODE, _("Stay anonymous: I get a code and read the supporter's message here")),
            (MODE_CONTACT, _("Contact me at the phone number or email I give")),
        ],
        initial=MODE_CODE,
    )
    field_order = ["mode"]  # then the request's own fields, in their order

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].required = False
        self.fields["contact"].label = _(
            "Your phone number or email (only if you chose to be contacted)"
        )
        self.fields["contact"].help_text = _(
            "Encrypted, seen only by the supporter who takes your request, "
            "and deleted when it closes."
        )
        self.fields["best_time"].label = _("Best time to reach you (optional)")
        self.fields["department"].required = False
        self.fields["department"].label = _("Your department or unit (optional)")
        self.fields["department"].help_text = _(
            "If you tell us, your supporter will come from a different one."
        )
        self.fields["role_group"].label = _("Your work (optional)")
        cast(forms.ChoiceField, self.fields["event_type"]).choices = [
            (EventType.NONE, EventType.NONE.label),
            *EVENT_CHOICES,
        ]
        self.fields["event_type"].label = _("Is this about a particular kind of event? (optional)")

    def clean(self):
        data = super().clean()
        if data.get("mode") == self.MODE_CONTACT and not data.get("contact"):
            self.add_error(
                "contact", _("Give a phone number or email, or choose to stay anonymous.")
            )
        if data.get("mode") == self.MODE_CODE:
            data["contact"] = data["best_time"] = ""  # anonymous means nothing to reach them by
        return data


class ReferralForm(_RequestForm):
    relationship = forms.ChoiceField(
        label=_("You are their"),
        widget=forms.RadioSelect,
        choices=[("colleague", _("Colleague")), ("manager", _("Manager or supervisor"))],
    )
    field_order = ["relationship"]  # then the request's own fields, in their order

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].help_text = _("Their phone number or work email. %(rule)s") % {
            "rule": NO_DETAILS
        }


class GroupRequestForm(_RequestForm):
    team_size = forms.IntegerField(label=_("About how many people"), min_value=2, max_value=500)
    field_order = ["contact", "best_time", "department", "team_size", "language", "event_type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["role_group"]
        self.fields["contact"].label = _("How to reach the person arranging the session")
        self.fields["department"].label = _("The team's department or unit")


class CodeForm(forms.Form):
    code = access_code_field(_("Your code"))


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How helpful was the support you received?"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[
            (5, _("5 — Very helpful")),
            (4, _("4")),
            (3, _("3")),
            (2, _("2")),
            (1, _("1 — Not helpful")),
        ],
    )


class ContactForm(forms.Form):
    method = forms.ChoiceField(label=_("How did you reach out?"), choices=ContactMethod.choices)
    message = forms.CharField(
        label=_("Your message to them (anonymous requests only)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Your first name and how they can reach you. They read it with their code. "
            "Nothing about them or their story."
        ),
    )

    def __init__(self, *args, anonymous: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.anonymous = anonymous
        if anonymous:
            cast(forms.ChoiceField, self.fields["method"]).choices = [
                (ContactMethod.PORTAL, ContactMethod.PORTAL.label)
            ]
            self.fields["message"].required = True
        else:
            cast(forms.ChoiceField, self.fields["method"]).choices = [
                c for c in ContactMethod.choices if c[0] != ContactMethod.PORTAL
            ]
            del self.fields["message"]


class FollowUpForm(forms.Form):
    follow_up_on = forms.DateField(
        label=_("Follow-up date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    follow_up_done = forms.BooleanField(label=_("Follow-up done"), required=False)
    referral = forms.ChoiceField(
        label=_("Referral given"),
        choices=Referral.choices,
        help_text=_("Record only whether you pointed them to help. No notes."),
    )


class CloseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Close this request. Their contact details will be deleted."), required=True
    )


class ShiftForm(forms.ModelForm):
    class Meta:
        model = Shift
        fields = ["start", "end"]
        widgets = {
            "start": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "end": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The shift must end after it starts."))
        return data


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name"]


def _peer_staff(organization: Organization):
    users = Membership.objects.filter(
        organization=organization, role=StaffRole.PEER_SUPPORTER
    ).values("user")
    return get_user_model().objects.filter(pk__in=users, is_active=True).order_by("username")


class SupporterForm(forms.ModelForm):
    role_groups = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=RoleGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=LANGUAGES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Supporter
        fields = [
            "user",
            "display_name",
            "training_course",
            "trained_on",
            "refresher_due",
            "departments",
            "role_groups",
            "languages",
            "max_open",
            "active",
        ]
        widgets = {
            "trained_on": forms.DateInput(attrs={"type": "date"}),
            "refresher_due": forms.DateInput(attrs={"type": "date"}),
            "departments": forms.CheckboxSelectMultiple,
        }

    def __init__(self, organization: Organization, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        cast(
            forms.ModelChoiceField, self.fields["departments"]
        ).queryset = Department.objects.filter(organization=organization)
        if self.instance.pk:
            del self.fields["user"]
        else:
            taken = Supporter.objects.filter(organization=organization).values("user")
            # Program leads route requests, so they never join the roster that takes them.
            leads = PeerProgram.leads.through.objects.filter(
                peerprogram__organization=organization
            ).values("user")
            cast(forms.ModelChoiceField, self.fields["user"]).queryset = (
                _peer_staff(organization).exclude(pk__in=taken).exclude(pk__in=leads)
            )
            self.fields["user"].label = _("Staff account (peer supporter role)")


class MaterialForm(forms.ModelForm):
    link = forms.URLField(
        label=_("Link"),
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text=_("Optional: a course or video elsewhere."),
    )

    class Meta:
        model = TrainingMaterial
        fields = ["title", "body", "link", "published"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def clean(self):
        data = super().clean()
        if not data.get("body") and not data.get("link"):
            raise forms.ValidationError(_("Give a text, a link, or both."))
        return data


class ProgramForm(forms.ModelForm):
    class Meta:
        model = PeerProgram
        fields = ["target_hours", "offer_to", "leads"]
        widgets = {"leads": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(organization=self.instance.organization).values("user")
        cast(forms.ModelChoiceField, self.fields["leads"]).queryset = (
            get_user_model().objects.filter(pk__in=members, is_active=True).order_by("username")
        )
        self.fields["leads"].help_text = _(
            "Staff of this organization who run the program: they see the queue, "
            "roster and aggregate figures, never contact details."
        )


class MessageForm(forms.Form):
    """One message in an anonymous request's thread (worker or supporter)."""

    body = forms.CharField(
        label=_("Your message"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Encrypted. Only you and the other person in this conversation read it."),
    )
