"""The program lead's figures: aggregates only, every count and statistic through core.privacy.

Requests are counted in disjoint categories per table, each table suppressed with its total shown
(primary and complementary suppression in ``suppress_counts``). Statistics (median time to contact,
mean satisfaction, share within target) are released only when computed from at least k requests.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta

from django.utils import timezone

from respite.core.models import Organization
from respite.core.privacy import Cell, cell, min_group_size, suppress_counts
from respite.peers.models import EventType, PeerProgram, Referral, Source, Supporter, SupportRequest

PERIODS = {"90": 90, "365": 365, "all": None}


def _table(counter: Counter, choices, k: int, total: int) -> list[tuple[str, Cell]]:
    counts = {value: counter.get(value, 0) for value, _label in choices}
    cells = suppress_counts(counts, k, total)
    return [(label, cells[value]) for value, label in choices]


def dashboard(organization: Organization, period: str = "365", now: datetime | None = None) -> dict:
    now = now or timezone.now()
    k = min_group_size(organization)
    program = PeerProgram.for_org(organization)
    requests = SupportRequest.objects.filter(organization=organization)
    days = PERIODS.get(period, 365)
    if days:
        requests = requests.filter(created_at__gte=now - timedelta(days=days))
    rows = list(
        requests.values(
            "source",
            "event_type",
            "created_at",
            "contacted_at",
            "follow_up_on",
            "follow_up_done",
            "referral",
            "rating",
        )
    )
    total = len(rows)
    contacted = [r for r in rows if r["contacted_at"]]
    hours = [
        (r["contacted_at"] - r["created_at"]).total_seconds() / 3600
        for r in rows
        if r["contacted_at"] is not None
    ]
    within = sum(1 for h in hours if h <= program.target_hours)
    recorded = [r for r in rows if r["referral"]]
    ratings = [r["rating"] for r in rows if r["rating"]]
    follow = Counter(
        "done" if r["follow_up_done"] else "scheduled" if r["follow_up_on"] else "none"
        for r in contacted
    )
    return {
        "k": k,
        "period": period if period in PERIODS else "365",
        "target_hours": program.target_hours,
        "total": cell(total, total, k),
        "by_source": _table(Counter(r["source"] for r in rows), Source.choices, k, total),
        "by_event": _table(Counter(r["event_type"] for r in rows), EventType.choices, k, total),
        "contacted": cell(len(contacted), len(contacted), k),
        "median_hours": cell(round(statistics.median(hours), 1) if hours else None, len(hours), k),
        "within_target_pct": cell(
            round(100 * within / len(hours)) if hours else None, len(hours), k
        ),
        "follow_ups": _table(
            follow,
            [
                ("scheduled", _label("scheduled")),
                ("done", _label("done")),
                ("none", _label("none")),
            ],
            k,
            len(contacted),
        ),
        "referrals": _table(
            Counter(r["referral"] for r in recorded), Referral.choices, k, len(recorded)
        ),
        "satisfaction": cell(
            round(statistics.mean(ratings), 1) if ratings else None, len(ratings), k
        ),
    }


def _label(key: str) -> str:
    from django.utils.translation import gettext as _

    return {
        "scheduled": _("Follow-up scheduled"),
        "done": _("Follow-up done"),
        "none": _("No follow-up"),
    }[key]


def workload(organization: Organization, now: datetime | None = None) -> list[dict]:
    """Per-supporter figures. Supporters are staff, so naming them is fine; requesters never appear."""
    now = now or timezone.now()
    today = now.date()
    from django.db.models import Count, Q

    supporters = (
        Supporter.objects.filter(organization=organization)
        .annotate(
            open_count=Count(
                "assigned_requests",
                filter=Q(assigned_requests__closed_at__isnull=True),
                distinct=True,
            ),
            year_count=Count(
                "assigned_requests",
                filter=Q(assigned_requests__accepted_at__gte=now - timedelta(days=365)),
                distinct=True,
            ),
            done_count=Count("completions", distinct=True),
        )
        .prefetch_related("departments", "shifts")
    )
    return [
        {
            "supporter": s,
            "open": s.open_count,
            "year": s.year_count,
            "completed": s.done_count,
            "on_call": s.on_call(now),
            "training": s.training_status(today),
            "departments": [d.name for d in s.departments.all()],
        }
        for s in supporters
    ]
