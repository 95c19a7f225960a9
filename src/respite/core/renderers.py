"""The form renderer: Django's own form and widget templates in their Jinja2 versions, which render a
radio or a select option in microseconds instead of a nested Django template each (issue 19).

Templates that exist only for Django's template engine (the admin's widget wrappers, an app's own
widget template) are found there instead, so switching engines breaks no form."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(Jinja2):
    @cached_property
    def _django(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
