"""JSON API for the community kit (/api/v1/community/...): toolkit texts, the composer check and an
event's public tally. Nothing here writes data, and nothing returns attendees, notes or contacts."""

from __future__ import annotations

import uuid
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from respite.community import social, toolkit
from respite.community.models import Event
from respite.core.apischema import ErrorOut
from respite.core.pagination import paginated

router = Router(tags=["community"])
Lang = Literal["en", "es"]
Network = Literal["x", "bluesky", "threads", "linkedin", "facebook"]


class ComposeIn(Schema):
    text: str = Field(..., max_length=social.MAX_POST)
    resource_url: str = Field("", max_length=500, pattern=r"^(https://\S+)?$")
    resource_name: str = Field("", max_length=200)
    hashtags: list[str] = Field(default_factory=list, max_length=10)
    lang: Lang = "en"


class ThemeOut(Schema):
    id: str
    label: str


class CountOut(Schema):
    id: str
    name: str
    limit: int
    count: int
    over: bool
    left: int
    over_by: int


class ComposeOut(Schema):
    text: str
    themes: list[ThemeOut]
    has_resource: bool
    missing_resource: bool
    counts: list[CountOut]


class PostOut(Schema):
    id: str
    text: str


class TierOut(Schema):
    id: str
    amount: int
    name: str
    text: str


class TallyOut(Schema):
    attending: int
    pledged: int
    pledges: int
    goal: int
    percent: int | None


@router.get("/community/posts", response=list[PostOut])
@paginated
def suggested_posts(request: HttpRequest, lang: Lang = "en"):
    """The toolkit's suggested social posts."""
    return toolkit.social(lang)["posts"]


@router.get("/community/tiers", response=list[TierOut])
@paginated
def tiers(request: HttpRequest, lang: Lang = "en"):
    """The toolkit's suggested fundraising tiers (US dollars)."""
    return toolkit.fundraising(lang)["tiers"]


@router.post("/community/compose", response={200: ComposeOut, 422: ErrorOut})
def compose(request: HttpRequest, payload: ComposeIn):
    """Add the resource link and hashtags, then report heavy themes, the missing-resource warning and
    per-network character counts. The post is not stored."""
    allowed = set(toolkit.social()["hashtags"])
    unknown = [h for h in payload.hashtags if h not in allowed]
    if unknown:
        return Status(
            422,
            {"detail": f"unknown hashtags: {', '.join(unknown)}; use {', '.join(sorted(allowed))}"},
        )
    resource = (
        {"name": payload.resource_name, "url": payload.resource_url}
        if payload.resource_url
        else None
    )
    text = social.compose(payload.text, resource=resource, hashtags=payload.hashtags)
    extra = [payload.resource_url] if payload.resource_url else []
    return social.check(text, extra_urls=extra, language=payload.lang).as_dict()


@router.get("/community/{org}/events/{event_id}/tally", response={200: TallyOut, 404: ErrorOut})
def tally(request: HttpRequest, org: str, event_id: str):
    """Attendance and pledge totals of one gathering (the numbers its public page shows)."""
    try:
        pk = uuid.UUID(event_id)
    except ValueError:
        return Status(404, {"detail": "unknown event"})
    event = Event.objects.visible().filter(organization__slug=org, pk=pk).first()
    if event is None:
        return Status(404, {"detail": "unknown event"})
    t = event.tally()
    return {
        "attending": t["attending"],
        "pledged": t["pledged"],
        "pledges": t["pledges"],
        "goal": t["goal"],
        "percent": t["percent"],
    }
