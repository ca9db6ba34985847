from django.contrib import admin

from accounts.admin_scoping import DistrictScopedAdmin, ScopedChoicesMixin

from .models import ProjectLogEntry, ScheduleChange, ScheduledProject, SpotCheck, SpotCheckItem


class ChangeInline(ScopedChoicesMixin, admin.TabularInline):
    model = ScheduleChange
    extra = 0
    can_delete = False
    readonly_fields = ["field", "old_value", "new_value", "change_request", "applied_at"]


@admin.register(ScheduledProject)
class ScheduledProjectAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    """Scheduled projects come from filed documents; they change through change requests."""

    district_path = "district"
    list_display = ["name", "year", "start_month", "end_month", "organiser", "status"]
    list_filter = ["district", "year", "status"]
    search_fields = ["name"]
    list_select_related = ["organiser"]
    readonly_fields = ["source", "start_month", "end_month", "location", "headcount"]
    inlines = [ChangeInline]


@admin.register(ProjectLogEntry)
class ProjectLogEntryAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "project__district"
    list_display = ["project", "kind", "happened_on", "author"]
    list_filter = ["kind"]


class SpotCheckItemInline(ScopedChoicesMixin, admin.TabularInline):
    model = SpotCheckItem
    extra = 0


@admin.register(SpotCheck)
class SpotCheckAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "district"
    list_display = ["district", "year", "share_percent", "seed", "population", "created_by", "created_at"]
    inlines = [SpotCheckItemInline]
