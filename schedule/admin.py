from django.contrib import admin

from .models import ProjectLogEntry, ScheduleChange, ScheduledProject, SpotCheck, SpotCheckItem


class ChangeInline(admin.TabularInline):
    model = ScheduleChange
    extra = 0
    can_delete = False
    readonly_fields = ["field", "old_value", "new_value", "change_request", "applied_at"]


@admin.register(ScheduledProject)
class ScheduledProjectAdmin(admin.ModelAdmin):
    """Scheduled projects come from filed documents; they change through change requests."""

    list_display = ["name", "year", "start_month", "end_month", "organiser", "status"]
    list_filter = ["district", "year", "status"]
    search_fields = ["name"]
    list_select_related = ["organiser"]
    readonly_fields = ["source", "start_month", "end_month", "location", "headcount"]
    inlines = [ChangeInline]


@admin.register(ProjectLogEntry)
class ProjectLogEntryAdmin(admin.ModelAdmin):
    list_display = ["project", "kind", "happened_on", "author"]
    list_filter = ["kind"]


class SpotCheckItemInline(admin.TabularInline):
    model = SpotCheckItem
    extra = 0


@admin.register(SpotCheck)
class SpotCheckAdmin(admin.ModelAdmin):
    list_display = ["district", "year", "share_percent", "seed", "population", "created_by", "created_at"]
    inlines = [SpotCheckItemInline]
