from django.urls import path

from respite.pulse import views

app_name = "pulse_staff"
urlpatterns = [
    path("", views.index, name="index"),
    path("units/", views.units, name="units"),
    path("units/add/", views.unit_add, name="unit_add"),
    path("units/headcounts/", views.unit_headcounts, name="unit_headcounts"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey"),
    path("surveys/<int:pk>/schedule/", views.survey_schedule, name="survey_schedule"),
    path("surveys/<int:pk>/open/", views.survey_open, name="survey_open"),
    path("surveys/<int:pk>/close/", views.survey_close, name="survey_close"),
    path("surveys/<int:pk>/invite/", views.survey_invite, name="survey_invite"),
    path("surveys/<int:pk>/codes/", views.survey_codes, name="survey_codes"),
    path("surveys/<int:pk>/overview/", views.overview, name="overview"),
    path("surveys/<int:pk>/overview.csv", views.overview_csv, name="overview_csv"),
    path("surveys/<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
    path("surveys/<int:pk>/posters.pdf", views.posters_pdf, name="posters_pdf"),
    path("surveys/<int:pk>/rounds/<int:number>/results/", views.results_note, name="results_note"),
    path("surveys/<int:pk>/dashboard/", views.dashboard, name="dashboard"),
    path("surveys/<int:pk>/dashboard/<str:kind>.svg", views.chart, name="chart"),
    path("surveys/<int:pk>/export.csv", views.export_csv, name="export_csv"),
    path("surveys/<int:pk>/export.pdf", views.export_pdf, name="export_pdf"),
]
