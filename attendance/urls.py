from django.urls import include, path

from . import quota_views, views

app_name = "attendance"
urlpatterns = [
    path("projects/<int:pk>/", views.project_page, name="project"),
    path("projects/<int:pk>/make-up/", views.make_ups, name="make_ups"),
    path("projects/<int:pk>/places/", quota_views.project_quotas, name="quotas"),
    path("sessions/<int:pk>/", views.session_page, name="session"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/code/", views.session_code, name="session_code"),
    path("sessions/<int:pk>/sheet.pdf", views.session_sheet, name="session_sheet"),
    path("sign-in/", views.sign_in_page, name="sign_in"),
    path("sign-in/<int:pk>/", views.sign_in_session, name="sign_in_session"),
    path("me/", views.my_training, name="me"),
    path("leave/", views.leave_requests, name="leave"),
    path("school-based/", views.school_based, name="school_based"),
    path("teachers/", include("attendance.roster_urls")),
    path("reports/", include("attendance.report_urls")),
]
