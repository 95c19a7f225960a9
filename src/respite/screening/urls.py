from django.urls import path

import respite.core.urlseal  # noqa: F401  (registers the sealed_* converters)
from respite.screening import views

app_name = "screening"
urlpatterns = [
    path("check-in/", views.checkin, name="checkin"),
    path("screenings/", views.choose, name="choose"),
    path("screenings/<slug:instrument>/", views.take, name="take"),
    path("results/<sealed_uuid:pk>/", views.result, name="result"),
    path("results/<sealed_uuid:pk>/save/", views.save, name="save"),
    path("my/", views.code_login, name="code_login"),
    path("my/history/", views.history, name="history"),
    path("my/space/", views.history, name="my_space"),
    path("my/history/chart.svg", views.history_chart, name="chart"),
    path("my/history/chart/<slug:instrument>.svg", views.instrument_chart, name="instrument_chart"),
    path("my/safety-plan/", views.safety_plan, name="safety_plan"),
    path("my/safety-plan/edit/", views.safety_plan_edit, name="safety_plan_edit"),
    path("self-care/", views.selfcare_list, name="selfcare"),
    path("self-care/<slug:guide>/", views.selfcare_guide, name="selfcare_guide"),
    path("my/delete/", views.delete_all, name="delete_all"),
    path("my/sign-out/", views.code_logout, name="code_logout"),
]
