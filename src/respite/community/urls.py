from django.urls import path, re_path

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
    path("manage/", views.open_manage, name="open"),
    path("manage/gathering/", views.manage, name="manage"),
    path("manage/gathering/edit/", views.edit, name="edit"),
    path("manage/gathering/packet.pdf", views.packet_pdf, name="packet"),
    path("manage/gathering/notes/", views.moderate, name="moderate"),
    path("manage/gathering/pledges/delete/", views.pledge_delete, name="pledge_delete"),
    path("manage/gathering/delete/", views.delete, name="delete"),
    # Links from before the token moved after "#": a page that asks for the link in the form.
    re_path(r"^manage/(?!gathering/)[^/]+/", views.old_link, name="old_link"),
]
