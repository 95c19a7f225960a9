"""English and Spanish from day one: every catalog is complete and compiled."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(ROOT.glob("**/locale/es/LC_MESSAGES/django.po"))


def _entries(po: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for each entry, joining continued lines."""
    entries, msgid, msgstr, fuzzy, field = [], None, None, False, None
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("msgid "):
            msgid, field = line[7:-1], "id"
        elif line.startswith("msgstr "):
            msgstr, field = line[8:-1], "str"
        elif line.startswith("msgid_plural") or line.startswith("msgstr["):
            msgstr, field = (line.split(" ", 1)[1][1:-1] if line.startswith("msgstr[") else msgstr), "str"
        elif line.startswith('"') and field:
            if field == "id":
                msgid += line[1:-1]
            else:
                msgstr += line[1:-1]
        elif not line.strip() and msgid is not None:
            entries.append((msgid, msgstr or "", fuzzy))
            msgid, msgstr, fuzzy, field = None, None, False, None
    return entries


def test_there_are_spanish_catalogs():
    assert CATALOGS


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated_and_compiled(po):
    untranslated = [mid for mid, mstr, fuzzy in _entries(po) if mid and (not mstr or fuzzy)]
    assert not untranslated, f"{po}: untranslated or fuzzy: {untranslated[:5]}"
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run make messages"
    catalog = gettext.GNUTranslations(mo.open("rb"))
    for mid, mstr, _fuzzy in _entries(po):
        if mid and "\\" not in mid and "\\" not in mstr:
            assert catalog.gettext(mid) == mstr, f"{mo} is stale: run make messages"
