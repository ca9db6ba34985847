from django.urls import path

from . import roster_views

# Included under attendance/teachers/ inside the "attendance" namespace.
urlpatterns = [
    path("", roster_views.teacher_list, name="teachers"),
    path("import/", roster_views.teacher_import, name="teachers_import"),
    path("export.xlsx", roster_views.teacher_export, name="teachers_export"),
    path("template.xlsx", roster_views.teacher_template, name="teachers_template"),
]
