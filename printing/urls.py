from django.urls import path

from . import views

app_name = "printing"
urlpatterns = [
    path("documents/<int:pk>/", views.document_preview, name="preview"),
    path("documents/<int:pk>/pdf/", views.document_pdf, name="pdf"),
    path("batch/", views.batch, name="batch"),
]
