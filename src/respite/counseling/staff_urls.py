from django.urls import path

from respite.counseling import staff_views

app_name = "counseling_staff"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("cases/<uuid:pk>/", staff_views.case_detail, name="case"),
    path("cases/<uuid:pk>/reply/", staff_views.case_reply, name="case_reply"),
    path("cases/<uuid:pk>/urgent/", staff_views.case_urgent, name="case_urgent"),
    path("cases/<uuid:pk>/close/", staff_views.case_close, name="case_close"),
    path("settings/", staff_views.settings_view, name="settings"),
    path("report/", staff_views.report, name="report"),
]
