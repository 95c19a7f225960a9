from django.urls import path

from respite.directory import views

app_name = "directory_staff"

urlpatterns = [
    path("", views.curate, name="curate"),
    path("s/<str:pk>/curate/", views.curate_action, name="curate_action"),
    path("local/new/", views.local_add, name="local_add"),
    path("local/<str:pk>/", views.local_edit, name="local_edit"),
    path("local/<str:pk>/delete/", views.local_delete, name="local_delete"),
]
