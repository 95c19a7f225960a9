"""Slots from weekly availability, therapist matching, and the booking rules.

Availability is kept in the clinician's own time zone (that is how people think about their week);
slots are stored in UTC. Booking writes span several models, so they are ``do_*`` functions in one
transaction; a partial unique constraint on the slot is what stops double booking.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from respite.core.models import AccessCode, Organization
from respite.counseling import notify
from respite.counseling.models import (
    HOLDING,
    Booking,
    BookingStatus,
    Clinician,
    EndReason,
    Engagement,
    EngagementStatus,
    Slot,
)

HORIZON_DAYS = 28
BREAK_MINUTES = 10
# Workers may not book a session starting sooner than this: the therapist needs time to reach them.
MIN_LEAD = timedelta(hours=2)


def wanted_slots(
    clinician: Clinician, *, start_day: date, days: int
) -> list[tuple[datetime, datetime]]:
    """Session times (UTC) from the weekly windows minus exceptions, for ``days`` local days.

    Local times that do not exist (the spring-forward gap) are skipped; repeated ones (fall back)
    take their first occurrence.
    """
    tz = clinician.tz
    length = timedelta(minutes=clinician.session_minutes)
    step = length + timedelta(minutes=BREAK_MINUTES)
    windows = defaultdict(list)
    for w in clinician.availability.all():
        windows[w.weekday].append(w)
    last_day = start_day + timedelta(days=days)
    exceptions = [e for e in clinician.exceptions.all() if start_day <= e.date < last_day]
    out = []
    for offset in range(days):
        day = start_day + timedelta(days=offset)
        for w in windows.get(day.weekday(), []):
            naive = datetime.combine(day, w.start)
            window_end = datetime.combine(day, w.end)
            while naive + length <= window_end:
                local_start = naive.replace(tzinfo=tz)
                utc_start = local_start.astimezone(UTC)
                if (
                    utc_start.astimezone(tz).replace(tzinfo=None) == naive
                ):  # exists on the wall clock
                    utc_end = utc_start + length
                    local_end = utc_end.astimezone(tz)
                    if not any(e.covers(local_start, local_end) for e in exceptions):
                        out.append((utc_start, utc_end))
                naive += step
    return sorted(set(out))


@transaction.atomic
def generate_slots(
    clinician: Clinician, *, days: int = HORIZON_DAYS, now: datetime | None = None
) -> int:
    """Bring the clinician's future slots in line with their availability. Returns slots created.

    Booked slots are never touched; unbooked slots that no longer fit are deleted (or withdrawn when
    a cancelled booking still points at them).
    """
    now = now or timezone.now()
    start_day = now.astimezone(clinician.tz).date()
    wanted = {s: e for s, e in wanted_slots(clinician, start_day=start_day, days=days) if s > now}
    future = Slot.objects.filter(clinician=clinician, starts_at__gt=now)
    existing = set(future.values_list("starts_at", flat=True))
    stale = future.exclude(starts_at__in=list(wanted)).exclude(bookings__status__in=HOLDING)
    stale.filter(bookings__isnull=False).update(withdrawn=True)
    stale.filter(bookings__isnull=True).delete()
    new = [
        Slot(clinician=clinician, starts_at=s, ends_at=e)
        for s, e in wanted.items()
        if s not in existing
    ]
    Slot.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def open_slots(now: datetime | None = None):
    """Slots a worker may book: future (past the lead time), not withdrawn, not held by a booking."""
    now = now or timezone.now()
    return Slot.objects.filter(
        starts_at__gt=now + MIN_LEAD,
        starts_at__lt=now + timedelta(days=HORIZON_DAYS + 1),
        withdrawn=False,
    ).exclude(bookings__status__in=HOLDING)


@dataclass
class Match:
    clinician: Clinician
    slots: list[Slot]
    language: bool
    specialty: bool
    modality: bool
    # The slots in the worker's time zone, for the page (views.find fills it in).
    times: list[tuple[Slot, datetime]] = field(default_factory=list)


def match(
    *,
    state: str,
    language: str = "",
    specialty: str = "",
    modality: str = "",
    exclude: set[int] | None = None,
    now: datetime | None = None,
    per_clinician: int | None = None,
) -> list[Match]:
    """Verified clinicians licensed in ``state``, ranked by language, specialty, modality, then
    the earliest open slot. Clinicians with no open slot are left out: they cannot be booked.

    Every open slot in the booking horizon comes back (shift workers need the Saturday morning, not
    the four earliest times); ``per_clinician`` caps them, chosen in SQL, for callers that want a
    preview."""
    exclude = exclude or set()
    clinicians = [
        c for c in Clinician.objects.listed().exclude(pk__in=exclude) if c.licensed_in(state)
    ]
    by_clinician: dict[int, list[Slot]] = defaultdict(list)
    slots = open_slots(now).filter(clinician__in=[c.pk for c in clinicians])
    if per_clinician:
        slots = slots.annotate(
            rank=Window(RowNumber(), partition_by=F("clinician_id"), order_by=F("starts_at").asc())
        ).filter(rank__lte=per_clinician)
    for slot in slots.order_by("starts_at"):
        by_clinician[slot.clinician_id].append(slot)
    found = [
        Match(
            c,
            by_clinician[c.pk],
            language in (c.languages or []),
            bool(specialty) and specialty in (c.specialties or []),
            bool(modality) and modality in (c.modalities or []),
        )
        for c in clinicians
        if by_clinician.get(c.pk)
    ]
    found.sort(
        key=lambda m: (
            not m.language,
            not m.specialty,
            not m.modality,
            m.slots[0].starts_at,
            m.clinician.pk,
        )
    )
    return found


def days_with_slots(found: list[Match], tz: zoneinfo.ZoneInfo) -> list[date]:
    """The worker's local days on which any of these therapists has an open time, in order."""
    return sorted({s.starts_at.astimezone(tz).date() for m in found for s in m.slots})


