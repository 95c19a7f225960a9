from django.urls import path

from respite.assessments import views

app_name = "assessments"
urlpatterns = [
    path("", views.index, name="index"),
    path("start/", views.start, name="start"),
    path("<uuid:pk>/", views.answer, name="answer"),
    path("<uuid:pk>/complete/", views.complete, name="complete"),
    path("<uuid:pk>/scorecard/", views.scorecard, name="scorecard"),
    path("<uuid:pk>/scorecard.svg", views.chart, name="chart"),
    path("<uuid:pk>/plan/", views.plan_from_gaps, name="plan_from_gaps"),
    path("<uuid:pk>/report.pdf", views.report_pdf, name="report_pdf"),
    path("<uuid:pk>/report.csv", views.report_csv, name="report_csv"),
    path("<uuid:pk>/raters/", views.raters, name="raters"),
    path("<uuid:pk>/rate/", views.rate, name="rate"),
    path("<uuid:pk>/consensus/", views.consensus, name="consensus"),
    path("rate/", views.rate_index, name="rate_index"),
    path("progress/<slug:framework>/", views.progress, name="progress"),
    path("progress/<slug:framework>/chart.svg", views.progress_chart, name="progress_chart"),
    path("plan/", views.plan, name="plan"),
    path("plan/new/<slug:framework>/", views.item_new, name="item_new"),
    path("plan/<int:pk>/", views.item_edit, name="item_edit"),
    path("commitments/new/", views.commitment_new, name="commitment_new"),
    path("commitments/<int:pk>/", views.commitment_edit, name="commitment_edit"),
]
