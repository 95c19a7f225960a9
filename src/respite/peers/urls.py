from django.urls import path

import respite.core.urlseal  # noqa: F401  (registers the sealed_* converters)
from respite.peers import views

app_name = "peers"
urlpatterns = [
    path("", views.index, name="index"),
    path("ask/", views.ask, name="ask"),
    path("refer/", views.refer, name="refer"),
    path("team/", views.team, name="team"),
    path("check/", views.check, name="check"),
    path("status/<sealed_uuid:pk>/", views.status, name="status"),
    path("status/<sealed_uuid:pk>/rate/", views.rate, name="rate"),
]
