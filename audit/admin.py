from django.contrib import admin

from accounts.admin_scoping import DistrictScopedAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    """Read-only: the trail is written by the application, never by hand."""

    district_path = "district"
    list_display = ["created_at", "action", "actor", "district", "summary", "ip_address"]
    list_filter = ["action", "district"]
    search_fields = ["summary", "actor__username", "actor__full_name", "object_id"]
    list_select_related = ["actor", "district"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
