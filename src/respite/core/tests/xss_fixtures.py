"""XSS payload corpus, the registry of every free-text model field, and a world of objects that
carries a payload in each of them (used by test_xss_corpus.py).

Every payload that would create markup carries ``data-xss`` on each element it tries to inject and,
if it ever ran, would set ``window.__xss`` or change ``document.title``. Each field's value starts
with a marker (``xq017z``) so the test can prove the value really reached the page it is said to be
shown on: a registry entry that claims a page without the value on it fails, so coverage cannot rot
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models
from django.test import Client
from django.utils import timezone

from respite.core.urlseal import seal
from respite.screening.models import SafetyPlan

if TYPE_CHECKING:
    from respite.core.models import Organization

# --- the corpus ---------------------------------------------------------------------------------

LONG = "".join(f"long{i:04d}<b data-xss title='x'>&amp;</b>" for i in range(120))  # ~4.5 kB

PAYLOADS: dict[str, str] = {
    "script": "<script data-xss>window.__xss=1</script>",
    "img_onerror": "<img src=x data-xss onerror=window.__xss=1>",
    "svg_onload": '<svg data-xss onload="window.__xss=1"><circle r=9 /></svg>',
    "dq_breakout": '" autofocus onfocus="window.__xss=1" data-xss="',
    "sq_breakout": "' autofocus onfocus='window.__xss=1' data-xss='",
    "tag_breakout": '"><script data-xss>window.__xss=1</script><input data-xss value="',
    "textarea_breakout": "</textarea><img src=x data-xss onerror=window.__xss=1>",
    "title_breakout": "</title><script data-xss>document.title='XSSED'</script>",
    "style_breakout": "</style><script data-xss>window.__xss=1</script>",
    "template_injection": "tpl{{ 7*7 }} tplnow{% now 'Y' %} tpl${7*7} tpl#{7*7}",
    "iframe_srcdoc": '<iframe data-xss srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "javascript_link": '<a data-xss href="javascript:window.__xss=1">js</a>',
    "obfuscated_js_link": '<a data-xss href="jav&#x09;ascript:window.__xss=1">tab</a>',
    "markdown_link": "[click me](javascript:window.__xss=1) ![x](javascript:window.__xss=1)",
    "mxss": "<math><mtext><table><mglyph><style><img src=x data-xss onerror=window.__xss=1>",
    "nested_strip": "<scr<script>ipt data-xss>window.__xss=1</scr</script>ipt>",
    "htmx": '<div data-xss hx-get="/staff/" hx-trigger="load" hx-swap="outerHTML">htmx</div>',
    "base_meta_form": (
        '<base data-xss href="https://evil.example/"><meta data-xss http-equiv="refresh" '
        'content="0;url=javascript:window.__xss=1"><form data-xss action="javascript:window.__xss=1">'
    ),
    "entities": "&lt;script&gt;window.__xss=1&lt;/script&gt; &#60;img&#62;",
    # RLO/LRI overrides, zero-width joiners, fullwidth brackets, a line separator, combining marks.
    "unicode": "\u202egnp.exe\u202c \u2066rtl\u2069 \u200b\u200d\uff1cscript\uff1ewindow.__xss=1\uff1c/script\uff1e"
    " \u2028 Z\u0336\u0337a\u0338 \u00e9\u0301",
    "long": LONG,
}
# Order in which payloads are packed into a field: the dangerous short ones first, the long one last.
ORDER = [k for k in PAYLOADS if k != "long"] + ["long"]
SHORT = "<u>'\"&x"  # for fields too short to carry a marker: an unescaped <u> would be an element


@dataclass(frozen=True)
class Shown:
    """A field that is displayed: ``pages`` are keys of ``World.pages`` where its value must appear."""

    pages: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Hidden:
    """A free-text field that no page displays, with the reason."""

    reason: str


CODE = "server-set code from a closed vocabulary (validated on every input path), not free text"
URL_INPUT = "scheme checked on every input path"

# app_label.Model.field -> Shown | Hidden. Every free-text CharField/TextField of the respite apps
# must be listed (test_every_free_text_field_is_in_the_registry).
REGISTRY: dict[str, Shown | Hidden] = {
    # core
    "core.Organization.name": Shown(("portal", "org_settings", "staff_home")),
    "core.Organization.welcome": Shown(("portal", "org_settings")),
    "core.Organization.name_es": Shown(("portal_es", "org_settings", "platform_branding")),
    "core.SingleSignOn.issuer": Shown(("sso_settings",)),
    "core.SingleSignOn.client_id": Shown(("sso_settings",)),
    "core.SingleSignOn.email_domains": Shown(("sso_settings",)),
    "core.SingleSignOn.client_secret": Hidden("encrypted; the console never shows it again"),
    "core.SingleSignOnIdentity.issuer": Hidden("copied from the configuration; never rendered"),
    "core.SingleSignOnIdentity.subject": Hidden("the provider's account id; never rendered"),
    "core.Organization.accent_color": Shown(
        ("portal",), "7 characters, inside the nonce'd <style>"
    ),
    "core.Organization.state": Hidden(
        "two-letter US state code (upper-cased by the settings form); a filter key"
    ),
    "core.AuditLog.actor_label": Shown(("audit_log",)),
    "core.AuditLog.action": Shown(("audit_log",)),
    "core.AuditLog.target_type": Hidden(
        CODE + " (model label; the audit viewer names targets by account name)"
    ),
    "core.AuditLog.target_id": Hidden(
        "primary key; the audit viewer never prints it (it names accounts by username)"
    ),
    "core.Invitation.email": Shown(("staff_list",)),
    "core.Invitation.display_name": Shown(("staff_list",)),
    "core.ThrottleCounter.key": Hidden("hashed throttle key, never rendered"),
    "core.ApiToken.name": Shown(("api_tokens",)),
    "core.RecoveryCodeDevice.name": Hidden("server-set device label, never rendered"),
    "core.Organization.time_zone": Hidden(
        "IANA zone name validated against zoneinfo on every input path"
    ),
    "core.StaffProfile.time_zone": Hidden(
        "IANA zone name validated against zoneinfo on every input path"
    ),
    "core.OutboundEmail.to": Hidden("email address, encrypted, erased once sent; never rendered"),
    "core.OutboundEmail.subject": Hidden("plain-text email subject, never rendered in HTML"),
    "core.OutboundEmail.body": Hidden(
        "plain-text email body, encrypted, erased once sent; never rendered"
    ),
    "core.OutboundEmail.calendar": Hidden(
        "iCalendar attachment, encrypted, erased once sent; never rendered"
    ),
    "core.OutboundEmail.key": Hidden("server-made dedupe key, never rendered"),
    "core.OutboundEmail.kind": Hidden(
        CODE + " (notice kind, set in code; autoescaped on the tasks page)"
    ),
    "core.OutboundEmail.last_error": Hidden(
        "exception class name set by the worker; autoescaped on the tasks page"
    ),
    "core.PendingDigest.line": Hidden(
        "plain-text digest line built from a notice subject; email only"
    ),
    "core.PeriodicRun.job": Hidden(CODE + " (periodic job name declared in code)"),
    "core.WorkerAlert.target": Hidden(
        "push subscription or email address, encrypted; never rendered"
    ),
    "core.WorkerAlert.language": Hidden(CODE + " (en/es, trimmed from the request's language)"),
    # screening
    "screening.Screening.role_group": Hidden(CODE + " (organization role group)"),
    "screening.Screening.language": Hidden(CODE + " (en/es)"),
    "screening.Screening.tier": Hidden(CODE + " (computed by the scorer)"),
    "screening.ScreeningResult.instrument": Hidden(
        CODE + " (instrument id from the YAML registry)"
    ),
    "screening.ScreeningResult.band": Hidden(CODE + " (band id computed by the scorer)"),
    "screening.ScreeningResult.tier": Hidden(CODE + " (computed by the scorer)"),
    **{
        f"screening.SafetyPlan.{f}": Shown(
            ("safety_plan",), "encrypted; shown only to the code's holder"
        )
        for f in SafetyPlan.SECTIONS
    },
    # directory
    "directory.Provider.id": Hidden("HSDS identifier, never rendered"),
    "directory.Provider.name": Shown(("dir_service",)),
    "directory.Provider.alternate_name": Hidden("kept for HSDS export only; no template shows it"),
    "directory.Provider.description": Hidden("kept for HSDS export only; no template shows it"),
    "directory.Provider.website": Hidden(
        "kept for HSDS export only; no template shows it (" + URL_INPUT + ")"
    ),
    "directory.Provider.email": Hidden("kept for HSDS export only; no template shows it"),
    "directory.Service.id": Shown(
        ("dir_search", "dir_service", "dir_curate"), "only inside reversed hrefs"
    ),
    "directory.Service.name": Shown(
        ("dir_search", "dir_service", "dir_curate", "dir_local_edit", "result")
    ),
    "directory.Service.alternate_name": Hidden(
        "search text and HSDS export only; no template shows it"
    ),
    "directory.Service.description": Shown(
        ("dir_search", "dir_service", "dir_local_edit", "result"),
        "HTML kept after nh3 (rendered |safe)",
    ),
    "directory.Service.name_es": Shown(("dir_service_es", "dir_local_edit")),
    "directory.Service.description_es": Shown(
        ("dir_service_es", "dir_local_edit"), "HTML kept after nh3 (rendered |safe)"
    ),
    "directory.Service.keywords": Shown(("dir_local_edit",)),
    "directory.Service.url": Shown(
        ("dir_search", "dir_service", "dir_local_edit", "result"),
        "https URL carrying a breakout; javascript: rejected at input",
    ),
    "directory.Service.email": Hidden("HSDS export only; no template shows it"),
    "directory.Service.application_process": Shown(("dir_service",)),
    "directory.Service.fees_description": Shown(("dir_service",)),
    "directory.Service.eligibility_description": Shown(("dir_service",)),
    "directory.Service.area_name": Hidden("HSDS export only; no template shows it"),
    "directory.Service.assured_by": Hidden(
        "a portal's own service shows the portal's name instead; shared entries "
        "show it through {% verified_line %}, a simple_tag (autoescaped)"
    ),
    "directory.Service.source": Hidden(
        "shown only on entries with no verification date, through "
        "{% verified_line %}, a simple_tag (autoescaped)"
    ),
    "directory.Service.roles_key": Hidden("derived filter key (editable=False), never rendered"),
    "directory.Service.audiences_key": Hidden(
        "derived filter key (editable=False), never rendered"
    ),
    "directory.Service.channels_key": Hidden("derived filter key (editable=False), never rendered"),
    "directory.Service.tiers_key": Hidden("derived filter key (editable=False), never rendered"),
    "directory.Service.languages_key": Hidden(
        "derived filter key (editable=False), never rendered"
    ),
    "directory.Service.states_key": Hidden("derived filter key (editable=False), never rendered"),
    "directory.Service.search_text": Hidden(
        "derived search index (editable=False), never rendered"
    ),
    "directory.Phone.id": Hidden("HSDS identifier, never rendered"),
    "directory.Phone.number": Shown(
        ("dir_search", "dir_service", "result"), "also inside tel: hrefs"
    ),
    "directory.Phone.type": Hidden("RFC 6350 type code, only compared with 'text', never rendered"),
    "directory.Phone.description": Shown(("dir_search", "dir_service")),
    "directory.Schedule.id": Hidden("HSDS identifier, never rendered"),
    "directory.Schedule.byday": Hidden(
        "parsed into localized day names by {% human_hours %}; raw codes never rendered"
    ),
    "directory.Schedule.description": Hidden("HSDS export only; no template shows it"),
    "directory.Location.id": Hidden("HSDS identifier, never rendered"),
    "directory.Location.name": Shown(("dir_service",)),
    "directory.Location.description": Shown(("dir_service",)),
    "directory.Service.alert": Shown(("dir_service",)),
    "directory.Service.wait_time": Shown(("dir_service",)),
    "directory.Service.interpretation_services": Shown(("dir_service",)),
    "directory.Schedule.notes": Hidden("HSDS export only; no template shows it"),
    "directory.Schedule.attending_type": Hidden("HSDS export only; no template shows it"),
    "directory.Schedule.schedule_link": Hidden(
        "HSDS export only; no template shows it (" + URL_INPUT + ")"
    ),
    "directory.Location.sal_id": Hidden("HSDS identifier, never rendered"),
    "directory.Location.sal_description": Hidden("HSDS export only; no template shows it"),
    "directory.Location.alternate_name": Hidden("HSDS export only; no template shows it"),
    "directory.Location.url": Hidden("HSDS export only; no template shows it (" + URL_INPUT + ")"),
    "directory.Location.transportation": Shown(("dir_service",)),
    "directory.Location.external_identifier": Hidden("HSDS export only; no template shows it"),
    "directory.Location.external_identifier_type": Hidden("HSDS export only; no template shows it"),
    "directory.Address.id": Hidden("HSDS identifier, never rendered"),
    "directory.Address.attention": Hidden("HSDS export only; no template shows it"),
    "directory.Address.address_1": Shown(("dir_service",)),
    "directory.Address.address_2": Shown(("dir_service",)),
    "directory.Address.city": Shown(("dir_service",)),
    "directory.Address.region": Hidden("HSDS export only; no template shows it"),
    "directory.Address.state_province": Shown(("dir_service",)),
    "directory.Address.postal_code": Shown(("dir_service",)),
    "directory.Address.country": Hidden("HSDS export only; no template shows it"),
    "directory.Address.address_type": Hidden("HSDS export only; no template shows it"),
    "directory.Accessibility.id": Hidden("HSDS identifier, never rendered"),
    "directory.Accessibility.description": Shown(("dir_service",)),
    "directory.Accessibility.details": Shown(("dir_service",)),
    "directory.Accessibility.url": Hidden(
        "HSDS export only; no template shows it (" + URL_INPUT + ")"
    ),
    "directory.Contact.id": Hidden("HSDS identifier, never rendered"),
    "directory.Contact.name": Shown(("dir_service",)),
    "directory.Contact.title": Shown(("dir_service",)),
    "directory.Contact.department": Shown(("dir_service",)),
    "directory.Contact.email": Shown(("dir_service",), "also inside a mailto: href"),
    "directory.CostOption.id": Hidden("HSDS identifier, never rendered"),
    "directory.CostOption.option": Shown(
        ("dir_service",), "through {% cost_line %}, a simple_tag (autoescaped)"
    ),
    "directory.CostOption.currency": Shown(
        ("dir_service",), "through {% cost_line %}, a simple_tag (autoescaped)"
    ),
    "directory.CostOption.amount_description": Shown(
        ("dir_service",), "through {% cost_line %}, a simple_tag (autoescaped)"
    ),
    "directory.ServiceArea.id": Hidden("HSDS identifier, never rendered"),
    "directory.ServiceArea.name": Hidden("HSDS export only; no template shows it"),
    "directory.ServiceArea.description": Hidden("HSDS export only; no template shows it"),
    "directory.ServiceArea.extent": Hidden("HSDS export only; no template shows it"),
    "directory.ServiceArea.extent_type": Hidden("HSDS export only; no template shows it"),
    "directory.ServiceArea.uri": Hidden(
        "HSDS export only; no template shows it (" + URL_INPUT + ")"
    ),
    "directory.ServiceLanguage.id": Hidden("HSDS identifier, never rendered"),
    "directory.ServiceLanguage.code": Shown(
        ("dir_service",), "shown when the language has no name"
    ),
    "directory.ServiceLanguage.name": Shown(("dir_service",)),
    "directory.ServiceLanguage.note": Shown(("dir_service",)),
    # counseling
    "counseling.Case.tier": Hidden(CODE + " (copied from the screening)"),
    "counseling.Message.body": Shown(("case_worker", "case_staff"), "encrypted at rest"),
    "counseling.Clinician.display_name": Shown(
        ("therapists", "book", "engagement", "volunteer_review", "volunteer_profile")
    ),
    "counseling.Clinician.licence_number": Shown(("volunteer_review", "volunteer_profile")),
    "counseling.Clinician.time_zone": Hidden(
        "IANA zone name checked by validate_timezone; a non-zone "
        "value cannot be stored by any input path"
    ),
    "counseling.Clinician.bio": Shown(("therapists", "volunteer_profile")),
    "counseling.Engagement.state": Hidden(CODE + " (US state from the booking form)"),
    "counseling.Engagement.language": Hidden(CODE + " (en/es)"),
    "counseling.Engagement.contact": Shown(
        ("volunteer_schedule",), "encrypted; shown only to the clinician"
    ),
    # peers
    "peers.Department.name": Shown(("peers_roster",)),
    "peers.Supporter.display_name": Shown(
        (
            "peers_roster",
            "peers_dashboard",
            "peers_queue",
            "peers_lead_request",
            "peers_supporter_edit",
        )
    ),
    "peers.Supporter.training_course": Shown(("peers_supporter_edit",)),
    "peers.PeerMessage.body": Shown(("peers_thread",)),
    "peers.SupportRequest.contact": Shown(
        ("peers_request",), "encrypted; only the accepting supporter"
    ),
    "peers.SupportRequest.best_time": Shown(
        ("peers_request",), "encrypted; only the accepting supporter"
    ),
    "peers.SupportRequest.supporter_message": Shown(
        ("peers_status",), "encrypted; the requester reads it"
    ),
    "peers.TrainingMaterial.title": Shown(
        ("peers_materials", "peers_training", "peers_material", "peers_material_edit")
    ),
    "peers.TrainingMaterial.body": Shown(
        ("peers_material", "peers_material_edit"), "HTML kept after nh3 (rendered |safe)"
    ),
    "peers.TrainingMaterial.link": Shown(
        ("peers_material", "peers_material_edit"),
        "https URL carrying a breakout; javascript: rejected at input",
    ),
    # assessments
    "assessments.Assessment.framework": Hidden(CODE + " (framework id from the YAML registry)"),
    "assessments.Assessment.title": Shown(("assess_index", "assess_answer", "assess_scorecard")),
    "assessments.Answer.criterion": Hidden(CODE + " (criterion id from the framework)"),
    "assessments.Answer.note": Shown(("assess_answer",)),
    "assessments.Answer.answered_by_label": Shown(("assess_answer",)),
    "assessments.Rating.criterion": Hidden(CODE + " (criterion id from the framework)"),
    "assessments.Rating.note": Shown(("assess_rate", "assess_consensus")),
    "assessments.ActionItem.framework": Hidden(CODE + " (framework id)"),
    "assessments.ActionItem.area": Hidden(CODE + " (area id of the framework)"),
    "assessments.ActionItem.goal": Hidden(CODE + " (goal id of the framework)"),
    "assessments.ActionItem.title": Shown(("assess_index", "assess_plan", "assess_item")),
    "assessments.ActionItem.details": Shown(("assess_item",)),
    "assessments.ActionItem.owner": Shown(("assess_index", "assess_plan", "assess_item")),
    "assessments.ActionItem.measure_key": Hidden(CODE + " (pulse measure key)"),
    "assessments.Commitment.framework": Hidden(CODE + " (framework id)"),
    "assessments.Commitment.area": Hidden(CODE + " (area id)"),
    "assessments.Commitment.suggested": Hidden(CODE + " (suggested-commitment id)"),
    "assessments.Commitment.title": Shown(("assess_plan", "assess_commitment")),
    "assessments.Commitment.description": Shown(("assess_commitment",)),
    # credentialing
    "credentialing.Audit.title": Shown(("cred_list", "cred_detail")),
    "credentialing.Audit.source_kind": Hidden(CODE + " (pdf/docx/text)"),
    "credentialing.Audit.profession": Hidden(CODE + " (profession id of the auditor vocabulary)"),
    "credentialing.AuditQuestion.text": Shown(("cred_detail",)),
    "credentialing.AuditQuestion.profession": Hidden(
        CODE + " (profession id of the auditor vocabulary)"
    ),
    # community
    "community.Event.title": Shown(("event", "manage", "event_edit", "community_staff")),
    "community.Event.place": Shown(("event", "manage", "event_edit")),
    "community.Event.link": Shown(
        ("manage_virtual",), "https URL carrying a breakout; javascript: rejected"
    ),
    "community.Event.state": Hidden(CODE + " (US state; facilitator packet PDF only)"),
    "community.Event.notes_for": Shown(("event", "event_edit")),
    "community.Event.donation_url": Shown(
        ("event", "manage", "event_edit"),
        "https URL carrying a breakout; javascript: rejected at input",
    ),
    "community.Rsvp.nickname": Shown(("manage",)),
    "community.Rsvp.reminder_email": Hidden(
        "encrypted; used only to send the reminder, never shown "
        "to anyone (the organizer sees yes/no)"
    ),
    "community.Rsvp.language": Hidden(CODE + " (en/es)"),
    "community.Note.body": Shown(
        ("event", "manage"), "stored via the ORM, bypassing the nh3 form clean"
    ),
    "community.Note.signed": Shown(("event", "manage")),
    "community.Pledge.tier": Hidden(CODE + " (toolkit tier id), never rendered"),
    "community.Pledge.display_name": Shown(("event", "manage")),
    # pulse (registered by add_pulse when the app is installed)
}

PULSE_REGISTRY: dict[str, Shown | Hidden] = {
    "pulse.Unit.name": Shown(("pulse_units", "pulse_survey", "pulse_answer")),
    "pulse.Survey.title": Shown(("pulse_index", "pulse_survey", "pulse_dashboard", "pulse_answer")),
    "pulse.CustomItem.text_en": Shown(("pulse_survey", "pulse_answer")),
    "pulse.ResultsNote.actions_en": Shown(("pulse_results",)),
    "pulse.ResultsNote.actions_es": Shown(("pulse_results_es",)),
    "pulse.CustomItem.text_es": Shown(("pulse_survey_es",)),
    "pulse.SurveyLink.key": Hidden("random link token (only inside hrefs)"),
    "pulse.Response.role_group": Hidden(CODE + " (organization role group)"),
    "pulse.Comment.text": Shown(("pulse_dashboard",), "encrypted; shown only above k_text"),
    "pulse.Rollup.role_group": Hidden(CODE + " (organization role group)"),
    "pulse.Rollup.measure": Hidden(CODE + " (measure key)"),
    "pulse.NoiseDraw.cell": Hidden(CODE + " (cell token of stored DP noise)"),
    "pulse.NoiseDraw.measure": Hidden(CODE + " (measure key of stored DP noise)"),
    "pulse.NoiseDraw.rounds": Hidden(CODE + " (round ids of stored DP noise)"),
}

# PDFs (WeasyPrint renders the same templates): fields whose text pypdf extracts reliably in each.
PDF_FIELDS: dict[str, tuple[str, ...]] = {
    "assess_pdf": (
        "assessments.Assessment.title",
        "assessments.ActionItem.title",
        "assessments.ActionItem.owner",
        "assessments.Commitment.title",
        "core.Organization.name",
    ),
    "cred_pdf": ("credentialing.Audit.title",),
    "packet_pdf": ("community.Event.title", "directory.Service.name"),
    "cards_pdf": (),
    "pulse_pdf": ("pulse.Survey.title",),
}

APP_LABELS = [
    "core",
    "screening",
    "directory",
    "counseling",
    "peers",
    "assessments",
    "credentialing",
    "community",
    "pulse",
]
_SKIPPED_NAMES = ("digest", "token", "hash")


def is_free_text(f: models.Field) -> bool:
    """CharField/TextField (EncryptedTextField included) that can hold text a person typed."""
    if not isinstance(f, (models.CharField, models.TextField)):
        return False
    return not (
        f.choices or isinstance(f, models.SlugField) or any(s in f.name for s in _SKIPPED_NAMES)
    )


def free_text_fields() -> dict[str, models.Field]:
    found = {}
    for label in APP_LABELS:
        try:
            config = apps.get_app_config(label)
        except LookupError:  # pragma: no cover - an app not installed
            continue
        for model in config.get_models():
            for f in model._meta.concrete_fields:
                if is_free_text(f):
                    found[f"{label}.{model.__name__}.{f.name}"] = f
    return found


def registry(with_pulse: bool) -> dict[str, Shown | Hidden]:
    return {**REGISTRY, **(PULSE_REGISTRY if with_pulse else {})}


# --- values -------------------------------------------------------------------------------------


def marker(key: str) -> str:
    """A short, unique, alphanumeric tag per registry key (stable across runs)."""
    keys = sorted({*REGISTRY, *PULSE_REGISTRY})
    return f"xq{keys.index(key):03d}z"


def _max_length(key: str) -> int | None:
    app, model, name = key.split(".")
    return apps.get_model(app, model)._meta.get_field(name).max_length


def value(key: str, *, no_slash: bool = False) -> str:
    """The field's marker, then the corpus packed in (rotated per field so that short fields carry
    different payloads), cut at the column's max_length."""
    limit = _max_length(key)
    tag = marker(key)
    if limit is not None and limit < len(tag) + 12:
        return SHORT[:limit]
    start = sum(map(ord, key)) % (len(ORDER) - 1)
    order = ORDER[start:-1] + ORDER[:start] + ["long"]
    text = tag + " " + " ".join(PAYLOADS[k] for k in order)
    if no_slash:
        text = text.replace("/", "")
    return text[:limit] if limit else text


