from __future__ import annotations

import json

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respite.core import alerts
from respite.core.forms import OrganizationSettingsForm, ReplyEmailForm, ThrottledLoginForm
from respite.core.models import (
    AuditLog,
    Membership,
    Organization,
    is_platform_admin,
    organizations_for,
)
from respite.core.portal import client_language, portal_view, staff_view
from respite.core.resources import crisis_options
from respite.core.roles import StaffRole
from respite.core.tasks import queue_health, retry_failed


def home(request: HttpRequest) -> HttpResponse:
    orgs = list(Organization.objects.filter(is_listed=True))
    if len(orgs) == 1:
        return redirect(orgs[0])
    return render(request, "core/home.html", {"organizations": orgs})


@portal_view
def portal(request: HttpRequest) -> HttpResponse:
    from respite.screening.instruments import registry

    return render(request, "core/portal.html", {"instruments": registry().values()})


def crisis(request: HttpRequest) -> HttpResponse:
    return render(request, "core/crisis.html", {"crisis_options": crisis_options()})


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    template_name = "core/login.html"
    redirect_authenticated_user = True


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """Each organization the user works in, with the staff pages their roles open.

    Apps add pages with ``respite_staff_nav = [(url_name, label, (roles...)), ...]``; the url takes
    the organization slug as ``org``.
    """
    memberships = list(Membership.objects.for_user(request.user).select_related("organization"))
    roles_by_org: dict[Organization, set[str]] = {}
    for org in organizations_for(request.user, StaffRole.ORG_ADMIN):
        roles_by_org.setdefault(org, set()).add(StaffRole.ORG_ADMIN)
    for m in memberships:
        if m.organization is not None:
            roles_by_org.setdefault(m.organization, set()).add(m.role)
    links = [entry for config in apps.get_app_configs() for entry in getattr(config, "respite_staff_nav", [])]
    orgs = [
        {"org": org, "links": [(url, label) for url, label, roles in links if roles_by_org[org] & set(roles)],
         "is_admin": StaffRole.ORG_ADMIN in roles_by_org[org]}
        for org in sorted(roles_by_org, key=lambda o: o.name)
    ]
    # Pages that belong to no organization (e.g. volunteer therapists'): (url name, label, "dotted.predicate")
    # where the predicate takes the user.
    global_links = [
        (url, label)
        for config in apps.get_app_configs()
        for url, label, predicate in getattr(config, "respite_staff_global_nav", [])
        if import_string(predicate)(request.user)
    ]
    return render(request, "core/staff_home.html",
                  {"memberships": memberships, "orgs": orgs, "global_links": global_links,
                   "is_platform_admin": is_platform_admin(request.user)})


@staff_view(StaffRole.ORG_ADMIN)
def organization_settings(request: HttpRequest) -> HttpResponse:
    org = request.organization
    form = OrganizationSettingsForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        AuditLog.save_form(form, request.user, "organization.settings_changed", organization=org)
        messages.success(request, _("Settings saved."))
        return redirect("core:organization_settings", org=org.slug)
    return render(request, "core/organization_settings.html", {"form": form})


@staff_view(StaffRole.ORG_ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditLog.objects.filter(organization=request.organization).select_related("actor")[:200]
    return render(request, "core/audit_log.html", {"entries": entries})


@login_required
def background_tasks(request: HttpRequest) -> HttpResponse:
    """Platform admins: the queue's backlog, failed tasks and undelivered email, with a retry button.
    Shows task names, error classes, kinds and days only: never arguments, addresses or content."""
    if not is_platform_admin(request.user):
        raise Http404
    if request.method == "POST":
        tasks, emails = retry_failed()
        AuditLog.record(request.user, "core.tasks_retried", tasks=tasks, emails=emails)
        messages.success(request, _("Trying %(tasks)s task(s) and %(emails)s email(s) again.")
                         % {"tasks": tasks, "emails": emails})
        return redirect("core:background_tasks")
    return render(request, "core/background_tasks.html", {"health": queue_health()})


@portal_view
def worker_alerts(request: HttpRequest) -> HttpResponse:
    """A worker chooses how to hear of replies and check-ins, under their access code. No code in
    this browser: the page says how to get one and changes nothing."""
    code = alerts.session_code(request)
    lang = client_language(request)
    if code is not None and request.method == "POST":
        action = request.POST.get("action", "")
        if action == "email":
            form = ReplyEmailForm(request.POST)
            if not form.is_valid():
                return _render_alerts(request, code, email_form=form, status=400)
            alerts.set_reply_email(code, form.cleaned_data["email"], lang)
            messages.success(request, _("We will email you only to say you have a reply."))
        elif action == "checkin":
            try:
                days = int(request.POST.get("days", "0"))
            except ValueError:
                days = 0
            alerts.set_checkin(code, days)
            messages.success(request, _("Check-in reminders updated."))
        elif action == "off":
            alerts.forget(code)
            messages.success(request, _("All alerts are off, and what you gave for them is deleted."))
        return redirect("worker_alerts", org=request.organization.slug)
    return _render_alerts(request, code)


def _render_alerts(request: HttpRequest, code, *, email_form=None, status: int = 200) -> HttpResponse:
    from respite.core.models import WorkerAlert

    chosen = list(WorkerAlert.objects.filter(access_code=code)) if code else []
    push = [a for a in chosen if a.channel == WorkerAlert.Channel.PUSH]
    context = {
        "code": code,
        "push_key": alerts.vapid_public_key() if code else "",
        "push_count": len(push),
        "checkin_days": next((a.checkin_days for a in push if a.checkin_days), 0),
        "checkin_choices": alerts.CHECKIN_CHOICES,
        "has_email": any(a.channel == WorkerAlert.Channel.EMAIL for a in chosen),
        "email_form": email_form or ReplyEmailForm(),
    }
    return render(request, "core/alerts.html", context, status=status)


@require_POST
@portal_view
def worker_alerts_push(request: HttpRequest) -> HttpResponse:
    """The page's script posts the browser's PushSubscription here (JSON)."""
    code = alerts.session_code(request)
    if code is None:
        return JsonResponse({"detail": _("Enter your access code first.")}, status=403)
    if len(request.body) > 4096:
        return JsonResponse({"detail": _("This browser sent a subscription we cannot use.")}, status=400)
    try:
        data = json.loads(request.body or b"{}")
        alerts.subscribe_push(code, data.get("subscription"), client_language(request), int(data.get("days") or 0))
    except (ValueError, AttributeError, TypeError, alerts.AlertError) as exc:
        message = str(exc) if isinstance(exc, alerts.AlertError) else _("This browser sent a subscription we cannot use.")
        return JsonResponse({"detail": message}, status=400)
    return JsonResponse({"detail": _("Notifications are on for this device.")}, status=201)
