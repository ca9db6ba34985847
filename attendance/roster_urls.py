from django.urls import path

from . import roster_views, teacher_views

# Included under attendance/teachers/ inside the "attendance" namespace.
urlpatterns = [
    path("", roster_views.teacher_list, name="teachers"),
    path("import/", roster_views.teacher_import, name="teachers_import"),
    path("export.xlsx", roster_views.teacher_export, name="teachers_export"),
    path("template.xlsx", roster_views.teacher_template, name="teachers_template"),
    path("add/", teacher_views.teacher_add, name="teacher_add"),
    path("<int:pk>/", teacher_views.teacher_edit, name="teacher_edit"),
    path("<int:pk>/leave/", teacher_views.teacher_leave, name="teacher_leave"),
    path("<int:pk>/reinstate/", teacher_views.teacher_reinstate, name="teacher_reinstate"),
    path("<int:pk>/transfer/", teacher_views.teacher_transfer, name="teacher_transfer"),
    path("logins/", teacher_views.teacher_logins, name="teachers_logins"),
]
