from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from respite.credentialing import auditor, readers
from respite.credentialing.models import TICKED, Audit


def profession_choices() -> list[tuple[str, str]]:
    return [("", _("Detect from the form"))] + [
        (pid, prof["name"]["en"]) for pid, prof in auditor.vocabulary().professions.items()
    ]


class AuditForm(forms.Form):
    """Paste the questions or upload the form; the form is read (and checked) in ``clean``."""

    title = forms.CharField(
        label=_("Name of the form"),
        max_length=200,
        required=False,
        help_text=_("For example: Medical staff reappointment application, 2025."),
    )
    text = forms.CharField(
        label=_("Paste the questions"),
        required=False,
        max_length=readers.MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    file = forms.FileField(
        label=_("Or upload the form (.pdf, .docx or .txt, up to 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.txt"}),
    )
    profession = forms.ChoiceField(
        label=_("Profession"),
        required=False,
        choices=profession_choices,
        help_text=_("Used to adapt the recommended question's wording."),
    )

    def clean(self):
        data = super().clean()
        text, upload = (data.get("text") or "").strip(), data.get("file")
        if text and upload:
            raise forms.ValidationError(_("Paste text or upload a file, not both."))
        if not text and not upload:
            if not self.has_error("text") and not self.has_error("file"):
                raise forms.ValidationError(_("Paste the questions or choose a file to audit."))
            return data
        try:
            if upload:
                if upload.size > readers.MAX_BYTES:
                    raise readers.InputError(_("The file is larger than 5 MB."))
                data["form"] = readers.read_file(upload.name, upload.read())
            else:
                data["form"] = readers.read_text(text)
        except readers.InputError as err:
            raise forms.ValidationError(str(err)) from None
        data["findings"] = auditor.audit(data["form"].lines, data.get("profession") or None)
        if not data["findings"]:
            raise forms.ValidationError(
                _(
                    "No questions were found. Questions end with a question mark or start "
                    "with words such as “Have you” or “Are you”."
                )
            )
        if not data.get("title"):
            data["title"] = upload.name[:200] if upload else str(_("Pasted questions"))
        return data


class ChecklistForm(forms.ModelForm):
    class Meta:
        model = Audit
        fields = list(TICKED)