def carries_marker(key: str) -> bool:
    """False for columns too short for a marker (they get ``SHORT``; only the DOM checks apply)."""
    return value(key).startswith(marker(key))


def url_value(key: str) -> str:
    """A valid-looking https URL whose query tries to break out of the href attribute."""
    limit = _max_length(key) or 500
    text = (
        f'https://example.org/{marker(key)}?q="><img src=x data-xss onerror=window.__xss=1>'
        f"&r='autofocus onfocus='window.__xss=1"
    )
    return text[:limit]


# --- the world ----------------------------------------------------------------------------------


@dataclass
class World:
    org: Organization
    users: dict[str, Any] = field(default_factory=dict)  # actor -> user (None for the worker)
    session: dict = field(default_factory=dict)  # worker session data
    # Extra session data of one actor (a community host holds their gathering's token hash).
    actor_sessions: dict[str, dict] = field(default_factory=dict)
    pages: dict[str, tuple[str, str, str]] = field(
        default_factory=dict
    )  # key -> (actor, path, lang)
    pdfs: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (actor, path)

    def page(self, key: str, actor: str, path: str, lang: str = "en") -> None:
        self.pages[key] = (actor, path, lang)


def build_world(with_pulse: bool) -> World:
    from respite.core.models import AuditLog
    from respite.core.privacy import new_access_code
    from respite.core.roles import StaffRole
    from respite.core.testing import make_org, make_staff

    v = value
    org = make_org(
        "acme",
        name=v("core.Organization.name"),
        name_es=v("core.Organization.name_es"),
        state="CA",
        welcome=v("core.Organization.welcome"),
    )
    type(org).objects.filter(pk=org.pk).update(accent_color=v("core.Organization.accent_color"))
    org.refresh_from_db()
    w = World(org=org)
    admin = make_staff(org, StaffRole.ORG_ADMIN, "xss-admin")
    w.users.update(
        worker=None,
        admin=admin,
        counselor=make_staff(org, StaffRole.COUNSELOR, "xss-counselor"),
        platform=make_staff(None, StaffRole.PLATFORM_ADMIN, "xss-platform"),
    )
    code = new_access_code(org)[1]
    from respite.screening.views import SESSION_CODE

    w.session[SESSION_CODE] = str(code.pk)
    o = f"/o/{org.slug}"
    s = f"/staff/o/{org.slug}"
    w.page("portal", "worker", f"{o}/")
    w.page("staff_home", "admin", "/staff/")
    w.page("org_settings", "admin", f"{s}/settings/")
    w.page("portal_es", "worker", f"{o}/", "es")
    w.page("platform_branding", "platform", f"/staff/organizations/{org.slug}/branding/")
    w.page("sso_settings", "admin", f"{s}/sso/")
    from respite.core.models import SingleSignOn

    SingleSignOn.objects.create(
        organization=org,
        issuer=v("core.SingleSignOn.issuer"),
        client_id=v("core.SingleSignOn.client_id"),
        client_secret=v("core.SingleSignOn.client_secret"),
        email_domains=v("core.SingleSignOn.email_domains"),
    )
    AuditLog.objects.create(
        organization=org,
        actor=admin,
        actor_label=v("core.AuditLog.actor_label"),
        action=v("core.AuditLog.action"),
        target_type=v("core.AuditLog.target_type"),
        target_id=v("core.AuditLog.target_id"),
    )
    w.page("audit_log", "admin", f"{s}/audit/")
    from respite.core.models import Invitation

    Invitation.objects.create(
        organization=org,
        email=v("core.Invitation.email"),
        is_application=True,
        display_name=v("core.Invitation.display_name"),
        roles=["volunteer_therapist"],
    )
    w.page("staff_list", "admin", f"{s}/staff/")
    from datetime import timedelta

    from django.utils import timezone

    from respite.core.models import ApiToken

    ApiToken.objects.create(
        user=admin,
        organization=org,
        name=v("core.ApiToken.name"),
        scopes=["pulse:read"],
        digest="0" * 64,
        expires_at=timezone.now() + timedelta(days=30),
    )
    w.page("api_tokens", "admin", f"{s}/api-tokens/")

    screening = _directory(w, code)
    _counseling(w, code, screening)
    _safety_plan(w, code)
    _peers(w)
    _assessments(w)
    _credentialing(w)
    _community(w)
    if with_pulse:
        _pulse(w)
    return w


