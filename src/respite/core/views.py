from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from respite.core import alerts, audit, privacy, sso, units
from respite.core.forms import (
    AcceptInvitationForm,
    BrandingForm,
    InviteForm,
    OrganizationCreateForm,
    OrganizationSettingsForm,
    ProfileForm,
    ReplyEmailForm,
    RolesForm,
    SingleSignOnForm,
    SsoEmailForm,
    ThrottledLoginForm,
    VolunteerApplicationForm,
)
from respite.core.models import (
    AuditLog,
    Invitation,
    Membership,
    Organization,
    OrganizationLogo,
    RoleGrantRequest,
    SingleSignOn,
    is_platform_admin,
)
from respite.core.navigation import staff_navigation
from respite.core.notify import profile_for, staff_time_zone
from respite.core.portal import (
    AccountRequest,
    PortalRequest,
    StaffRequest,
    client_language,
    portal_view,
    staff_view,
)
from respite.core.resources import crisis_options
from respite.core.roles import ORG_ROLES, StaffRole
from respite.core.staff import (
    StaffError,
    do_accept_invitation,
    do_apply_as_volunteer,
    do_approve_application,
    do_create_organization,
    do_deactivate,
    do_decide_grant,
    do_invite,
    do_resend,
    do_set_roles,
    do_withdraw,
    invitation_for_token,
    roles_in,
)
from respite.core.tasks import queue_email, queue_health, retry_failed


def home(request: HttpRequest) -> HttpResponse:
    orgs = list(Organization.objects.filter(is_listed=True))
    if len(orgs) == 1:
        return redirect(orgs[0])
    return render(request, "core/home.html", {"organizations": orgs})


@portal_view
def portal(request: PortalRequest) -> HttpResponse:
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
    """Each organization the person works in, with the pages their roles open there (the same links
    as the staff header: respite.core.navigation)."""
    nav = staff_navigation(request.user)
    memberships = list(Membership.objects.for_user(request.user).select_related("organization"))
    return render(request, "core/staff_home.html", {"memberships": memberships, "nav": nav})


@staff_view(StaffRole.ORG_ADMIN)
def organization_settings(request: StaffRequest) -> HttpResponse:
    org = request.organization
    form = OrganizationSettingsForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        AuditLog.save_form(form, request.user, "organization.settings_changed", organization=org)
        messages.success(request, _("Settings saved."))
        return redirect("core:organization_settings", org=org.slug)
    return render(request, "core/organization_settings.html", {"form": form})


@staff_view(StaffRole.ORG_ADMIN)
def audit_log(request: StaffRequest) -> HttpResponse:
    """Who did what and when, in sentences; per-worker events only as suppressed counts."""
    org = request.organization
    actions = sorted(
        a
        for a in AuditLog.objects.filter(organization=org)
        .values_list("action", flat=True)
        .distinct()
        if not audit.is_worker_event(a)
    )
    form = audit.AuditFilterForm(request.GET or None, actions=actions)
    if form.is_bound and not form.is_valid():
        return render(request, "core/audit_log.html", {"form": form, "page": None}, status=400)
    data = form.cleaned_data if form.is_bound else {}
    matched = audit.filtered(org, data)
    counts = audit.worker_event_counts(matched, org)
    entries = audit.listed(matched)
    if request.GET.get("format") == "csv":
        AuditLog.record(request.user, "audit.exported", organization=org)
        response = HttpResponse(
            audit.as_csv(entries, counts), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="audit-{org.slug}.csv"'
        return response
    page = Paginator(entries, audit.PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": audit.rows(list(page.object_list)),
            "counts": counts,
            "query": query.urlencode(),
            "who_choices": sorted(
                set(
                    AuditLog.objects.filter(organization=org)
                    .exclude(actor_label="")
                    .values_list("actor_label", flat=True)
                )
            ),
        },
    )


@login_required
def background_tasks(request: HttpRequest) -> HttpResponse:
    """Platform admins: the queue's backlog, failed tasks and undelivered email, with a retry button.
    Shows task names, error classes, kinds and days only: never arguments, addresses or content."""
    if not is_platform_admin(request.user):
        raise Http404
    if request.method == "POST":
        tasks, emails = retry_failed()
        AuditLog.record(request.user, "core.tasks_retried", tasks=tasks, emails=emails)
        messages.success(
            request,
            _("Trying %(tasks)s task(s) and %(emails)s email(s) again.")
            % {"tasks": tasks, "emails": emails},
        )
        return redirect("core:background_tasks")
    return render(request, "core/background_tasks.html", {"health": queue_health()})


