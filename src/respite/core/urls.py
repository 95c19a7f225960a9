from django.contrib.auth import views as auth_views
from django.urls import path

from respite.core import security_views, views

app_name = "core"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.staff_home, name="staff_home"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("organizations/", views.platform_organizations, name="platform_organizations"),
    path("o/<slug:org>/settings/", views.organization_settings, name="organization_settings"),
    path("o/<slug:org>/audit/", views.audit_log, name="audit_log"),
    path("o/<slug:org>/staff/", views.staff_list, name="staff_list"),
    path("o/<slug:org>/staff/<int:user_id>/", views.staff_member, name="staff_member"),
    path(
        "o/<slug:org>/staff/<int:user_id>/deactivate/",
        views.staff_deactivate,
        name="staff_deactivate",
    ),
    path(
        "o/<slug:org>/invitations/<int:pk>/<slug:action>/",
        views.invitation_action,
        name="invitation_action",
    ),
    path("o/<slug:org>/role-requests/<int:pk>/", views.grant_decide, name="grant_decide"),
    path("o/<slug:org>/volunteer/apply/", views.volunteer_apply, name="volunteer_apply"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("tasks/", views.background_tasks, name="background_tasks"),
    path("two-factor/", security_views.two_factor, name="two_factor"),
    path(
        "two-factor/recovery-codes/",
        security_views.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("two-factor/disable/", security_views.two_factor_disable, name="two_factor_disable"),
    path(
        "o/<slug:org>/staff/<int:user_id>/reset-two-factor/",
        security_views.staff_reset_two_factor,
        name="staff_reset_two_factor",
    ),
    path("o/<slug:org>/api-tokens/", security_views.api_tokens, name="api_tokens"),
    path(
        "o/<slug:org>/api-tokens/<int:pk>/revoke/",
        security_views.api_token_revoke,
        name="api_token_revoke",
    ),
]
