from django.urls import path

from respite.counseling import views

app_name = "counseling"
urlpatterns = [
    path("", views.home, name="home"),
    path("code/", views.code_enter, name="code"),
    path("code/new/", views.new_code, name="new_code"),
    path("share/<uuid:pk>/", views.share, name="share"),
    path("cases/<uuid:pk>/", views.case_detail, name="case"),
    path("cases/<uuid:pk>/reply/", views.case_reply, name="case_reply"),
    path("cases/<uuid:pk>/delete/", views.case_delete, name="case_delete"),
    path("therapists/", views.therapists, name="therapists"),
    path("therapists/slots/<int:slot>/book/", views.book, name="book"),
    path("sessions/<uuid:pk>/", views.engagement, name="engagement"),
    path("sessions/<uuid:pk>/rematch/", views.rematch, name="rematch"),
    path("sessions/<uuid:pk>/delete/", views.engagement_delete, name="engagement_delete"),
    path("bookings/<uuid:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<uuid:pk>/move/", views.booking_move, name="booking_move"),
    path("bookings/<uuid:pk>/invite.ics", views.booking_ics, name="booking_ics"),
]