@portal_view
def worker_alerts(request: PortalRequest) -> HttpResponse:
    """A worker chooses how to hear of replies and check-ins, under their access code. No code in
    this browser: the page says how to get one and changes nothing."""
    code = privacy.session_code(request)
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
            messages.success(
                request, _("All alerts are off, and what you gave for them is deleted.")
            )
        return redirect("worker_alerts", org=request.organization.slug)
    return _render_alerts(request, code)


def _render_alerts(
    request: HttpRequest, code, *, email_form=None, status: int = 200
) -> HttpResponse:
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
def worker_alerts_push(request: PortalRequest) -> HttpResponse:
    """The page's script posts the browser's PushSubscription here (JSON)."""
    code = privacy.session_code(request)
    if code is None:
        return JsonResponse({"detail": _("Enter your access code first.")}, status=403)
    if len(request.body) > alerts.MAX_PUSH_SUBSCRIPTION_BYTES:
        return JsonResponse(
            {"detail": _("This browser sent a subscription we cannot use.")}, status=400
        )
    try:
        data = json.loads(request.body or b"{}")
        alerts.subscribe_push(
            code, data.get("subscription"), client_language(request), int(data.get("days") or 0)
        )
    except (ValueError, AttributeError, TypeError, alerts.AlertError) as exc:
        message = (
            str(exc)
            if isinstance(exc, alerts.AlertError)
            else _("This browser sent a subscription we cannot use.")
        )
        return JsonResponse({"detail": message}, status=400)
    return JsonResponse({"detail": _("Notifications are on for this device.")}, status=201)


# --- Organization console: staff and roles --------------------------------------------------------


def _members(org: Organization) -> list:
    """Everyone holding a role here (peer-program leads included), with their roles: three queries."""
    from respite.peers.models import PeerProgram

    roles: dict[int, set[str]] = {}
    for user_id, role in Membership.objects.filter(organization=org).values_list("user_id", "role"):
        roles.setdefault(user_id, set()).add(role)
    for user_id in PeerProgram.objects.filter(organization=org).values_list("leads", flat=True):
        if user_id is not None:
            roles.setdefault(user_id, set()).add(StaffRole.PEER_LEAD)
    labels = dict(StaffRole.choices)
    return [
        {
            "user": user,
            "roles": [labels[r] for r in ORG_ROLES if r in roles[user.pk]]
            if user.is_active
            else [],
        }
        for user in get_user_model().objects.filter(pk__in=roles).order_by("username")
    ]


def _get_member_for_admin(request: PortalRequest, user_id: int):
    """A person holding a role in the admin's organization; 404 for anyone else."""
    for entry in _members(request.organization):
        if entry["user"].pk == user_id:
            return entry["user"]
    raise Http404


def _get_invitation_for_admin(request: PortalRequest, pk: int) -> Invitation:
    return get_object_or_404(Invitation, pk=pk, organization=request.organization)


@staff_view(StaffRole.ORG_ADMIN)
def staff_list(request: StaffRequest) -> HttpResponse:
    org = request.organization
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_invite(request.user, org, form.cleaned_data["email"], form.cleaned_data["roles"])
        except StaffError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("core:staff_list", org=org.slug)
    invitations = Invitation.objects.filter(
        organization=org, accepted_at__isnull=True, revoked_at__isnull=True
    )
    grants = RoleGrantRequest.objects.filter(
        organization=org, decided_at__isnull=True
    ).select_related("user", "requested_by")
    return render(
        request,
        "core/staff_list.html",
        {
            "form": form,
            "members": _members(org),
            "invitations": [i for i in invitations if not i.is_application or i.digest],
            "applications": [i for i in invitations if i.is_application and not i.digest],
            "grants": grants,
            "apply_link": request.build_absolute_uri(
                reverse("core:volunteer_apply", kwargs={"org": org.slug})
            ),
        },
        status=400 if form.errors else 200,
    )


