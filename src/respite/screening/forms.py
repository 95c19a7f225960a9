from __future__ import annotations

import copy
import hashlib

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from respite.core.forms import access_code_field
from respite.core.memo import ProcessCache
from respite.core.text import tr
from respite.screening.instruments import AnswerError, Instrument, Item
from respite.screening.models import SafetyPlan


class ItemField(forms.TypedChoiceField):
    """One item of an instrument; the page reads which item it is and when it shows."""

    instrument: Instrument
    item: Item
    show_if: tuple[str, object] | None = None  # (field name of the gating item, the answer)


def field_name(instrument: Instrument, item: Item) -> str:
    return f"{instrument.id}__{item.id}"


# Building a page's radio fields (choices, labels, lazy messages) costs more than the rest of a
# posted check-in's validation, and they are the same for every worker with the same questions, role
# choices and language: built once per process (issue 19), copied for each page shown and shared by
# the forms that are posted (``AnswersForm``).
# Each entry also holds the digest naming the questions' HTML (``AnswersForm.cache_key``), computed
# once with the fields rather than on every page.
_fields_cache: ProcessCache[tuple[dict[str, forms.Field], str]] = ProcessCache(256)


def _fields(
    parts: list[tuple[Instrument, list[Item]]], role_choices: list[tuple[str, object]] | None
) -> tuple[dict[str, forms.Field], str]:
    key = (
        tuple((id(inst), inst.id, tuple(id(it) for it in items)) for inst, items in parts),
        tuple((value, str(label)) for value, label in role_choices or ()),
        get_language(),
    )
    entry = _fields_cache.get(key)
    if entry is None:
        fields = _build_fields(parts, role_choices)
        entry = (fields, _digest(fields))
        _fields_cache.put(key, entry)
    return entry


def _digest(fields: dict[str, forms.Field]) -> str:
    """Names the questions' HTML: the fields, their conditions, choices and labels, and the language."""
    shape = [
        (name, getattr(f, "show_if", None), [str(c) for c in getattr(f, "choices", [])])
        for name, f in fields.items()
    ]
    labels = [str(f.label) for f in fields.values()]
    return hashlib.sha256(repr((shape, labels, get_language())).encode()).hexdigest()


def _build_fields(
    parts: list[tuple[Instrument, list[Item]]], role_choices: list[tuple[str, object]] | None
) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for instrument, items in parts:
        for item in items:
            field = ItemField(
                label=tr(item.text),
                choices=[(o.value, tr(o.label)) for o in item.options],
                coerce=int,
                widget=forms.RadioSelect,
                required=item.show_if is None,
                error_messages={"required": _("Please choose an answer.")},
            )
            field.instrument, field.item = instrument, item
            if item.show_if:
                field.show_if = (f"{instrument.id}__{item.show_if[0]}", item.show_if[1])
            fields[field_name(instrument, item)] = field
    if role_choices:
        fields["role_group"] = forms.ChoiceField(
            label=_("Your work (optional)"),
            required=False,
            choices=[("", _("Prefer not to say")), *role_choices],
            help_text=_("Helps us suggest services open to you. Never shown with your answers."),
        )
    return fields


def _copy_field(field: forms.Field) -> forms.Field:
    """Django's ``Field.__deepcopy__`` without deep-copying the choices: every form gets its own
    field, widget, attributes, messages and validators, and shares the (never changed) choices."""
    copied = copy.copy(field)
    copied.widget = copy.copy(field.widget)
    copied.widget.attrs = dict(field.widget.attrs)
    copied.error_messages = dict(field.error_messages)
    copied.validators = list(field.validators)
    return copied


class AnswersForm(forms.Form):
    """Radio questions for some items of some instruments (one page of a screening).

    Skip logic lives in the instrument: gated items are optional here and checked by
    ``Instrument.validate``, which also names the item of any error.
    """

    def __init__(
        self, parts: list[tuple[Instrument, list[Item]]], *args, role_choices=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.parts = parts
        fields, self._questions_digest = _fields(parts, role_choices)
        if self.is_bound:
            # Posted answers: validating and showing the form again only read its fields (Django
            # builds each widget's attributes afresh when it renders), so they are shared, not
            # copied: copying 21 fields was a twentieth of the answers POST (issue 19).
            self.fields.update(fields)
        else:
            for name, field in fields.items():
                self.fields[name] = _copy_field(field)

    @property
    def cache_key(self) -> str | None:
        """Names the HTML of this form's questions when it is the same for every visitor (unbound,
        nothing pre-filled): the page caches that block (``screening/take.html``) and fills the CSRF
        token and CSP nonce, which sit outside it, per request. None for a bound form."""
        if self.is_bound or self.initial:
            return None
        return self._questions_digest

    def answers_for(self, instrument: Instrument) -> dict[str, int]:
        out = {}
        for name, value in self.cleaned_data.items():
            if name.startswith(f"{instrument.id}__") and value not in (None, ""):
                out[name.split("__", 1)[1]] = value
        return out

    def add_answer_error(self, instrument: Instrument, error: AnswerError) -> None:
        name = f"{instrument.id}__{error.item}"
        self.add_error(
            name if name in self.fields else None,
            _("Please choose an answer.") if "required" in error.message else error.message,
        )

    def item_groups(self):
        """Fields grouped by instrument, for the template."""
        for instrument, items in self.parts:
            yield instrument, [self[field_name(instrument, item)] for item in items]


class CodeForm(forms.Form):
    code = access_code_field(_("Your access code"))


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, delete all my saved results and this code. This cannot be undone."),
        required=True,
    )


class SafetyPlanForm(forms.ModelForm):
    """The Stanley-Brown safety plan, step by step, in the worker's own words."""

    HELP = {
        "warning_signs": _(
            "Thoughts, feelings or situations that tell you a crisis may be starting."
        ),
        "coping": _("For example: a walk, music, a shower, breathing slowly, a game."),
        "distractions": _("People to be with and places to go that take your mind off things."),
        "helpers": _("Names and numbers of people you can tell that you are not OK."),
        "professionals": _(
            "Your doctor, a counselor, your employee assistance program. The crisis lines are always on your plan."
        ),
        "environment": _(
            "How to keep yourself safe, for example putting medicines or other means out of reach or asking someone to hold them."
        ),
        "reasons": _("People, pets, plans, beliefs: whatever keeps you going."),
    }

    class Meta:
        model = SafetyPlan
        fields = list(SafetyPlan.SECTIONS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget = forms.Textarea(attrs={"rows": 3, "maxlength": 2000})
            field.max_length = 2000
            field.validators.append(MaxLengthValidator(2000))
            field.help_text = self.HELP[name]

    def clean(self):
        data = super().clean()
        if not any((data.get(s) or "").strip() for s in self.Meta.fields):
            raise forms.ValidationError(_("Write at least one step of your plan."))
        return data
