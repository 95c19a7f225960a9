from django.urls import path

from respite.peers import staff_views as views

app_name = "peers_staff"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("r/<uuid:pk>/", views.request_detail, name="request"),
    path("r/<uuid:pk>/accept/", views.accept, name="accept"),
    path("r/<uuid:pk>/decline/", views.decline, name="decline"),
    path("r/<uuid:pk>/contact/", views.record_contact, name="contact"),
    path("r/<uuid:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("r/<uuid:pk>/close/", views.close, name="close"),
    path("r/<uuid:pk>/messages/", views.message, name="message"),
    path("availability/", views.availability, name="availability"),
    path("availability/<int:shift_id>/delete/", views.shift_delete, name="shift_delete"),
    path("training/", views.training, name="training"),
    path("training/<int:material_id>/", views.material_detail, name="material"),
    path("training/<int:material_id>/complete/", views.material_complete, name="material_complete"),
    path("lead/", views.dashboard, name="dashboard"),
    path("lead/queue/", views.queue, name="queue"),
    path("lead/queue/<uuid:pk>/", views.lead_request, name="lead_request"),
    path("lead/queue/<uuid:pk>/offer/", views.lead_offer, name="lead_offer"),
    path("lead/roster/", views.roster, name="roster"),
    path("lead/roster/new/", views.supporter_edit, name="supporter_new"),
    path("lead/roster/<int:supporter_id>/", views.supporter_edit, name="supporter_edit"),
    path("lead/departments/add/", views.department_add, name="department_add"),
    path("lead/materials/", views.materials, name="materials"),
    path("lead/materials/new/", views.material_edit, name="material_new"),
    path("lead/materials/<int:material_id>/", views.material_edit, name="material_edit"),
    path("settings/", views.program_settings, name="settings"),
]
