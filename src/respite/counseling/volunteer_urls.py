"""Volunteer-therapist and licence-review pages: platform-wide, so no organization in the URL."""

from django.urls import path

from respite.counseling import clinician_views as views

app_name = "volunteers"
urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("profile/", views.profile, name="profile"),
    path("availability/", views.availability_add, name="availability_add"),
    path("availability/<int:pk>/delete/", views.availability_delete, name="availability_delete"),
    path("time-off/", views.exception_add, name="exception_add"),
    path("time-off/<int:pk>/delete/", views.exception_delete, name="exception_delete"),
    path("bookings/<uuid:pk>/decline/", views.booking_decline, name="booking_decline"),
    path("bookings/<uuid:pk>/done/", views.booking_complete, name="booking_complete"),
    path("bookings/<uuid:pk>/invite.ics", views.booking_ics, name="booking_ics"),
    path("calendar/", views.calendar_feed_manage, name="calendar_feed_manage"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/verify/", views.verify, name="verify"),
]
