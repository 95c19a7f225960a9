"""The audit log as people read it: sentences in the viewer's language, filters, pages and CSV.

Events about one worker's case or request (a counseling case's id, the time a peer request was
accepted) are never listed: an organization admin sees only how many there were, per kind, through
``privacy.suppress_counts`` (small counts hidden), because a time next to a case can identify the worker.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from respite.core import privacy
from respite.core.models import AuditLog, Organization
from respite.core.roles import StaffRole

# Events about one worker's case or request: counted, never listed.
WORKER_EVENT_PREFIXES = ("counseling.case_", "peers.request_", "peers.contact_", "peers.follow_up_")
WORKER_TARGET_TYPES = (
    "counseling.case",
    "counseling.message",
    "counseling.booking",
    "counseling.engagement",
    "peers.supportrequest",
)

SENTENCES: dict[str, Any] = {
    "auth.signed_in": gettext_lazy("%(actor)s signed in."),
    "auth.sign_in_failed": gettext_lazy("A sign-in as %(actor)s failed."),
    "auth.sso_failed": gettext_lazy("A sign-in through the organization's sign-in service failed."),
    "organization.sso_changed": gettext_lazy(
        "%(actor)s changed the organization's single sign-on (%(fields)s)."
    ),
    "organization.branding_changed": gettext_lazy(
        "%(actor)s changed the organization's names or logo (%(fields)s)."
    ),
    "units.imported": gettext_lazy(
        "%(actor)s imported units from a file (%(added)s added, %(changed)s changed)."
    ),
    "organization.created": gettext_lazy("%(actor)s created the organization."),
    "organization.settings_changed": gettext_lazy(
        "%(actor)s changed the organization's settings (%(fields)s)."
    ),
    "staff.invited": gettext_lazy("%(actor)s invited someone as %(roles)s."),
    "staff.invitation_resent": gettext_lazy("%(actor)s sent an invitation again."),
    "staff.invitation_withdrawn": gettext_lazy("%(actor)s withdrew an invitation."),
    "staff.invitation_accepted": gettext_lazy("%(actor)s accepted an invitation."),
    "staff.account_created": gettext_lazy("The account %(actor)s was created from an invitation."),
    "staff.account_reactivated": gettext_lazy(
        "The account %(actor)s was switched on again by an invitation."
    ),
    "staff.role_granted": gettext_lazy("%(actor)s gave %(target)s the role %(role)s."),
    "staff.role_removed": gettext_lazy("%(actor)s removed the role %(role)s from %(target)s."),
    "staff.role_requested": gettext_lazy(
        "%(actor)s asked for the role %(role)s for their own account."
    ),
    "staff.role_approved": gettext_lazy("%(actor)s approved the role %(role)s for %(target)s."),
    "staff.role_refused": gettext_lazy("%(actor)s refused the role %(role)s for %(target)s."),
    "staff.deactivated": gettext_lazy("%(actor)s deactivated %(target)s here."),
    "staff.volunteer_applied": gettext_lazy("A volunteer therapist applied."),
    "staff.volunteer_approved": gettext_lazy(
        "%(actor)s approved a volunteer therapist's application."
    ),
    "staff.profile_changed": gettext_lazy("%(actor)s changed their profile."),
    "staff.password_changed": gettext_lazy("%(actor)s changed their password."),
    "staff.password_reset": gettext_lazy("%(actor)s set a new password with an emailed link."),
    "auth.second_factor_failed": gettext_lazy("A second-factor code for %(actor)s was wrong."),
    "staff.two_factor_enrolled": gettext_lazy("%(actor)s turned on two-factor sign-in."),
    "staff.two_factor_disabled": gettext_lazy("%(actor)s turned off two-factor sign-in."),
    "staff.recovery_codes_regenerated": gettext_lazy("%(actor)s made new recovery codes."),
    "staff.recovery_code_used": gettext_lazy("%(actor)s signed in with a recovery code."),
    "staff.two_factor_reset": gettext_lazy("%(actor)s reset the two-factor sign-in of %(target)s."),
    "api.token_created": gettext_lazy("%(actor)s created an API token."),
    "api.token_revoked": gettext_lazy("%(actor)s revoked an API token."),
    "api.token_used": gettext_lazy("%(actor)s read through the API with a token."),
    "audit.exported": gettext_lazy("%(actor)s exported the audit log."),
    "pulse.exported": gettext_lazy("%(actor)s exported pulse survey results."),
    "pulse.survey_created": gettext_lazy("%(actor)s created a pulse survey."),
    "pulse.survey_opened": gettext_lazy("%(actor)s opened a pulse survey."),
    "pulse.survey_closed": gettext_lazy("%(actor)s closed a pulse survey."),
    "assessment.report_exported": gettext_lazy("%(actor)s exported a self-assessment report."),
    "credentialing.report_downloaded": gettext_lazy("%(actor)s downloaded a credentialing report."),
}

WORKER_EVENT_LABELS: dict[str, Any] = {
    "counseling": gettext_lazy("Counseling case actions"),
    "peers": gettext_lazy("Peer-support request actions"),
}

PER_PAGE = 50


def is_worker_event(action: str, target_type: str = "") -> bool:
    return action.startswith(WORKER_EVENT_PREFIXES) or target_type in WORKER_TARGET_TYPES


def _worker_event_q() -> Q:
    q = Q(target_type__in=WORKER_TARGET_TYPES)
    for prefix in WORKER_EVENT_PREFIXES:
        q |= Q(action__startswith=prefix)
    return q


class AuditFilterForm(forms.Form):
    who = forms.CharField(
        label=gettext_lazy("Who"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"list": "who-list"}),
        help_text=gettext_lazy("An account name, exactly."),
    )
    what = forms.ChoiceField(label=gettext_lazy("What"), required=False)
    start = forms.DateField(
        label=gettext_lazy("From (day)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=gettext_lazy("To (day)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, actions: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["what"]).choices = [("", _("Everything"))] + [
            (a, action_label(a)) for a in actions
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The first day must come before the last."))
        return data


def action_label(action: str) -> str:
    sentence = SENTENCES.get(action)
    if sentence is None:
        return action
    # The sentence with blanks reads as a label in the filter menu.
    return str(sentence) % _Blank()


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "…"


@dataclass
class Row:
    at: datetime
    who: str
    sentence: str
    action: str


def _bounds(day: date, end: bool) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def filtered(organization: Organization, data: dict) -> QuerySet[AuditLog]:
    qs = AuditLog.objects.filter(organization=organization)
    if data.get("who"):
        qs = qs.filter(actor_label__iexact=data["who"])
    if data.get("what"):
        qs = qs.filter(action=data["what"])
    if data.get("start"):
        qs = qs.filter(at__gte=_bounds(data["start"], end=False))
    if data.get("end"):
        qs = qs.filter(at__lte=_bounds(data["end"], end=True))
    return qs


def listed(qs: QuerySet[AuditLog]) -> QuerySet[AuditLog]:
    return qs.exclude(_worker_event_q()).order_by("-at", "-pk")


def worker_event_counts(
    qs: QuerySet[AuditLog], organization: Organization
) -> list[tuple[str, privacy.Cell]]:
    """How many per-worker events the filter matched, per app, small counts hidden."""
    counts = {key: 0 for key in WORKER_EVENT_LABELS}
    for row in qs.filter(_worker_event_q()).values("action").annotate(n=Count("pk")):
        app = row["action"].split(".", 1)[0]
        counts[app if app in counts else "counseling"] += row["n"]
    cells = privacy.suppress_counts(counts, privacy.min_group_size(organization))
    return [(str(WORKER_EVENT_LABELS[key]), cells[key]) for key in WORKER_EVENT_LABELS]


def rows(entries: list[AuditLog]) -> list[Row]:
    """Sentences for a page of entries, in the active language and time zone."""
    user_ids = [
        int(e.target_id) for e in entries if e.target_type == "auth.user" and e.target_id.isdigit()
    ]
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    roles = dict(StaffRole.choices)
    out = []
    for e in entries:
        detail = e.detail if isinstance(e.detail, dict) else {}
        values = {
            "actor": e.actor_label or _("someone"),
            "target": names.get(int(e.target_id), _("an account"))
            if e.target_id.isdigit() and e.target_type == "auth.user"
            else _("an account"),
            "role": str(roles.get(detail.get("role", ""), detail.get("role", ""))),
            "roles": ", ".join(str(roles.get(r, r)) for r in detail.get("roles", [])),
            "fields": ", ".join(str(f) for f in detail.get("fields", [])) or "—",
            "added": detail.get("added", 0),
            "changed": detail.get("changed", 0),
        }
        sentence = SENTENCES.get(e.action)
        text = (
            str(sentence) % values
            if sentence
            else _("%(actor)s: %(action)s") % {"actor": values["actor"], "action": e.action}
        )
        out.append(Row(timezone.localtime(e.at), e.actor_label, text, e.action))
    return out


def as_csv(entries: QuerySet[AuditLog], counts: list[tuple[str, privacy.Cell]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("When"), _("Who"), _("What happened"), _("Event code")])
    for chunk_start in range(0, entries.count(), 500):
        for row in rows(list(entries[chunk_start : chunk_start + 500])):
            writer.writerow(
                [
                    row.at.isoformat(timespec="minutes"),
                    _csv_safe(row.who),
                    _csv_safe(row.sentence),
                    row.action,
                ]
            )
    writer.writerow([])
    for label, cell in counts:
        writer.writerow(
            [label, _("fewer than the minimum group size") if cell.suppressed else cell.value]
        )
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
