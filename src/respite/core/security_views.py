"""Staff pages for sign-in security: the second factor (enrol, verify, recovery codes, turn off, an
admin's reset) and API tokens. The rules live in ``core.twofactor`` and ``core.tokens``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from respite.core import tokens, twofactor
from respite.core.models import ApiToken, has_role
from respite.core.portal import StaffRequest, staff_view
from respite.core.roles import StaffRole


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none"}
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("core:staff_home")


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """One address for the second factor: set it up, verify this session, or manage it."""
    user = request.user
    if not twofactor.is_enrolled(user):
        return _enrol(request)
    if not user.is_verified():  # type: ignore[union-attr]  # django-otp's OTPMiddleware adds it
        return _verify(request)
    return render(
        request,
        "core/two_factor_manage.html",
        {
            "form": CodeForm(),
            "left": twofactor.recovery_codes_left(user),
            "required": twofactor.is_required(user),
        },
    )


def _enrol(request: HttpRequest) -> HttpResponse:
    device = twofactor.pending_device(request.user)
    form = CodeForm(request.POST or None)
    form.fields["code"].label = _("The 6-digit code your app shows")
    form.fields["code"].widget.attrs["inputmode"] = "numeric"
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.do_enrol(request, form.cleaned_data["code"])
        except twofactor.TwoFactorError as exc:
            form.add_error("code", exc.message)
        else:
            return render(
                request, "core/two_factor_codes.html", {"codes": codes, "next": _next(request)}
            )
    return render(
        request,
        "core/two_factor_enrol.html",
        {
            "form": form,
            "qr": twofactor.qr_svg(device),
            "secret": twofactor.secret_text(device),
            "otpauth": device.config_url,
            "next": _next(request),
        },
        status=400 if form.errors else 200,
    )


def _verify(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    form.fields["code"].help_text = _(
        "The 6-digit code from your authenticator app, or one of your recovery codes."
    )
    if request.method == "POST" and form.is_valid():
        try:
            twofactor.do_verify(request, form.cleaned_data["code"])
        except twofactor.TwoFactorError as exc:
            form.add_error("code", exc.message)
        else:
            return redirect(_next(request))
    return render(
        request,
        "core/two_factor_verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )


def _verified_or_redirect(request: HttpRequest) -> HttpResponse | None:
    if not twofactor.is_enrolled(request.user) or not request.user.is_verified():  # type: ignore[union-attr]  # django-otp's OTPMiddleware adds it
        return redirect("core:two_factor")
    return None


@require_POST
@login_required
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once (the old ones stop working)."""
    if (response := _verified_or_redirect(request)) is not None:
        return response
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            codes = twofactor.do_regenerate(request, form.cleaned_data["code"])
        except twofactor.TwoFactorError as exc:
            messages.error(request, exc.message)
        else:
            return render(
                request,
                "core/two_factor_codes.html",
                {"codes": codes, "next": reverse("core:two_factor")},
            )
    else:
        messages.error(request, _("Enter a code from your authenticator app."))
    return redirect("core:two_factor")


@require_POST
@login_required
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    if (response := _verified_or_redirect(request)) is not None:
        return response
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            twofactor.do_disable(request, form.cleaned_data["code"])
        except twofactor.TwoFactorError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Two-factor sign-in is off."))
    else:
        messages.error(request, _("Enter a code from your authenticator app."))
    return redirect("core:two_factor")


@require_POST
@staff_view(StaffRole.ORG_ADMIN)
def staff_reset_two_factor(request: StaffRequest, user_id: int) -> HttpResponse:
    from respite.core.views import _get_member_for_admin

    member = _get_member_for_admin(request, user_id)
    try:
        twofactor.do_reset(request.user, request.organization, member)
    except twofactor.TwoFactorError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s will set up two-factor sign-in again; we emailed them.")
            % {"name": member.get_username()},
        )
    return redirect("core:staff_member", org=request.organization.slug, user_id=member.pk)


# --- API tokens -------------------------------------------------------------------------------------


@staff_view(*tokens.TOKEN_ROLES)
def api_tokens(request: StaffRequest) -> HttpResponse:
    """A person's tokens for this organization (an admin sees everyone's, to revoke them); create one.
    A new token is shown on the page that answers the creation, never again."""
    org = request.organization
    allowed = tokens.scopes_for(request.user, org)
    form = tokens.TokenForm(request.POST or None, scopes=allowed)
    if request.method == "POST" and form.is_valid():
        raw, token = tokens.do_create(
            request.user,
            org,
            form.cleaned_data["name"],
            form.cleaned_data["scopes"],
            int(form.cleaned_data["days"]),
        )
        return render(request, "core/api_token_created.html", {"raw": raw, "token": token})
    is_admin = has_role(request.user, org, StaffRole.ORG_ADMIN)
    listed = ApiToken.objects.filter(organization=org).select_related("user")
    if not is_admin:
        listed = listed.filter(user=request.user)
    return render(
        request,
        "core/api_tokens.html",
        {"form": form, "tokens": listed, "labels": tokens.scope_labels(), "is_admin": is_admin},
        status=400 if form.errors else 200,
    )


@require_POST
@staff_view(*tokens.TOKEN_ROLES)
def api_token_revoke(request: StaffRequest, pk: int) -> HttpResponse:
    org = request.organization
    token = get_object_or_404(ApiToken, pk=pk, organization=org)
    if token.user_id != request.user.pk and not has_role(request.user, org, StaffRole.ORG_ADMIN):
        raise Http404
    tokens.do_revoke(request.user, token)
    messages.success(request, _("The token no longer works."))
    return redirect("core:api_tokens", org=org.slug)