@staff_view(StaffRole.ORG_ADMIN)
def staff_member(request: StaffRequest, user_id: int) -> HttpResponse:
    org = request.organization
    member = _get_member_for_admin(request, user_id)
    current = sorted(roles_in(member, org) & set(ORG_ROLES))
    form = RolesForm(request.POST if request.method == "POST" else None, initial={"roles": current})
    if request.method == "POST" and form.is_valid():
        try:
            waiting = do_set_roles(request.user, org, member, form.cleaned_data["roles"])
        except StaffError as exc:
            form.add_error(None, exc.message)
        else:
            if waiting:
                messages.info(
                    request,
                    _(
                        "Roles saved. A role for your own account that reads or routes "
                        "worker content waits for a second admin's approval."
                    ),
                )
            else:
                messages.success(request, _("Roles saved."))
            return redirect("core:staff_list", org=org.slug)
    return render(
        request,
        "core/staff_member.html",
        {"form": form, "member": member},
        status=400 if form.errors else 200,
    )


@require_POST
@staff_view(StaffRole.ORG_ADMIN)
def staff_deactivate(request: StaffRequest, user_id: int) -> HttpResponse:
    member = _get_member_for_admin(request, user_id)
    try:
        do_deactivate(request.user, request.organization, member)
    except StaffError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(name)s no longer has any role here.") % {"name": member.get_username()}
        )
    return redirect("core:staff_list", org=request.organization.slug)


@require_POST
@staff_view(StaffRole.ORG_ADMIN)
def invitation_action(request: StaffRequest, pk: int, action: str) -> HttpResponse:
    invitation = _get_invitation_for_admin(request, pk)
    actions = {"resend": do_resend, "withdraw": do_withdraw, "approve": do_approve_application}
    if action not in actions:
        raise Http404
    try:
        actions[action](request.user, invitation)
    except StaffError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("core:staff_list", org=request.organization.slug)


@require_POST
@staff_view(StaffRole.ORG_ADMIN)
def grant_decide(request: StaffRequest, pk: int) -> HttpResponse:
    grant = get_object_or_404(RoleGrantRequest, pk=pk, organization=request.organization)
    try:
        do_decide_grant(request.user, grant, approve=request.POST.get("decision") == "approve")
    except StaffError as exc:
        messages.error(request, exc.message)
        return redirect("core:staff_list", org=request.organization.slug)
    messages.success(request, _("Done."))
    return redirect("core:staff_list", org=request.organization.slug)


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation email. A new address sets a password; an existing account signs in
    first. Unknown, used, withdrawn and expired links get the same page."""
    invitation = invitation_for_token(token)
    if invitation is None:
        return render(request, "core/invitation_invalid.html", status=404)
    User = get_user_model()
    # An active account with this address signs in first; a deactivated one is reactivated by the link.
    existing = User.objects.filter(
        Q(username__iexact=invitation.email) | Q(email__iexact=invitation.email), is_active=True
    ).first()
    if existing is not None and request.user != existing:
        return render(
            request,
            "core/invitation_sign_in.html",
            {"invitation": invitation},
            status=403 if request.user.is_authenticated else 200,
        )
    form = (
        AcceptInvitationForm(request.POST or None, email=invitation.email)
        if existing is None
        else None
    )
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            user = do_accept_invitation(
                invitation, user=existing, password=form.cleaned_data["password1"] if form else ""
            )
        except StaffError as exc:
            messages.error(request, exc.message)
            return redirect("core:staff_home")
        if existing is None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("Welcome to Respite. Check your profile: email, language and time zone.")
        )
        return redirect("core:staff_home")
    return render(
        request,
        "core/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if form is not None and form.errors else 200,
    )


@portal_view
def volunteer_apply(request: PortalRequest) -> HttpResponse:
    """Licensed therapists ask to volunteer with this organization; an admin approves and the
    invitation follows. The licence is then verified by a platform admin on the therapist's profile."""
    org = request.organization
    form = VolunteerApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Applications are counted like failures: a few per address, so nobody floods an admin's list.
        try:
            keys = privacy.check_credential(
                request,
                form.cleaned_data["email"].lower(),
                kind="volunteer_apply",
                per_credential=3,
                per_address=30,
            )
        except privacy.Throttled:
            form.add_error(None, _("Too many applications from here. Please try again later."))
        else:
            for key in keys:
                privacy.throttle_record_failure(key)
            do_apply_as_volunteer(
                org, form.cleaned_data["email"], form.cleaned_data["display_name"]
            )
            return render(request, "core/volunteer_applied.html")
    return render(
        request, "core/volunteer_apply.html", {"form": form}, status=400 if form.errors else 200
    )


# --- Platform console ------------------------------------------------------------------------------


