from django.urls import path

from . import report_views

# Included under attendance/reports/ inside the "attendance" namespace.
urlpatterns = [
    path("projects/<int:pk>/", report_views.project_report, name="report_project"),
    path("school/", report_views.school_report, name="report_school"),
    path("teachers/<int:pk>/", report_views.teacher_report, name="report_teacher"),
    path("district/", report_views.district_report, name="report_district"),
]
