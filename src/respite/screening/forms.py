from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from respite.core import privacy
from respite.screening.instruments import AnswerError, Instrument, Item, tr


def field_name(instrument: Instrument, item: Item) -> str:
    return f"{instrument.id}__{item.id}"


class AnswersForm(forms.Form):
    """Radio questions for some items of some instruments (one page of a screening).

    Skip logic lives in the instrument: gated items are optional here and checked by
    ``Instrument.validate``, which also names the item of any error.
    """

    def __init__(self, parts: list[tuple[Instrument, list[Item]]], *args, role_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = parts
        for instrument, items in parts:
            for item in items:
                field = forms.TypedChoiceField(
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
                self.fields[field_name(instrument, item)] = field
        if role_choices:
            self.fields["role_group"] = forms.ChoiceField(
                label=_("Your work (optional)"), required=False,
                choices=[("", _("Prefer not to say")), *role_choices],
                help_text=_("Helps us suggest services open to you. Never shown with your answers."),
            )

    def answers_for(self, instrument: Instrument) -> dict[str, int]:
        out = {}
        for name, value in self.cleaned_data.items():
            if name.startswith(f"{instrument.id}__") and value not in (None, ""):
                out[name.split("__", 1)[1]] = value
        return out

    def add_answer_error(self, instrument: Instrument, error: AnswerError) -> None:
        name = f"{instrument.id}__{error.item}"
        self.add_error(name if name in self.fields else None, _("Please choose an answer.")
                       if "required" in error.message else error.message)

    def item_groups(self):
        """Fields grouped by instrument, for the template."""
        for instrument, items in self.parts:
            yield instrument, [self[field_name(instrument, item)] for item in items]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your access code"), max_length=300,
        help_text=_("The %(n)s words you were given, in order. Spaces or dashes are fine.") % {"n": privacy.CODE_WORDS},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, delete all my saved results and this code. This cannot be undone."), required=True
    )