def _safety_plan(w: World, code):
    from respite.screening.models import SafetyPlan

    SafetyPlan.objects.create(
        access_code=code,
        organization=w.org,
        **{f: value(f"screening.SafetyPlan.{f}") for f in SafetyPlan.SECTIONS},
    )
    w.page("safety_plan", "worker", f"/o/{w.org.slug}/my/safety-plan/")


def _directory(w: World, code):
    from respite.directory.models import (
        Accessibility,
        Address,
        Contact,
        CostOption,
        Location,
        Phone,
        Provider,
        Schedule,
        Service,
        ServiceLanguage,
    )
    from respite.screening import instruments
    from respite.screening.models import Screening

    v, org = value, w.org
    provider = Provider.objects.create(
        id="xss-provider", name=v("directory.Provider.name"), portal=org
    )
    service = Service(
        id=value("directory.Service.id", no_slash=True),
        provider=provider,
        portal=org,
        name=v("directory.Service.name"),
        description=v("directory.Service.description"),
        name_es=v("directory.Service.name_es"),
        description_es=v("directory.Service.description_es"),
        keywords=v("directory.Service.keywords"),
        url=url_value("directory.Service.url"),
        application_process=v("directory.Service.application_process"),
        fees_description=v("directory.Service.fees_description"),
        eligibility_description=v("directory.Service.eligibility_description"),
        alert=v("directory.Service.alert"),
        wait_time=v("directory.Service.wait_time"),
        interpretation_services=v("directory.Service.interpretation_services"),
        assured_by=v("directory.Service.assured_by"),
        assured_date=timezone.localdate(),
        audiences=["worker"],
        languages=["en", "es"],
        tiers=["self_care", "counseling", "urgent"],
        channels=["phone"],
        area_scope="local",
        area_states=["CA"],
    )
    service.save()  # the ORM path every writer uses: Service.save() sanitizes the HTML fields
    Phone.objects.create(
        service=service,
        number=v("directory.Phone.number"),
        type="voice",
        description=v("directory.Phone.description"),
    )
    Schedule.objects.create(
        service=service,
        byday=v("directory.Schedule.byday"),
        opens_at="08:00",
        closes_at="17:00",
        timezone=-8,
    )
    location = Location.objects.create(
        service=service,
        name=v("directory.Location.name"),
        description=v("directory.Location.description"),
        transportation=v("directory.Location.transportation"),
    )
    Address.objects.create(
        location=location,
        **{
            f: v(f"directory.Address.{f}")
            for f in ("address_1", "address_2", "city", "state_province", "postal_code")
        },
        country="US",
    )
    Accessibility.objects.create(
        location=location,
        description=v("directory.Accessibility.description"),
        details=v("directory.Accessibility.details"),
    )
    Contact.objects.create(
        service=service,
        **{f: v(f"directory.Contact.{f}") for f in ("name", "title", "department", "email")},
    )
    CostOption.objects.create(
        service=service,
        option=v("directory.CostOption.option"),
        amount=35,
        currency=v("directory.CostOption.currency"),
        amount_description=v("directory.CostOption.amount_description"),
    )
    ServiceLanguage.objects.create(
        service=service,
        code="en",
        name=v("directory.ServiceLanguage.name"),
        note=v("directory.ServiceLanguage.note"),
    )
    ServiceLanguage.objects.create(service=service, code=v("directory.ServiceLanguage.code"))
    o, s = f"/o/{org.slug}", f"/staff/o/{org.slug}"
    from urllib.parse import quote

    sid = quote(service.id, safe="")
    w.page("dir_search", "worker", f"{o}/directory/")
    w.page("dir_service", "worker", f"{o}/directory/s/{sid}/")
    w.page("dir_service_es", "worker", f"{o}/directory/s/{sid}/", "es")
    w.page("dir_curate", "admin", f"{s}/directory/")
    w.page("dir_local_edit", "admin", f"{s}/directory/local/{sid}/")
    # A saved screening result: the page recommends directory services for its tier.
    screening = Screening.do_create(
        [
            instruments.get("phq9").score(
                {str(i): a for i, a in zip(range(1, 10), [2, 2, 1, 1, 1, 2, 1, 1, 0], strict=True)}
            )
        ],
        organization=org,
    )
    screening.save_under(code)
    w.page("result", "worker", f"{o}/results/{seal(screening.pk)}/")
    return screening


