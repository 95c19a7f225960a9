from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from respite.core.forms import OrganizationSettingsForm, ThrottledLoginForm
from respite.core.models import AuditLog, Membership, Organization, organizations_for
from respite.core.portal import portal_view, staff_view
from respite.core.resources import crisis_options
from respite.core.roles import StaffRole


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
    memberships = Membership.objects.for_user(request.user).select_related("organization")
    admin_orgs = organizations_for(request.user, StaffRole.ORG_ADMIN)
    return render(request, "core/staff_home.html", {"memberships": memberships, "admin_orgs": admin_orgs})


@staff_view(StaffRole.ORG_ADMIN)
def organization_settings(request: HttpRequest) -> HttpResponse:
    org = request.organization
    form = OrganizationSettingsForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            AuditLog.record(request.user, "organization.settings_changed", org, organization=org,
                            fields=sorted(form.changed_data))
        messages.success(request, _("Settings saved."))
        return redirect("core:organization_settings", org=org.slug)
    return render(request, "core/organization_settings.html", {"form": form})


@staff_view(StaffRole.ORG_ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditLog.objects.filter(organization=request.organization).select_related("actor")[:200]
    return render(request, "core/audit_log.html", {"entries": entries})
