"""Sanitizing gratitude notes and refusing ones that look like they carry patient details.

Notes go on a wall for a named clinic or unit. A grateful writer may well name a patient ("thank
you for caring for my dad, patient John Smith, DOB 3/4/51"): that is health information about a
third party, so the note is refused with a message saying what to remove, before anything is saved.
The organizer still moderates every note before display; these checks are a first filter.
"""

from __future__ import annotations

import html
import re

import nh3
from django.utils.translation import gettext_lazy as _

_NOT_NAMES = (
    "Care|Services|Safety|Experience|Access|Advocate|Advocates|Unit|Relations|Transport|Portal|Center|Centre|"
    "Support|Family|Families|Education|Navigator|Navigators|Rights|Flow|Room|Rooms|First|Voice|Voices"
)
_PATIENT_NAME = re.compile(
    r"\b(?:[Pp]atients?|PATIENTS?|[Pp]acientes?)\b[\s,:]+(?:(?:named|called|llamad[oa])\s+)?"
    r"(?:(?:Mr|Mrs|Ms|Miss|Dr|Sr|Sra|Srta)\.?\s+)?"
    rf"(?!(?:{_NOT_NAMES})\b)[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+"
)
_ROOM = re.compile(r"\b(?:room|bed|rm|cama|habitaci[oó]n|cuarto)\s*#?\s*\d+[a-z]?\b", re.IGNORECASE)
_DOB = re.compile(
    r"\b(?:DOB|D\.O\.B|date of birth|birth ?date|born on|fecha de nacimiento|naci[oó] el)\b",
    re.IGNORECASE,
)
_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}\b")
_MRN = re.compile(
    r"\b(?:MRN|MR#|medical record|record number|chart number|historia cl[ií]nica|"
    r"n[uú]mero de expediente|expediente)\b|\b[A-Z]{0,3}\d{6,}\b",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
_SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")

RULES = (
    (
        "patient_name",
        _PATIENT_NAME,
        _("It seems to name a patient. Please leave out patients' names."),
    ),
    ("room", _ROOM, _("It mentions a room or bed number, which can identify a patient.")),
    ("date_of_birth", _DOB, _("It mentions a date of birth. Please leave out birth dates.")),
    (
        "date",
        _DATE,
        _("It contains a date, which together with other details can identify a patient."),
    ),
    (
        "record_number",
        _MRN,
        _("It contains a record number or a long number (like a medical record number)."),
    ),
    ("phone", _PHONE, _("It contains a phone number.")),
    ("ssn", _SSN, _("It contains an identification number.")),
    ("email", _EMAIL, _("It contains an email address.")),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def sanitize(text: str) -> str:
    """Plain text only: nh3 drops tags (and script/style contents), entities are decoded so the
    template's autoescaping is the one place that escapes; control and bidi characters go too."""
    cleaned = _CONTROL.sub("", text or "")
    for _round in range(5):  # "&lt;b&gt;" decodes to a tag: clean again until nothing changes
        again = html.unescape(nh3.clean(cleaned, tags=set()))
        if again == cleaned:
            break
        cleaned = again
    cleaned = _CONTROL.sub("", cleaned).replace("\r\n", "\n")
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned)
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip()


def personal_data_problems(text: str) -> list[tuple[str, str]]:
    """(code, message) for each kind of personal data found; empty when the note looks safe."""
    found: list[tuple[str, str]] = []
    for code, pattern, message in RULES:
        if pattern.search(text or ""):
            if code == "date" and any(c == "date_of_birth" for c, _m in found):
                continue
            found.append((code, str(message)))
    return found
