"""Bilingual text: the one rule for picking a language and a text in it.

Every page, email, PDF and API answer is in English or Spanish. Data files hold texts as
``{"en": ..., "es": ...}``; ``tr`` picks the reader's, falling back to English.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import get_language

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"


def language(code: str | None = None) -> str:
    """The two-letter language of ``code`` ("es-MX" -> "es"), else of the active translation;
    English for anything that is neither English nor Spanish."""
    short = (code or get_language() or DEFAULT_LANGUAGE)[:2].lower()
    return short if short in LANGUAGES else DEFAULT_LANGUAGE


def tr(text: Mapping[str, str], lang: str | None = None) -> str:
    """``text`` in ``lang`` (default: the active language), falling back to English."""
    return text.get(language(lang)) or text[DEFAULT_LANGUAGE]