@login_required
def platform_organizations(request: HttpRequest) -> HttpResponse:
    if not is_platform_admin(request.user):
        raise Http404
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = do_create_organization(request.user, form, form.cleaned_data["admin_email"])
        messages.success(
            request,
            _("%(name)s created; its admin's invitation is on its way.") % {"name": org.name},
        )
        return redirect("core:staff_list", org=org.slug)
    return render(
        request,
        "core/platform_organizations.html",
        {"form": form, "organizations": Organization.objects.all()},
        status=400 if form.errors else 200,
    )


@login_required
def platform_branding(request: HttpRequest, org: str) -> HttpResponse:
    """Platform console: an organization's names (English and Spanish) and logo."""
    if not is_platform_admin(request.user):
        raise Http404
    organization = get_object_or_404(Organization, slug=org)
    form = BrandingForm(request.POST or None, request.FILES or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        from respite.core.branding import digest

        png = form.cleaned_data["logo"]
        changed = sorted(set(form.changed_data) - {"remove_logo", "logo"})
        with transaction.atomic():
            organization = form.save()
            if png:
                OrganizationLogo.objects.update_or_create(
                    organization=organization, defaults={"png": png, "digest": digest(png)}
                )
                organization.logo_digest = digest(png)
                changed.append("logo")
            elif form.cleaned_data["remove_logo"] and organization.logo_digest:
                OrganizationLogo.objects.filter(organization=organization).delete()
                organization.logo_digest = ""
                changed.append("logo")
            organization.save(update_fields=["logo_digest"])
            AuditLog.record(
                request.user,
                "organization.branding_changed",
                organization,
                organization=organization,
                fields=sorted(changed),
            )
        messages.success(request, _("Branding saved."))
        return redirect("core:platform_branding", org=organization.slug)
    return render(
        request,
        "core/platform_branding.html",
        {"form": form, "branded": organization},
        status=400 if form.errors else 200,
    )


def organization_logo(request: HttpRequest, org: str, digest: str) -> HttpResponse:
    """The logo, as the PNG made at upload. Its URL names its content, so browsers may keep it."""
    logo = get_object_or_404(OrganizationLogo, organization__slug=org, digest=digest)
    response = HttpResponse(bytes(logo.png), content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = 'inline; filename="logo.png"'
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Staff profile and passwords -------------------------------------------------------------------


@login_required
def profile(request: AccountRequest) -> HttpResponse:
    user = request.user
    prof = profile_for(user)
    initial = {
        "email": user.email,
        "language": prof.language,
        "time_zone": prof.time_zone,
        "frequency": prof.frequency,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user.email = data["email"].strip().lower()
            user.save(update_fields=["email"])
            prof.language, prof.time_zone, prof.frequency = (
                data["language"],
                data["time_zone"],
                data["frequency"],
            )
            prof.save(update_fields=["language", "time_zone", "frequency"])
            AuditLog.record(user, "staff.profile_changed", user, fields=sorted(form.changed_data))
        translation.activate(prof.language)
        response = redirect("core:profile")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            prof.language,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
        messages.success(request, _("Profile saved."))
        return response
    return render(
        request,
        "core/profile.html",
        {"form": form, "zone": staff_time_zone(user)},
        status=400 if form.errors else 200,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "core/password_form.html"
    success_url = reverse_lazy("core:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        AuditLog.record(self.request.user, "staff.password_changed", self.request.user)
        messages.success(self.request, _("Password changed."))
        return response


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email goes through the task queue (never sent in the request)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        queue_email(to_email, subject, body, kind="password_reset")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    template_name = "core/password_form.html"
    email_template_name = "core/password_reset_email.txt"
    subject_template_name = "core/password_reset_subject.txt"
    success_url = reverse_lazy("core:password_reset_done")

    def form_valid(self, form):
        # Same answer whether or not the address has an account (no account enumeration).
        self.extra_email_context = {"site_url": settings.RESPITE_SITE_URL}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "core/password_message.html"
    extra_context = {
        "message": gettext_lazy(
            "If an account uses that address, an email with a link is on its way."
        )
    }


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "core/password_form.html"
    success_url = reverse_lazy("core:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        AuditLog.record(form.user, "staff.password_reset", form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "core/password_message.html"
    extra_context = {"message": gettext_lazy("Your password is set. You can sign in now.")}


# --- Single sign-on (OpenID Connect, one provider per organization) -------------------------------


def _sso_error(
    request: HttpRequest, exc: sso.SsoError, organization_id: int | None
) -> HttpResponse:
    sso.record_failure(
        Organization.objects.filter(pk=organization_id).first() if organization_id else None,
        exc.reason,
    )
    return render(request, "core/sso_error.html", {"message": exc.message}, status=exc.status)


def sso_start(request: HttpRequest) -> HttpResponse:
    """Staff type their work email; an organization whose provider claims that domain is offered.
    The provider is reached by a link, not a redirect after the form: the pages' Content-Security-Policy
    lets forms post only to this site."""
    form = SsoEmailForm(request.POST or None)
    config = None
    if request.method == "POST" and form.is_valid():
        config = sso.config_for_email(form.cleaned_data["email"])
        if config is None:
            form.add_error(
                "email",
                _("No organization signs in with this address's domain. Use your password."),
            )
    return render(
        request,
        "core/sso_start.html",
        {"form": form, "config": config, "next": _safe_next(request)},
        status=400 if form.errors else 200,
    )


def _safe_next(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    candidate = request.GET.get("next") or request.POST.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def sso_begin(request: HttpRequest, org: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=org)
    config = sso.config_for(organization)
    if config is None:
        raise Http404
    try:
        url = sso.begin(request, config, _safe_next(request))
    except sso.SsoError as exc:
        return _sso_error(request, exc, organization.pk)
    return redirect(url)


def sso_callback(request: HttpRequest) -> HttpResponse:
    """Where every organization's provider sends people back. Ends in the same session state as a
    password sign-in (``login`` with the model backend), so what follows a sign-in applies alike."""
    pending = request.session.get(sso.SESSION_KEY)
    org_id = pending.get("org") if isinstance(pending, dict) else None
    try:
        config, claims, next_url = sso.finish(request)
        user = sso.do_sso_sign_in(config, claims)
    except sso.SsoError as exc:
        return _sso_error(request, exc, org_id)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session["respite_sso_org"] = config.organization_id
    sso.record_sign_in(user, config.organization)
    return redirect(next_url or "core:staff_home")


@staff_view(StaffRole.ORG_ADMIN)
def sso_settings(request: StaffRequest) -> HttpResponse:
    """An organization admin (or a platform admin) connects the organization's identity provider."""
    org = request.organization
    instance = SingleSignOn.objects.filter(organization=org).first() or SingleSignOn(
        organization=org
    )
    form = SingleSignOnForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        AuditLog.save_form(form, request.user, "organization.sso_changed", organization=org)
        messages.success(request, _("Single sign-on saved."))
        return redirect("core:sso_settings", org=org.slug)
    return render(
        request,
        "core/sso_settings.html",
        {"form": form, "redirect_uri": sso.redirect_uri(), "configured": instance.pk is not None},
        status=400 if form.errors else 200,
    )


@staff_view(StaffRole.ORG_ADMIN)
def units_import(request: StaffRequest) -> HttpResponse:
    """The unit tree pulse and peer support share: upload a CSV, see the dry run, then apply it."""
    from respite.pulse.models import Unit

    org = request.organization
    plan, text, file_error, status = None, "", "", 200
    if request.method == "POST":
        if request.POST.get("action") == "apply":
            text = request.POST.get("csv_text", "")
            if len(text.encode()) > units.MAX_BYTES:
                file_error = _("The file is larger than 1 MB.")
            else:
                plan = units.do_import_units(request.user, org, text)
                if not plan.errors:
                    messages.success(
                        request,
                        _("Units imported: %(added)s added, %(changed)s changed.")
                        % {"added": len(plan.added), "changed": len(plan.changed)},
                    )
                    return redirect("core:units_import", org=org.slug)
        else:
            upload = request.FILES.get("file")
            if upload is None:
                file_error = _("Choose a CSV file.")
            else:
                try:
                    text = units.decode(upload.read(units.MAX_BYTES + 1))
                except ValueError as exc:
                    file_error = str(exc)
                else:
                    plan = units.plan_import(org, text)
        status = 400 if file_error or (plan is not None and plan.errors) else 200
    return render(
        request,
        "core/units_import.html",
        {
            "plan": plan,
            "csv_text": text,
            "file_error": file_error,
            "tree": Unit.objects.filter(organization=org).select_related("parent"),
            "headcount": units.has_headcount(),
        },
        status=status,
    )
