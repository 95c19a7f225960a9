from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from respite.assessments import frameworks, links
from respite.assessments.models import ActionItem, Assessment, Commitment, Rater
from respite.core.models import Organization
from respite.core.roles import StaffRole

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _username(user: Any) -> str:
    """How account pickers list people: by username (never a name the person did not choose)."""
    return str(user.get_username())


class StartForm(forms.Form):
    framework = forms.ChoiceField(label=_("Framework"))
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        required=False,
        help_text=_("Optional, e.g. “Spring 2026 review”."),
    )

    def __init__(self, *args, lang: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["framework"]).choices = [
            (f.id, frameworks.tr(f.name, lang)) for f in frameworks.registry().values()
        ]


class AnswersForm(forms.Form):
    """One radio group and one evidence note per criterion, grouped by area.

    Each field carries the value the contributor saw (``seen_<id>``): only answers the contributor
    actually changed are saved, so two admins answering at once do not overwrite each other.
    """

    def __init__(
        self,
        assessment: Assessment,
        *args,
        lang: str | None = None,
        suggested: dict[str, int | None] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.spec = assessment.spec
        self.current = assessment.answer_map()
        suggested = suggested or {}
        choices = [(str(lv.value), frameworks.tr(lv.label, lang)) for lv in self.spec.scale]
        self.groups: list[dict[str, Any]] = []
        for area in self.spec.areas:
            rows = []
            for c in area.criteria:
                answer = self.current.get(c.id)
                seen_value = "" if answer is None else str(answer.value)
                seen_note = "" if answer is None else answer.note
                # In the consensus view an unanswered criterion starts at the raters' median; it is
                # saved only when the form is saved (seen stays empty, so it counts as a change).
                start = seen_value
                if answer is None and suggested.get(c.id) is not None:
                    start = str(suggested[c.id])
                self.fields[f"v_{c.id}"] = forms.ChoiceField(
                    label=frameworks.tr(c.text, lang),
                    choices=choices,
                    required=False,
                    widget=forms.RadioSelect,
                    initial=start,
                )
                self.fields[f"n_{c.id}"] = forms.CharField(
                    label=_("Evidence note"),
                    required=False,
                    max_length=2000,
                    initial=seen_note,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text=frameworks.tr(c.evidence, lang),
                )
                self.fields[f"seen_v_{c.id}"] = forms.CharField(
                    required=False, widget=forms.HiddenInput, initial=seen_value
                )
                self.fields[f"seen_n_{c.id}"] = forms.CharField(
                    required=False, widget=forms.HiddenInput, initial=seen_note, strip=False
                )
                rows.append(
                    {
                        "criterion": c,
                        "answer": answer,
                        "value": self[f"v_{c.id}"],
                        "note": self[f"n_{c.id}"],
                        "seen_v": self[f"seen_v_{c.id}"],
                        "seen_n": self[f"seen_n_{c.id}"],
                    }
                )
            self.groups.append(
                {
                    "area": area,
                    "name": frameworks.tr(area.name, lang),
                    "summary": frameworks.tr(area.summary, lang),
                    "rows": rows,
                }
            )

    def clean(self):
        cleaned = super().clean()
        for c in self.spec.criteria:
            note_changed = (
                cleaned.get(f"n_{c.id}", "").strip() != cleaned.get(f"seen_n_{c.id}", "").strip()
            )
            if note_changed and not cleaned.get(f"v_{c.id}") and c.id not in self.current:
                self.add_error(f"n_{c.id}", _("Choose a rating to save this note."))
        return cleaned

    def changed_answers(self) -> dict[str, tuple[int, str]]:
        """{criterion: (value, note)} for the answers this contributor changed."""
        out = {}
        for c in self.spec.criteria:
            value, note = (
                self.cleaned_data.get(f"v_{c.id}", ""),
                self.cleaned_data.get(f"n_{c.id}", ""),
            )
            seen_v, seen_n = (
                self.cleaned_data.get(f"seen_v_{c.id}", ""),
                self.cleaned_data.get(f"seen_n_{c.id}", ""),
            )
            if value == seen_v and note.strip() == seen_n.strip():
                continue
            answer = self.current.get(c.id)
            if value == "":
                if answer is None:
                    continue
                value = str(
                    answer.value
                )  # a cleared rating keeps the old one; only the note changed
            out[c.id] = (int(value), note.strip())
        return out


class RatingsForm(forms.Form):
    """A rater's own rating and evidence note for each criterion, grouped by area."""

    def __init__(self, rater: Rater, *args, lang: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = rater.assessment.spec
        self.own = {r.criterion: r for r in rater.ratings.all()}
        choices = [(str(lv.value), frameworks.tr(lv.label, lang)) for lv in self.spec.scale]
        self.groups: list[dict[str, Any]] = []
        for area in self.spec.areas:
            rows = []
            for c in area.criteria:
                mine = self.own.get(c.id)
                self.fields[f"v_{c.id}"] = forms.ChoiceField(
                    label=frameworks.tr(c.text, lang),
                    choices=choices,
                    required=False,
                    widget=forms.RadioSelect,
                    initial="" if mine is None else str(mine.value),
                )
                self.fields[f"n_{c.id}"] = forms.CharField(
                    label=_("Evidence note"),
                    required=False,
                    max_length=2000,
                    initial="" if mine is None else mine.note,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text=frameworks.tr(c.evidence, lang),
                )
                rows.append({"criterion": c, "value": self[f"v_{c.id}"], "note": self[f"n_{c.id}"]})
            self.groups.append({"area": area, "name": frameworks.tr(area.name, lang), "rows": rows})

    def clean(self):
        cleaned = super().clean()
        for c in self.spec.criteria:
            note = (cleaned.get(f"n_{c.id}") or "").strip()
            if note and not cleaned.get(f"v_{c.id}") and c.id not in self.own:
                self.add_error(f"n_{c.id}", _("Choose a rating to save this note."))
        return cleaned

    def ratings(self) -> dict[str, tuple[int, str]]:
        """{criterion: (value, note)} for every criterion this rater rated."""
        out = {}
        for c in self.spec.criteria:
            value = self.cleaned_data.get(f"v_{c.id}") or ""
            note = (self.cleaned_data.get(f"n_{c.id}") or "").strip()
            if value == "":
                if c.id not in self.own:
                    continue
                value = str(self.own[c.id].value)
            out[c.id] = (int(value), note)
        return out


def eligible_raters(organization: Organization):
    """Staff who may be invited to rate: assessment raters and admins of this organization."""
    return (
        get_user_model()
        .objects.filter(
            memberships__organization=organization,
            memberships__role__in=[StaffRole.ASSESSMENT_RATER, StaffRole.ORG_ADMIN],
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


class InviteRatersForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        label=_("Invite raters"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each rater rates on their own and sees only their own ratings."),
    )

    def __init__(self, assessment: Assessment, *args, **kwargs):
        super().__init__(*args, **kwargs)
        invited = assessment.raters.values_list("user_id", flat=True)
        cast(forms.ModelChoiceField, self.fields["users"]).queryset = eligible_raters(
            assessment.organization
        ).exclude(pk__in=invited)
        self.fields["users"].label_from_instance = _username  # type: ignore[attr-defined]  # a ModelMultipleChoiceField


def staff_accounts(organization: Organization):
    """Staff who may own an action item's reminders: anyone holding a role in this organization."""
    return (
        get_user_model()
        .objects.filter(memberships__organization=organization, is_active=True)
        .distinct()
        .order_by("username")
    )


class ActionItemForm(forms.ModelForm):
    area_goal = forms.ChoiceField(label=_("Area and goal"))
    measure_key = forms.ChoiceField(label=_("Pulse measure to watch"), required=False)

    class Meta:
        model = ActionItem
        fields = [
            "title",
            "area_goal",
            "details",
            "owner",
            "owner_account",
            "due_date",
            "status",
            "measure_key",
        ]
        widgets = {"due_date": DATE, "details": forms.Textarea(attrs={"rows": 3})}

    def __init__(
        self,
        *args,
        organization: Organization,
        spec: frameworks.Framework,
        lang: str | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.spec = spec
        areas = [(f"{a.id}:", frameworks.tr(a.name, lang)) for a in spec.areas]
        cast(forms.ChoiceField, self.fields["area_goal"]).choices = [
            (_("Areas"), areas),
            (_("Goals"), spec.goal_choices(lang)),
        ]
        if self.instance.pk:
            self.initial["area_goal"] = f"{self.instance.area}:{self.instance.goal}"
        cast(forms.ModelChoiceField, self.fields["owner_account"]).queryset = staff_accounts(
            organization
        )
        self.fields["owner_account"].label_from_instance = _username  # type: ignore[attr-defined]  # a ModelChoiceField
        measures = links.measure_choices(organization)
        current = self.instance.measure_key
        choices = [("", _("None"))] + (measures or [])
        if current and current not in {k for k, _label in choices}:
            choices.append((current, current))
        cast(forms.ChoiceField, self.fields["measure_key"]).choices = choices
        self.fields["measure_key"].initial = current
        if measures is None:
            self.fields["measure_key"].help_text = _(
                "Pulse-survey measures are not available on this server yet."
            )
        else:
            self.fields["measure_key"].help_text = _(
                "The report shows this measure before and after the action."
            )

    def clean_area_goal(self) -> str:
        area_id, _sep, goal_id = self.cleaned_data["area_goal"].partition(":")
        area = self.spec.area(area_id)
        if area is None or (goal_id and area.goal(goal_id) is None):
            raise forms.ValidationError(_("Choose an area or goal of this framework."))
        self.instance.area, self.instance.goal = area_id, goal_id
        return self.cleaned_data["area_goal"]


class CommitmentForm(forms.ModelForm):
    class Meta:
        model = Commitment
        fields = ["title", "description", "target_date", "status"]
        widgets = {"target_date": DATE, "description": forms.Textarea(attrs={"rows": 3})}


class GapPlanForm(forms.Form):
    """Pick gaps of a scorecard to turn into action items."""

    areas = forms.MultipleChoiceField(
        label=_("Gaps to act on"), widget=forms.CheckboxSelectMultiple
    )
    owner = forms.CharField(
        label=_("Owner"),
        max_length=120,
        required=False,
        help_text=_("Role or name, e.g. Chief Wellness Officer. You can change it per item later."),
    )
    owner_account = forms.ModelChoiceField(
        label=_("Owner's staff account"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Receives reminders of due items by email."),
    )
    due_date = forms.DateField(label=_("Due date"), widget=DATE)

    def __init__(self, *args, gaps=(), organization: Organization | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["areas"]).choices = [
            (g.area.id, f"{g.name} ({g.percent}%)") for g in gaps
        ]
        if organization is not None:
            cast(forms.ModelChoiceField, self.fields["owner_account"]).queryset = staff_accounts(
                organization
            )
        self.fields["owner_account"].label_from_instance = _username  # type: ignore[attr-defined]  # a ModelChoiceField
