from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from .models import District, Organisation, User
from .services import user_sync_organisation_perms


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "province", "filing_prefix"]


@admin.register(Organisation)
class OrganisationAdmin(GuardedModelAdmin):
    list_display = ["name", "kind", "stage", "district"]
    list_filter = ["district", "kind", "stage"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "role", "organisation", "is_active"]
    list_filter = ["role", "organisation__district", "organisation__kind", "is_active"]
    search_fields = ["username", "full_name", "organisation__name"]
    list_select_related = ["organisation"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Role in the district"), {"fields": ["full_name", "organisation", "role", "title", "expertise"]}),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        user_sync_organisation_perms(user=obj)