def slots_on(slots: list[Slot], day: date, tz: zoneinfo.ZoneInfo) -> list[tuple[Slot, datetime]]:
    """The slots starting on ``day`` in the worker's zone, each with its local start time."""
    local = [(s, s.starts_at.astimezone(tz)) for s in slots]
    return [(s, when) for s, when in local if when.date() == day]


def excluded_for(code: AccessCode) -> set[int]:
    """Clinicians this worker asked to move away from, or who declined them: not offered again."""
    return set(
        Engagement.objects.filter(
            access_code=code, end_reason__in=[EndReason.REMATCH, EndReason.DECLINED]
        ).values_list("clinician_id", flat=True)
    )


class BookingError(Exception):
    """A booking the worker cannot make; ``message`` is safe to show, ``status`` is the HTTP status."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SlotTaken(BookingError):
    status = 409


def do_book(
    *,
    code: AccessCode,
    organization: Organization | None,
    slot_id: int,
    state: str,
    language: str,
    contact_method: str = "",
    contact: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book a slot for an anonymous worker. Raises SlotTaken when someone else holds it.

    The check that the slot is free is the INSERT itself: the partial unique constraint rejects a
    second active booking whatever the interleaving, on SQLite and PostgreSQL alike.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            slot = Slot.objects.select_related("clinician").filter(pk=slot_id).first()
            if slot is None or slot.withdrawn or slot.starts_at <= now + MIN_LEAD:
                raise SlotTaken(_("That time is no longer available. Please choose another."))
            clinician = slot.clinician
            if not Clinician.objects.listed().filter(pk=clinician.pk).exists():
                raise SlotTaken(_("That time is no longer available. Please choose another."))
            if not clinician.licensed_in(state):
                raise BookingError(
                    _("This therapist is not licensed in the state you chose. Please pick another.")
                )
            # Locks the row on PostgreSQL so two tabs of one worker cannot pass the cap together;
            # SQLite's IMMEDIATE transactions already serialize writers.
            engagement = (
                Engagement.objects.select_for_update()
                .filter(access_code=code, clinician=clinician, status=EngagementStatus.ACTIVE)
                .first()
            )
            if engagement is None:
                if not contact:
                    raise BookingError(_("Tell the therapist how to reach you."))
                engagement = Engagement.objects.create(
                    access_code=code,
                    organization=organization,
                    clinician=clinician,
                    state=state,
                    language=language[:5],
                    contact_method=contact_method,
                    contact=contact,
                )
            elif contact:
                engagement.contact_method, engagement.contact = contact_method, contact
                engagement.save(update_fields=["contact_method", "contact"])
            if engagement.sessions_used() >= clinician.session_cap:
                raise BookingError(
                    _("You have used all %(n)s sessions with this therapist.")
                    % {"n": clinician.session_cap}
                )
            booking = Booking.objects.create(engagement=engagement, slot=slot)
            notify.booked(booking)  # queued with the booking: both commit or neither
            return booking
    except IntegrityError as exc:
        raise SlotTaken(
            _("Someone else has just booked that time. Please choose another.")
        ) from exc


def do_reschedule(booking: Booking, slot_id: int, *, now: datetime | None = None) -> Booking:
    """Move one booked session to another open time of the same therapist. The series (engagement,
    contact, other sessions) stays as it is; the therapist's calendar gets the same event UID with a
    raised SEQUENCE (``notify.moved``). Raises SlotTaken when the new time is no longer free."""
    now = now or timezone.now()
    taken = _("That time is no longer available. Please choose another.")
    if booking.status != BookingStatus.BOOKED:
        raise BookingError(_("Only a booked session can be moved."))
    try:
        with transaction.atomic():
            slot = Slot.objects.filter(pk=slot_id, clinician_id=booking.slot.clinician_id).first()
            if slot is None or slot.withdrawn or slot.starts_at <= now + MIN_LEAD:
                raise SlotTaken(taken)
            if slot.pk == booking.slot_id:
                return booking
            booking.slot = slot
            booking.save(
                update_fields=["slot"]
            )  # the partial unique constraint refuses a taken slot
            notify.moved(booking)
            return booking
    except IntegrityError as exc:
        raise SlotTaken(
            _("Someone else has just booked that time. Please choose another.")
        ) from exc


def _end_if_nothing_booked(engagement: Engagement, reason: str) -> None:
    if not engagement.bookings.filter(status=BookingStatus.BOOKED).exists():
        engagement.end(reason)


@transaction.atomic
def do_cancel(booking: Booking, *, keep_series: bool = False) -> None:
    """Free the slot. With no session left booked, the engagement ends and the contact is erased,
    unless the worker chose to keep the series (to book another time with the same therapist)."""
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])
    notify.cancelled(booking)
    if not keep_series:
        _end_if_nothing_booked(booking.engagement, EndReason.CANCELLED)


@transaction.atomic
def do_decline(booking: Booking) -> None:
    """The therapist cannot take this session: the time is withdrawn so nobody else books it."""
    booking.status = BookingStatus.DECLINED
    booking.save(update_fields=["status"])
    Slot.objects.filter(pk=booking.slot_id).update(withdrawn=True)
    _end_if_nothing_booked(booking.engagement, EndReason.DECLINED)


@transaction.atomic
def do_complete(booking: Booking, *, last: bool = False) -> None:
    """Mark a session done. The last session (or reaching the cap) ends the engagement."""
    booking.status = BookingStatus.COMPLETED
    booking.save(update_fields=["status"])
    engagement = booking.engagement
    cap_reached = engagement.sessions_used() >= engagement.clinician.session_cap
    if last or cap_reached:
        _cancel_all(engagement)
        engagement.end(EndReason.CAP if cap_reached and not last else EndReason.COMPLETED)


@transaction.atomic
def do_end(engagement: Engagement, reason: str) -> None:
    """Worker ends the engagement (or asks for a rematch): future sessions are cancelled."""
    _cancel_all(engagement)
    engagement.end(reason)


def _cancel_all(engagement: Engagement) -> None:
    """Cancel every booked session, telling the therapist's calendar about each."""
    for booking in engagement.bookings.filter(status=BookingStatus.BOOKED).select_related(
        "slot__clinician__user"
    ):
        booking.status = BookingStatus.CANCELLED
        booking.save(update_fields=["status"])
        notify.cancelled(booking)


