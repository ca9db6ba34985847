from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from .admin_scoping import DistrictScopedAdmin, SuperuserChangesAdmin
from .models import City, District, Organisation, Province, User
from .services import user_sync_organisation_perms


@admin.register(District)
class DistrictAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "pk"
    list_display = ["name", "city", "filing_prefix"]
    list_select_related = ["city"]


# The chain above the districts is the superuser's to keep (a district officer has no admin
# rights on it: DistrictScopedAdmin would have no district to scope them by).
@admin.register(Province)
class ProvinceAdmin(SuperuserChangesAdmin, admin.ModelAdmin):
    list_display = ["name"]

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(City)
class CityAdmin(SuperuserChangesAdmin, admin.ModelAdmin):
    list_display = ["name", "province"]
    list_filter = ["province"]

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(Organisation)
class OrganisationAdmin(DistrictScopedAdmin, GuardedModelAdmin):
    district_path = "district"
    list_display = ["name", "kind", "stage", "district", "city", "province"]
    list_filter = ["district", "kind", "stage"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(DistrictScopedAdmin, BaseUserAdmin):
    district_path = "organisation__district"
    list_display = ["username", "full_name", "role", "organisation", "is_active"]
    list_filter = ["role", "organisation__district", "organisation__kind", "is_active"]
    search_fields = ["username", "full_name", "organisation__name"]
    list_select_related = ["organisation"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Role in the district"), {"fields": ["full_name", "organisation", "role", "title", "expertise"]}),
    )

    # Only the superuser hands out admin rights.
    PRIVILEGES = ["is_staff", "is_superuser", "groups", "user_permissions"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else fields + self.PRIVILEGES

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        user_sync_organisation_perms(user=obj)
