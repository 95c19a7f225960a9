"""Time-to-contact: reminders at half the target, escalation to the program leads when missed.

Run from cron (``respite peer_reminders``, e.g. every 15 minutes). Each request is reminded once
and escalated once; both are recorded on the request so re-runs send nothing new.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from respite.core.models import AuditLog
from respite.peers import notify
from respite.peers.models import PeerProgram, SupportRequest


def run(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"reminded": 0, "reoffered": 0, "escalated": 0}
    pending = SupportRequest.objects.open().filter(
        contacted_at__isnull=True, escalated_at__isnull=True
    )
    programs: dict[int, PeerProgram] = {}
    for req in pending.select_related("organization", "assigned__user").prefetch_related(
        "offers__user"
    ):
        program = programs.get(req.organization_id) or PeerProgram.for_org(req.organization)
        programs[req.organization_id] = program
        age = now - req.created_at
        if req.escalated_at is None and age >= program.target:
            with transaction.atomic():
                req.escalated_at = now
                req.save(update_fields=["escalated_at"])
                AuditLog.record(None, "peers.request_escalated", req, organization=req.organization)
            notify.escalate(req, program.leads.all())
            counts["escalated"] += 1
        elif req.reminded_at is None and req.escalated_at is None and age >= program.target / 2:
            if req.assigned_id:
                notify.remind(req, [req.assigned])
            else:
                offered = list(req.offers.all())
                if not offered:  # nobody was free when it arrived: try again now
                    offered = req.suggestions(now)[: program.offer_to]
                    req.offers.set(offered)
                    counts["reoffered"] += 1
                notify.remind(req, offered)
            req.reminded_at = now
            req.save(update_fields=["reminded_at"])
            counts["reminded"] += 1
    return counts
