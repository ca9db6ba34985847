from django.contrib import admin

from accounts.admin_scoping import DistrictScopedAdmin

from .models import Notice


@admin.register(Notice)
class NoticeAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "user__organisation__district"
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "user__username", "user__full_name", "dedup_key"]
    list_select_related = ["user"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["user"]
