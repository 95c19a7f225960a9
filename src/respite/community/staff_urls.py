from django.urls import path

from respite.community import staff_views

app_name = "community_staff"
urlpatterns = [
    path("", staff_views.events, name="events"),
    path("<uuid:pk>/remove/", staff_views.set_removed, name="remove"),
]
