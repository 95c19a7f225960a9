from django.urls import path

from respite.credentialing import views

app_name = "credentialing"
urlpatterns = [
    path("", views.audit_list, name="audit_list"),
    path("new/", views.audit_new, name="audit_new"),
    path("<int:pk>/", views.audit_detail, name="audit_detail"),
    path("<int:pk>/checklist/", views.audit_checklist, name="audit_checklist"),
    path("<int:pk>/report.pdf", views.audit_report, name="audit_report"),
    path("<int:pk>/redline.docx", views.audit_redline_docx, name="audit_redline_docx"),
    path("<int:pk>/redline.pdf", views.audit_redline_pdf, name="audit_redline_pdf"),
]
