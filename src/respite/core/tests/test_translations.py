"""English and Spanish from day one: every catalog is complete and compiled."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(ROOT.glob("**/locale/es/LC_MESSAGES/django.po"))


def _entries(po: Path) -> list[tuple[str, list[str], bool]]:
    """(msgid, [msgstr or each plural msgstr[n]], fuzzy) for each entry, joining continued lines."""
    entries: list[tuple[str, list[str], bool]] = []
    msgid: str | None = None
    strs: list[str] = []
    fuzzy, target, pending_fuzzy = False, None, False
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#,") and "fuzzy" in line:
            pending_fuzzy = True
        elif line.startswith("msgid "):
            if msgid is not None:  # entries not separated by a blank line
                entries.append((msgid, strs, fuzzy))
                strs = []
            msgid, target, fuzzy, pending_fuzzy = line[7:-1], "id", pending_fuzzy, False
        elif line.startswith("msgid_plural "):
            target = "plural"
        elif line.startswith(("msgstr ", "msgstr[")):
            strs.append(line.split(" ", 1)[1][1:-1])
            target = "str"
        elif line.startswith('"') and target == "id" and msgid is not None:
            msgid += line[1:-1]
        elif line.startswith('"') and target == "str":
            strs[-1] += line[1:-1]
        elif not line.strip() and msgid is not None:
            entries.append((msgid, strs, fuzzy))
            msgid, strs, fuzzy, target = None, [], False, None
    return entries


def test_there_are_spanish_catalogs():
    assert CATALOGS


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated_and_compiled(po):
    untranslated = [mid for mid, strs, fuzzy in _entries(po) if mid and (not all(strs) or fuzzy)]
    assert not untranslated, f"{po}: untranslated or fuzzy: {untranslated[:5]}"
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run make messages"
    catalog = gettext.GNUTranslations(mo.open("rb"))
    for mid, strs, _fuzzy in _entries(po):
        if mid and len(strs) == 1 and "\\" not in mid + strs[0]:
            assert catalog.gettext(mid) == strs[0], f"{mo} is stale: run make messages"
        elif mid and len(strs) > 1:
            assert catalog.ngettext(mid, mid, 1) == strs[0], f"{mo} is stale: run make messages"


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_translation_says_itself_twice(po):
    """Sixteen Spanish texts once stood twice in a row ("...que vencen.Recibe ... que vencen.")."""
    doubled = [
        mid
        for mid, strs, _fuzzy in _entries(po)
        for s in strs
        if len(s) > 20 and s[: len(s) // 2] == s[len(s) // 2 :]
    ]
    assert not doubled, f"{po}: translated twice over: {doubled[:5]}"


def test_the_access_code_help_is_in_the_pages_language():
    """It was interpolated at import, so Spanish pages showed the English help."""
    from django.utils import translation

    from respite.core.privacy import CODE_WORDS
    from respite.peers.forms import CodeForm as PeerCodeForm
    from respite.screening.forms import CodeForm

    for form in (CodeForm(), PeerCodeForm()):
        with translation.override("es"):
            assert str(form.fields["code"].help_text).startswith(
                f"Las {CODE_WORDS} palabras que recibió"
            )
        with translation.override("en"):
            assert str(form.fields["code"].help_text).startswith(
                f"The {CODE_WORDS} words you were given"
            )
