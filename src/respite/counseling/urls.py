from django.urls import path

import respite.core.urlseal  # noqa: F401  (registers the sealed_* converters)
from respite.counseling import views

app_name = "counseling"
urlpatterns = [
    path("", views.home, name="home"),
    path("code/", views.code_enter, name="code"),
    path("code/new/", views.new_code, name="new_code"),
    path("share/<sealed_uuid:pk>/", views.share, name="share"),
    path("cases/<sealed_uuid:pk>/", views.case_detail, name="case"),
    path("cases/<sealed_uuid:pk>/reply/", views.case_reply, name="case_reply"),
    path("cases/<sealed_uuid:pk>/delete/", views.case_delete, name="case_delete"),
    path("therapists/", views.therapists, name="therapists"),
    path("therapists/slots/<sealed_int:slot>/book/", views.book, name="book"),
    path("sessions/<sealed_uuid:pk>/", views.engagement, name="engagement"),
    path("sessions/<sealed_uuid:pk>/rematch/", views.rematch, name="rematch"),
    path("sessions/<sealed_uuid:pk>/delete/", views.engagement_delete, name="engagement_delete"),
    path("bookings/<sealed_uuid:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<sealed_uuid:pk>/invite.ics", views.booking_ics, name="booking_ics"),
]