US_TIME_ZONES = (
    ("America/New_York", gettext_lazy("Eastern (New York)")),
    ("America/Chicago", gettext_lazy("Central (Chicago)")),
    ("America/Denver", gettext_lazy("Mountain (Denver)")),
    ("America/Phoenix", gettext_lazy("Arizona (Phoenix)")),
    ("America/Los_Angeles", gettext_lazy("Pacific (Los Angeles)")),
    ("America/Anchorage", gettext_lazy("Alaska (Anchorage)")),
    ("Pacific/Honolulu", gettext_lazy("Hawaii (Honolulu)")),
    ("America/Puerto_Rico", gettext_lazy("Atlantic (Puerto Rico)")),
)


@functools.cache
def known_zones() -> frozenset[str]:
    """Every IANA zone name (read from disk once per process, not on every page)."""
    return frozenset(zoneinfo.available_timezones())


def worker_zone(name: str, organization: Organization | None = None) -> zoneinfo.ZoneInfo:
    """The zone a worker's times are shown in: the one they chose or their browser reported, else
    their organization's, else UTC. Anything that is not a real IANA zone is ignored."""
    for candidate in (name, getattr(organization, "time_zone", "")):
        if candidate and candidate in known_zones():
            return zoneinfo.ZoneInfo(candidate)
    return zoneinfo.ZoneInfo("UTC")


def local_time(slot: Slot, tz_name: str = "") -> datetime:
    """The slot start in the worker's chosen zone, or the clinician's when none was chosen."""
    if tz_name and tz_name in known_zones():
        return slot.starts_at.astimezone(zoneinfo.ZoneInfo(tz_name))
    return slot.starts_at.astimezone(slot.clinician.tz)
