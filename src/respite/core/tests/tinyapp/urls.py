from django.http import HttpRequest, HttpResponse
from django.urls import path

from respite.core.portal import staff_view

app_name = "tinyapp"


@staff_view("org_admin")
def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("the tiny room")


urlpatterns = [path("", home, name="home")]
