from django.urls import path

from respite.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("s/<str:pk>/", views.service_detail, name="service"),
]
