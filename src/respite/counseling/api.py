"""Public, read-only API: verified volunteer therapists and their open times. No worker data here."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Query, Router, Schema
from pydantic import Field

from respite.core.pagination import paginated
from respite.counseling import scheduling
from respite.counseling.states import STATE_CODES

router = Router(tags=["counseling"])

StateCode = Literal[tuple(sorted(STATE_CODES))]  # type: ignore[valid-type]


class TherapistQuery(Schema):
    state: StateCode  # type: ignore[valid-type]
    language: Literal["en", "es"] = "en"
    specialty: str = Field("", max_length=40)
    modality: Literal["", "video", "phone"] = ""


class TherapistOut(Schema):
    id: int
    name: str
    licence_type: str
    languages: list[str]
    specialties: list[str]
    modalities: list[str]
    time_zone: str
    session_cap: int
    open_times: list[datetime]


@router.get("/counseling/therapists", response=list[TherapistOut])
@paginated
def therapists(request, q: Query[TherapistQuery]):
    """Verified therapists licensed in the state, best match first, with their next open times (UTC)."""
    found = scheduling.match(
        state=q.state,
        language=q.language,
        specialty=q.specialty,
        modality=q.modality,
        per_clinician=4,  # "next open times": the web page pages every slot by day
    )
    return [
        {
            "id": m.clinician.pk,
            "name": m.clinician.display_name,
            "licence_type": m.clinician.licence_type,
            "languages": m.clinician.languages,
            "specialties": m.clinician.specialties,
            "modalities": m.clinician.modalities,
            "time_zone": m.clinician.time_zone,
            "session_cap": m.clinician.session_cap,
            "open_times": [s.starts_at for s in m.slots],
        }
        for m in found
    ]
