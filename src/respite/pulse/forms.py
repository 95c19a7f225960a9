from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from respite.core.text import tr
from respite.pulse import items as library
from respite.pulse.models import ResultsNote, Survey, Unit


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "parent", "headcount"]

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        self.fields["parent"].queryset = Unit.objects.filter(organization=organization)
        self.fields["parent"].required = False

    def validate_unique(self) -> None:
        # organization is set on the instance, not a form field, so check the name here
        if (
            Unit.objects.filter(
                organization=self.instance.organization,
                name__iexact=self.cleaned_data.get("name", ""),
            )
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("name", _("There is already a unit with this name."))


class HeadcountForm(forms.Form):
    """Headcounts of every unit at once (people in the unit itself, for participation rates)."""

    def __init__(self, *args, units: list[Unit], **kwargs):
        super().__init__(*args, **kwargs)
        self.units = units
        for unit in units:
            self.fields[f"unit_{unit.pk}"] = forms.IntegerField(
                label=unit.name,
                required=False,
                min_value=0,
                max_value=1_000_000,
                initial=unit.headcount,
            )

    def changed_units(self) -> list[Unit]:
        out = []
        for unit in self.units:
            value = self.cleaned_data.get(f"unit_{unit.pk}")
            if value != unit.headcount:
                unit.headcount = value
                out.append(unit)
        return out


class SurveyForm(forms.ModelForm):
    instruments = forms.MultipleChoiceField(
        label=_("Validated measures"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Asked in full. The Mini-Z burnout item gives the burnout rate."),
    )
    work_items = forms.MultipleChoiceField(
        label=_("Work-environment and workload items"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    custom_items = forms.CharField(
        label=_("Your own statements (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line, answered from 'strongly disagree' to 'strongly agree'. For a Spanish "
            "version write 'English | Español'."
        ),
        max_length=3000,
    )

    class Meta:
        model = Survey
        fields = [
            "title",
            "mode",
            "instruments",
            "work_items",
            "min_group_size",
            "min_group_size_text",
            "allow_comments",
            "dp_epsilon",
        ]
        widgets = {"mode": forms.RadioSelect}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["instruments"].choices = [
            (i.id, f"{i.short_name} — {tr(i.description)}")
            for i in library.survey_instruments().values()
        ]
        work = library.item_sets().get("work")
        self.fields["work_items"].choices = (
            [(i.item_id, tr(i.text)) for i in work.items] if work else []
        )
        self.fields["mode"].required = False  # left empty: the safer shared-link mode
        floor = max(5, organization.min_group_size)
        self.fields["min_group_size"].min_value = floor
        self.fields["min_group_size"].widget.attrs["min"] = floor
        self.fields["min_group_size"].initial = floor

    def clean_min_group_size(self) -> int:
        value = self.cleaned_data["min_group_size"]
        floor = max(5, self.organization.min_group_size)
        if value < floor:
            raise forms.ValidationError(
                _("At least %(k)s, your organization's minimum.") % {"k": floor}
            )
        return value

    def clean_mode(self) -> str:
        return self.cleaned_data.get("mode") or Survey.Mode.LINK

    def clean_custom_items(self) -> list[tuple[str, str]]:
        out = []
        for line in self.cleaned_data["custom_items"].splitlines():
            if not line.strip():
                continue
            en, _sep, es = line.partition("|")
            if len(en.strip()) > 300 or len(es.strip()) > 300:
                raise forms.ValidationError(_("Each statement must be 300 characters or fewer."))
            out.append((en.strip(), es.strip()))
        if len(out) > 20:
            raise forms.ValidationError(_("At most 20 statements."))
        return out

    def clean(self):
        data = super().clean()
        if not (data.get("instruments") or data.get("work_items") or data.get("custom_items")):
            raise forms.ValidationError(_("Choose at least one question."))
        return data


class ScheduleForm(forms.Form):
    CADENCES = [
        (91, _("Quarterly")),
        (30, _("Monthly")),
        (182, _("Twice a year")),
        (365, _("Yearly")),
    ]
    first_day = forms.DateField(
        label=_("First round starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    cadence = forms.TypedChoiceField(label=_("Repeat"), choices=CADENCES, coerce=int, initial=91)
    days_open = forms.IntegerField(
        label=_("Days each round stays open"), min_value=1, max_value=90, initial=14
    )
    count = forms.IntegerField(label=_("Number of rounds"), min_value=1, max_value=24, initial=4)

    def clean(self):
        data = super().clean()
        if data.get("days_open") and data.get("cadence") and data["days_open"] > data["cadence"]:
            raise forms.ValidationError(
                _("A round cannot stay open longer than the time between rounds.")
            )
        return data

    def dates(self) -> list[tuple]:
        d = self.cleaned_data
        return [
            (
                d["first_day"] + timedelta(days=d["cadence"] * i),
                d["first_day"] + timedelta(days=d["cadence"] * i + d["days_open"] - 1),
            )
            for i in range(d["count"])
        ]


MAX_INVITATIONS = 1000


class InvitationForm(forms.Form):
    """One unit's list of email addresses. Respite mails each person their own invitation and keeps
    no address once the message is sent."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    addresses = forms.CharField(
        label=_("Email addresses of the people in this unit"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=200_000,
        help_text=_(
            "One per line (or separated by commas). Each person gets their own single-use invitation "
            "by email. The addresses are erased once the messages are sent; you will not see the "
            "invitations."
        ),
    )

    reminder_days = forms.IntegerField(
        label=_("Send one reminder after this many days (optional)"),
        required=False,
        min_value=1,
        max_value=30,
        help_text=_(
            "Everyone invited gets the reminder, since nobody can tell who answered. Until it is sent "
            "the addresses stay in Respite's outbox, encrypted; then they are erased."
        ),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(organization=organization)

    def reminder_on(self, survey: Survey) -> date | None:
        """The reminder's day, or None; adds a form error if it falls after the round ends."""
        days = self.cleaned_data.get("reminder_days")
        if not days:
            return None
        day = timezone.localdate() + timedelta(days=days)
        rnd = (
            survey.current_round()
            or survey.rounds.filter(starts_on__gt=timezone.localdate()).first()
        )
        if rnd is None or day > rnd.ends_on:
            self.add_error(
                "reminder_days", _("The reminder must be sent before the current round closes.")
            )
            return None
        return day

    def clean_addresses(self) -> list[str]:
        raw = self.cleaned_data["addresses"].replace(",", "\n").replace(";", "\n").split()
        out: list[str] = []
        for item in raw:
            address = item.strip()
            if not address:
                continue
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("This is not an email address: %(a)s") % {"a": address[:80]}
                ) from None
            if address.lower() not in {a.lower() for a in out}:
                out.append(address)
        if not out:
            raise forms.ValidationError(_("Give at least one email address."))
        if len(out) > MAX_INVITATIONS:
            raise forms.ValidationError(
                _("At most %(n)s addresses at a time.") % {"n": MAX_INVITATIONS}
            )
        return out


MAX_SEALED_CODES = 300


class SealedCodesForm(forms.Form):
    """How many sealed codes to print for one unit (invitation mode, for a third party to hand out)."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    count = forms.IntegerField(
        label=_("Number of codes"),
        min_value=1,
        max_value=MAX_SEALED_CODES,
        help_text=_(
            "One code per person in the unit. The sheet is made once, now: Respite keeps no copy and "
            "cannot show these codes again."
        ),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(organization=organization)


class ResultsNoteForm(forms.ModelForm):
    class Meta:
        model = ResultsNote
        fields = ["actions_en", "actions_es", "published"]
        widgets = {
            "actions_en": forms.Textarea(attrs={"rows": 5}),
            "actions_es": forms.Textarea(attrs={"rows": 5}),
        }


class TokenEntryForm(forms.Form):
    token = forms.CharField(
        label=_("Your invitation code"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )


class AnswerForm(forms.Form):
    """The questions of a survey. Every question needs an answer: an aggregate must come from the
    same people for every figure, or differences between figures would describe small groups."""

    def __init__(self, survey: Survey, *args, role_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.groups = []
        for heading, part in survey.parts():
            names = []
            for item in part:
                self.fields[item.field_name] = forms.TypedChoiceField(
                    label=tr(item.text),
                    choices=[(v, tr(label)) for v, label in item.options],
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages={"required": _("Please choose an answer.")},
                )
                names.append(item.field_name)
            self.groups.append((heading, names))
        self.fields["role_group"] = forms.ChoiceField(
            label=_("Your work (optional)"),
            required=False,
            choices=[("", _("Prefer not to say")), *role_choices],
            help_text=_(
                "Results by role are shown only for groups large enough to stay anonymous."
            ),
        )
        if survey.allow_comments:
            self.fields["comment"] = forms.CharField(
                label=_("Anything else you want leaders to know? (optional)"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_(
                    "Do not write names. Comments are shown only when at least %(k)s people answered, "
                    "shuffled, never by unit or role."
                )
                % {"k": survey.k_text()},
            )

    def item_groups(self):
        for heading, names in self.groups:
            yield heading, [self[n] for n in names]

    def answers(self) -> dict[str, int]:
        skip = {"role_group", "comment"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}