def _counseling(w: World, code, screening):
    from respite.core.testing import make_user
    from respite.counseling.models import Booking, Clinician, Engagement, Message, Slot
    from respite.counseling.tests.conftest import make_case

    v, org = value, w.org
    now = timezone.now()
    case = make_case(org, code, screening=screening, opened=now)
    resources = [
        {
            "id": "x",
            "name": v("counseling.Message.body")[:300],
            "url": url_value("directory.Service.url"),
            "phone": SHORT,
        }
    ]  # JSON snapshot, also rendered
    Message.objects.create(case=case, author="worker", body=v("counseling.Message.body"))
    Message.objects.create(
        case=case,
        author="counselor",
        counselor=w.users["counselor"],
        body=v("counseling.Message.body"),
        resources=resources,
        suggests_booking=True,
    )
    user = make_user("xss-clinician")
    clinician = Clinician.objects.create(
        user=user,
        display_name=v("counseling.Clinician.display_name"),
        licence_type="lcsw",
        states=["CA"],
        licence_number=v("counseling.Clinician.licence_number"),
        languages=["en"],
        modalities=["video"],
        time_zone="America/Los_Angeles",
        bio=v("counseling.Clinician.bio"),
        verified_at=now,
    )
    w.users["clinician"] = user
    start = (now + timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    booked = Slot.objects.create(
        clinician=clinician, starts_at=start, ends_at=start + timedelta(minutes=50)
    )
    free = Slot.objects.create(
        clinician=clinician,
        starts_at=start + timedelta(hours=2),
        ends_at=start + timedelta(hours=2, minutes=50),
    )
    engagement = Engagement.objects.create(
        access_code=code,
        organization=org,
        clinician=clinician,
        state="CA",
        contact_method="text",
        contact=v("counseling.Engagement.contact"),
    )
    Booking.objects.create(engagement=engagement, slot=booked)
    o, s = f"/o/{org.slug}", f"/staff/o/{org.slug}"
    w.page("case_worker", "worker", f"{o}/counseling/cases/{seal(case.pk)}/")
    w.page("case_staff", "counselor", f"{s}/counseling/cases/{case.pk}/")
    w.page("counseling_queue", "counselor", f"{s}/counseling/")
    w.page("therapists", "worker", f"{o}/counseling/therapists/?state=CA&language=en")
    w.page("book", "worker", f"{o}/counseling/therapists/slots/{seal(free.pk)}/book/?state=CA")
    w.page("engagement", "worker", f"{o}/counseling/sessions/{seal(engagement.pk)}/")
    w.page("volunteer_schedule", "clinician", "/staff/volunteers/")
    w.page("volunteer_profile", "clinician", "/staff/volunteers/profile/")
    w.page("volunteer_review", "platform", "/staff/volunteers/review/")


def _peers(w: World):
    from respite.core.roles import StaffRole
    from respite.core.testing import make_staff
    from respite.peers.models import (
        Department,
        PeerMessage,
        PeerProgram,
        Source,
        Supporter,
        SupportRequest,
        TrainingMaterial,
    )
    from respite.peers.views import SESSION_KEY

    v, org = value, w.org
    PeerProgram.for_org(org).leads.add(w.users["admin"])
    dept = Department.objects.create(organization=org, name=v("peers.Department.name"))
    user = make_staff(org, StaffRole.PEER_SUPPORTER, "xss-supporter")
    w.users["supporter"] = user
    supporter = Supporter.objects.create(
        organization=org,
        user=user,
        display_name=v("peers.Supporter.display_name"),
        training_course=v("peers.Supporter.training_course"),
        languages=["en"],
    )
    supporter.departments.set([dept])
    req = SupportRequest.objects.create(
        organization=org,
        source=Source.SELF_CONTACT,
        contact=v("peers.SupportRequest.contact"),
        best_time=v("peers.SupportRequest.best_time"),
        supporter_message=v("peers.SupportRequest.supporter_message"),
        assigned=supporter,
        accepted_at=timezone.now(),
    )
    # A second, waiting request so the lead sees suggested supporters (display names) for it.
    waiting = SupportRequest.objects.create(
        organization=org, source=Source.SELF_CONTACT, contact="x"
    )
    w.session[SESSION_KEY] = {str(req.pk): "requester"}
    # An anonymous request with a two-way thread, read by its supporter.
    thread = SupportRequest.objects.create(
        organization=org, source=Source.SELF_CODE, assigned=supporter, accepted_at=timezone.now()
    )
    PeerMessage.objects.create(
        request=thread, author=PeerMessage.Author.WORKER, body=v("peers.PeerMessage.body")
    )
    material = TrainingMaterial.objects.create(  # save() sanitizes the body with nh3
        organization=org,
        title=v("peers.TrainingMaterial.title"),
        body=v("peers.TrainingMaterial.body"),
        link=url_value("peers.TrainingMaterial.link"),
        published=True,
    )
    o, s = f"/o/{org.slug}/peer-support", f"/staff/o/{org.slug}/peer-support"
    w.page("peers_status", "worker", f"{o}/status/{seal(req.pk)}/")
    w.page("peers_inbox", "supporter", f"{s}/")
    w.page("peers_request", "supporter", f"{s}/r/{req.pk}/")
    w.page("peers_thread", "supporter", f"{s}/r/{thread.pk}/")
    w.page("peers_training", "supporter", f"{s}/training/")
    w.page("peers_material", "supporter", f"{s}/training/{material.pk}/")
    w.page("peers_dashboard", "admin", f"{s}/lead/?period=all")
    w.page("peers_queue", "admin", f"{s}/lead/queue/")
    w.page("peers_lead_request", "admin", f"{s}/lead/queue/{waiting.pk}/")
    w.page("peers_roster", "admin", f"{s}/lead/roster/")
    w.page("peers_supporter_edit", "admin", f"{s}/lead/roster/{supporter.pk}/")
    w.page("peers_materials", "admin", f"{s}/lead/materials/")
    w.page("peers_material_edit", "admin", f"{s}/lead/materials/{material.pk}/")


def _assessments(w: World):
    from respite.assessments.models import ActionItem, Answer, Assessment, Commitment, Rater, Rating

    v, org, admin = value, w.org, w.users["admin"]
    assessment = Assessment.objects.create(
        organization=org,
        framework="all_in",
        title=v("assessments.Assessment.title"),
        started_by=admin,
    )
    Answer.objects.create(
        assessment=assessment,
        criterion="access_off_hours",
        value=1,
        note=v("assessments.Answer.note"),
        answered_by=admin,
        answered_by_label=v("assessments.Answer.answered_by_label"),
    )
    item = ActionItem.objects.create(
        organization=org,
        assessment=assessment,
        framework="all_in",
        area="access",
        title=v("assessments.ActionItem.title"),
        details=v("assessments.ActionItem.details"),
        owner=v("assessments.ActionItem.owner"),
        due_date=timezone.localdate() + timedelta(days=3),
    )
    commitment = Commitment.objects.create(
        organization=org,
        title=v("assessments.Commitment.title"),
        description=v("assessments.Commitment.description"),
        target_date=timezone.localdate() + timedelta(days=90),
    )
    rater = Rater.objects.create(assessment=assessment, user=admin, invited_by=admin)
    Rating.objects.create(
        assessment=assessment,
        rater=rater,
        criterion="access_off_hours",
        value=2,
        note=v("assessments.Rating.note"),
    )
    s = f"/staff/o/{org.slug}/assessments"
    w.page("assess_index", "admin", f"{s}/")
    w.page("assess_rate", "admin", f"{s}/{assessment.pk}/rate/")
    w.page("assess_consensus", "admin", f"{s}/{assessment.pk}/consensus/")
    w.page("assess_answer", "admin", f"{s}/{assessment.pk}/")
    w.page("assess_scorecard", "admin", f"{s}/{assessment.pk}/scorecard/")
    w.page("assess_plan", "admin", f"{s}/plan/")
    w.page("assess_item", "admin", f"{s}/plan/{item.pk}/")
    w.page("assess_commitment", "admin", f"{s}/commitments/{commitment.pk}/")
    w.pdfs["assess_pdf"] = ("admin", f"{s}/{assessment.pk}/report.pdf")


def _credentialing(w: World):
    from respite.credentialing.models import Audit, AuditQuestion

    v, org = value, w.org
    audit = Audit.objects.create(
        organization=org,
        title=v("credentialing.Audit.title"),
        source_kind="text",
        profession="nursing",
        created_by=w.users["admin"],
    )
    for position, label in enumerate(["intrusive", "acceptable", "other"], start=1):
        AuditQuestion.objects.create(
            audit=audit,
            position=position,
            text=v("credentialing.AuditQuestion.text"),
            label=label,
            profession="nursing",
            location={"page": 1},
            notes=[PAYLOADS["img_onerror"], PAYLOADS["dq_breakout"]],
        )
    s = f"/staff/o/{org.slug}/credentialing"
    w.page("cred_list", "admin", f"{s}/")
    w.page("cred_detail", "admin", f"{s}/{audit.pk}/")
    w.pdfs["cred_pdf"] = ("admin", f"{s}/{audit.pk}/report.pdf")


def _community(w: World):
    from respite.community.models import Event, Note, Pledge, Rsvp

    v, org = value, w.org

    def event(**kwargs) -> tuple[Event, str]:
        e = Event(
            organization=org,
            audience="mixed",
            starts_at=timezone.now() + timedelta(days=7),
            time_zone="America/New_York",
            pledge_goal=500,
            **kwargs,
        )
        token = e.new_manage_token()
        e.save()
        return e, token

    e, token = event(
        title=v("community.Event.title"),
        format="in_person",
        place=v("community.Event.place"),
        notes_for=v("community.Event.notes_for"),
        donation_url=url_value("community.Event.donation_url"),
    )
    Rsvp.objects.create(
        event=e,
        nickname=v("community.Rsvp.nickname"),
        party_size=2,
        reminder_email=v("community.Rsvp.reminder_email"),
    )
    for status in ("approved", "pending"):
        Note.objects.create(
            event=e, body=v("community.Note.body"), signed=v("community.Note.signed"), status=status
        )
    Pledge.objects.create(event=e, amount=25, display_name=v("community.Pledge.display_name"))
    # The same payloads through the real note form (nh3 clean, entities decoded), approved.
    from respite.community.forms import NoteForm

    form = NoteForm(
        data={"body": v("community.Note.body")[:1000], "signed": v("community.Note.signed")}
    )
    if form.is_valid():  # the form may refuse some payloads outright, which is fine too
        form.instance.event = e
        form.instance.status = "approved"
        form.save()
    virtual, vtoken = event(
        title="Online", format="virtual", link=url_value("community.Event.link")
    )
    o = f"/o/{org.slug}/community"
    w.page("event", "worker", f"{o}/e/{e.pk}/")
    # A host opened their link: the session holds the token's keyed hash (community.views.open_manage).
    from respite.community.views import SESSION_MANAGE

    for actor, gathering in (("host", e), ("host_virtual", virtual)):
        w.users[actor] = None
        w.actor_sessions[actor] = {SESSION_MANAGE: gathering.manage_digest}
    w.page("manage", "host", f"{o}/manage/gathering/")
    w.page("event_edit", "host", f"{o}/manage/gathering/edit/")
    w.page("manage_virtual", "host_virtual", f"{o}/manage/gathering/")
    w.page("community_staff", "admin", f"/staff/o/{org.slug}/community/")
    w.pdfs["packet_pdf"] = ("host", f"{o}/manage/gathering/packet.pdf")
    w.pdfs["cards_pdf"] = ("worker", f"{o}/cards.pdf?event={e.pk}")


PULSE_COVERED = apps.is_installed("respite.pulse")


def _pulse(w: World):
    from respite.pulse.models import (
        Comment,
        CustomItem,
        ResultsNote,
        Round,
        Survey,
        SurveyToken,
        Unit,
        do_submit,
    )
    from respite.pulse.releases import do_release

    v, org = value, w.org
    unit = Unit.objects.create(organization=org, name=v("pulse.Unit.name"))
    survey = Survey.objects.create(
        organization=org,
        title=v("pulse.Survey.title"),
        instruments=["burnout"],
        work_items=["workload"],
        allow_comments=True,
        status=Survey.Status.OPEN,
        mode=Survey.Mode.INVITATION,
    )
    CustomItem.objects.create(
        survey=survey, text_en=v("pulse.CustomItem.text_en"), text_es=v("pulse.CustomItem.text_es")
    )
    today = timezone.localdate()
    rnd = Round.objects.create(
        survey=survey,
        number=1,
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=6),
    )
    (invitation,) = SurveyToken.issue(survey, unit, 1)
    # Enough respondents for comments to be shown (k_text), one comment through the real submit path.
    items = [item for _heading, part in survey.parts() for item in part]
    for i in range(survey.k_text()):
        answers = {item.field_name: sorted(item.values)[i % len(item.values)] for item in items}
        do_submit(survey, rnd, unit, "", answers, v("pulse.Comment.text") if i == 0 else "")
    do_release(survey, rnd, final=True)  # comments and figures are shown only once released
    ResultsNote.objects.create(
        round=rnd,
        actions_en=v("pulse.ResultsNote.actions_en"),
        actions_es=v("pulse.ResultsNote.actions_es"),
        published=True,
    )
    assert Comment.objects.filter(round=rnd, release__isnull=False).count() == 1
    o, s = f"/o/{org.slug}/pulse", f"/staff/o/{org.slug}/pulse"
    w.page("pulse_index", "admin", f"{s}/")
    w.page("pulse_units", "admin", f"{s}/units/")
    w.page("pulse_survey", "admin", f"{s}/surveys/{survey.pk}/")
    w.page("pulse_survey_es", "admin", f"{s}/surveys/{survey.pk}/", "es")
    w.page("pulse_dashboard", "admin", f"{s}/surveys/{survey.pk}/dashboard/")
    w.session["pulse_invitation"] = SurveyToken.digests(
        invitation
    )  # posted from the link's fragment
    w.page("pulse_answer", "worker", f"{o}/t/")
    w.page("pulse_results", "worker", f"{o}/results/{survey.pk}/{rnd.number}/")
    w.page("pulse_results_es", "worker", f"{o}/results/{survey.pk}/{rnd.number}/", "es")
    w.pdfs["pulse_pdf"] = ("admin", f"{s}/surveys/{survey.pk}/export.pdf")


def session_cookie(user, data: dict | None = None) -> str:
    """A session for ``user`` (None: an anonymous worker) holding ``data``; returns its cookie value."""
    client = Client()
    if user is not None:
        client.force_login(user)
    session = client.session
    session.update(data or {})
    session.save()
    assert session.session_key is not None
    return session.session_key
