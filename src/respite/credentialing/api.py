"""POST /api/v1/credentialing/audit: the auditor on pasted text. Stateless: nothing is stored."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from respite.core import privacy
from respite.core.apischema import ErrorOut
from respite.credentialing import auditor, readers

router = Router(tags=["credentialing"])


class AuditIn(Schema):
    text: str = Field(
        ...,
        min_length=1,
        max_length=readers.MAX_ANONYMOUS_TEXT_CHARS,
        description="The questions of a form, as plain text (at most 50,000 characters).",
    )
    profession: str | None = Field(
        None, max_length=40, description="Override detection (e.g. nursing, pharmacy)."
    )
    lang: Literal["en", "es"] = "en"


class ReasonOut(Schema):
    id: str
    text: str


class QuestionOut(Schema):
    text: str
    location: dict[str, int]
    label: Literal["intrusive", "acceptable", "other"]
    reasons: list[ReasonOut]
    suggestion: str | None
    profession: str
    notes: list[str]


class AuditOut(Schema):
    profession: str
    questions: list[QuestionOut]


@router.post("/credentialing/audit", response={200: AuditOut, 422: ErrorOut, 429: ErrorOut})
def audit(request: HttpRequest, payload: AuditIn):
    """Segment and classify the questions of a form, with reasons and suggested wording."""
    # Anonymous and CPU-bound: every call counts against the client's network, not only failures.
    try:
        privacy.rate_limit(
            request, "anonymous-audit", settings.RESPITE_ANONYMOUS_AUDITS_PER_ADDRESS
        )
    except privacy.Throttled:
        raise HttpError(429, privacy.too_many_requests()) from None
    professions = auditor.vocabulary().professions
    if payload.profession and payload.profession not in professions:
        raise HttpError(422, f"profession must be one of: {', '.join(professions)}")
    lines = auditor.text_lines(payload.text)
    findings = auditor.audit(lines, payload.profession)
    profession = payload.profession or auditor.detect_profession(payload.text)
    return {"profession": profession, "questions": [f.as_dict(payload.lang) for f in findings]}
