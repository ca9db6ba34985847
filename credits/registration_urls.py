"""Declared outside training, under /credits/declarations/ in the credits namespace.

The flow's task pages (claim, decide, revise) are viewflow's, under
/workflow/declaration/ (credits.viewsets); its tasks are in the one task inbox
(/inbox/), where queue/ now leads."""
from django.urls import path

from . import registration_views as views

urlpatterns = [
    path("", views.declaration_list, name="declaration_list"),
    path("new/", views.declaration_create, name="declaration_create"),
    path("queue/", views.declaration_queue, name="declaration_queue"),
    path("<int:pk>/", views.declaration_detail, name="declaration_detail"),
    path("<int:pk>/certificate/", views.declaration_certificate, name="declaration_certificate"),
]
