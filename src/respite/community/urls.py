from django.urls import path

from respite.community import views

app_name = "community"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("cards.pdf", views.cards_pdf, name="cards"),
    path("social/", views.composer, name="composer"),
    path("e/<uuid:pk>/", views.event_page, name="event"),
    path("e/<uuid:pk>/rsvp/", views.rsvp, name="rsvp"),
    path("e/<uuid:pk>/notes/", views.note_submit, name="note"),
    path("e/<uuid:pk>/pledge/", views.pledge, name="pledge"),
    path("manage/<slug:token>/", views.manage, name="manage"),
    path("manage/<slug:token>/edit/", views.edit, name="edit"),
    path("manage/<slug:token>/packet.pdf", views.packet_pdf, name="packet"),
    path("manage/<slug:token>/notes/<uuid:note>/<slug:action>/", views.moderate, name="moderate"),
    path(
        "manage/<slug:token>/pledges/<uuid:pledge>/delete/",
        views.pledge_delete,
        name="pledge_delete",
    ),
    path("manage/<slug:token>/delete/", views.delete, name="delete"),
]
