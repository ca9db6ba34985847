from django.urls import path

from . import views

app_name = "tracker"
urlpatterns = [
    path("", views.tracker, name="index"),
    path("remind/", views.remind, name="remind"),
]
