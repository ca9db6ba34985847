from django.urls import path

from . import close_views, views

app_name = "schedule"
urlpatterns = [
    path("", views.schedule, name="index"),
    path("export.<str:fmt>", views.schedule_export, name="export"),
    path("feed/<str:token>.ics", views.calendar_feed, name="feed"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("projects/<int:pk>/close/", close_views.close_page, name="close"),
    path("spot-checks/", views.spot_checks, name="spot_checks"),
    path("spot-checks/<int:pk>/", views.spot_check_detail, name="spot_check"),
]
