from django.urls import path

from respite.pulse import views

app_name = "pulse"
urlpatterns = [
    path("", views.worker_index, name="index"),
    path("s/<str:key>/", views.answer_link, name="link"),
    path("t/<str:token>/", views.answer_token, name="token"),
    path("thanks/", views.thanks, name="thanks"),
    path("results/", views.results_index, name="results_index"),
    path("results/<int:survey_pk>/<int:number>/", views.results, name="results"),
]
