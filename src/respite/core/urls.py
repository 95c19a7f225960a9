from django.contrib.auth import views as auth_views
from django.urls import path

from respite.core import views

app_name = "core"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.staff_home, name="staff_home"),
    path("o/<slug:org>/settings/", views.organization_settings, name="organization_settings"),
    path("o/<slug:org>/audit/", views.audit_log, name="audit_log"),
    path("tasks/", views.background_tasks, name="background_tasks"),
]
