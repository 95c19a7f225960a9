"""The one error a domain rule raises, for forms and the API alike.

``do_*`` functions check their own rules and raise ``DomainError`` with a message in the user's
language and the input at fault. A view shows it on the form (``exc.add_to(form)``); the API
answers it as a 422 problem (``respite.api`` handles it), so both say the same thing.
"""

from __future__ import annotations

from django import forms


class DomainError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def add_to(self, form: forms.BaseForm) -> None:
        """Show the error next to its field, or at the top when the form has no such field."""
        form.add_error(self.field if self.field in form.fields else None, self.message)
