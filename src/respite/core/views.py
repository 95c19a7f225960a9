from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from respite.core.forms import OrganizationSettingsForm, ThrottledLoginForm
from respite.core.models import (
    AuditLog,
    Membership,
    Organization,
    is_platform_admin,
    organizations_for,
)
from respite.core.portal import portal_view, staff_view
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
