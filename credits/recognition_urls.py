"""Credit recognition batches, under /credits/recognition/ in the credits namespace.
The flow's task pages are viewflow's, under /workflow/recognition/ (credits.viewsets)."""
from django.urls import path

from . import recognition_views as views

urlpatterns = [
    path("", views.recognition_list, name="recognition_list"),
    path("<int:pk>/", views.recognition_detail, name="recognition_detail"),
]
