from django.contrib import admin

from accounts.admin_scoping import DistrictScopedAdmin

from .models import CompletionRules, Enrolment, LeaveRequest, ProjectRun, Session, Teacher


@admin.register(CompletionRules)
class CompletionRulesAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    """A district's attendance rules (seed 003 and seed 001 by default)."""

    district_path = "district"
    list_display = ["district", "school_absence_limit_hours", "exempt_age_women", "exempt_age_men",
                    "participation_target_percent", "default_min_attendance_percent"]


@admin.register(Teacher)
class TeacherAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "organisation__district"
    list_display = ["name", "organisation", "gender", "birth_date", "subject", "stage", "is_new_teacher", "active"]
    list_filter = ["organisation__district", "stage", "subject", "is_new_teacher", "active"]
    search_fields = ["name", "id_number"]
    list_select_related = ["organisation"]


@admin.register(ProjectRun)
class ProjectRunAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "project__district"
    list_display = ["project", "quota", "per_school_quota", "self_enrolment", "min_attendance_percent"]


@admin.register(Session)
class SessionAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "organisation__district"
    list_display = ["title", "date", "start_time", "end_time", "hours", "organisation", "project", "school_plan"]
    list_filter = ["organisation__district", "date"]
    list_select_related = ["organisation", "project", "school_plan"]


@admin.register(Enrolment)
class EnrolmentAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "project__district"
    list_display = ["project", "teacher", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["project", "teacher"]


@admin.register(LeaveRequest)
class LeaveRequestAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "teacher__organisation__district"
    list_display = ["teacher", "session", "status", "created_at", "decided_at"]
    list_filter = ["status"]
