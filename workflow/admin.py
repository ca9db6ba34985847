from django.contrib import admin

from .models import StepDeadline, TrailEntry


@admin.register(StepDeadline)
class StepDeadlineAdmin(admin.ModelAdmin):
    list_display = ["step", "days"]


@admin.register(TrailEntry)
class TrailEntryAdmin(admin.ModelAdmin):
    """The trail is evidence: readable here, never edited."""

    list_display = ["created_at", "document", "version", "step", "decision", "actor"]
    list_filter = ["step", "decision"]
    search_fields = ["document__title", "actor__full_name", "comment"]
    list_select_related = ["document", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
