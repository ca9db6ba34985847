from django.contrib import admin
from django.db.models import Q

from accounts.admin_scoping import DistrictScopedAdmin, SuperuserChangesAdmin, user_district_id

from .models import Bonus, CategoryRequirement, ConversionRule, CreditEntry, CycleClosure, Declaration, RuleSet


class ConversionRuleInline(SuperuserChangesAdmin, admin.TabularInline):
    model = ConversionRule
    extra = 0


class BonusInline(SuperuserChangesAdmin, admin.TabularInline):
    model = Bonus
    extra = 0


class CategoryRequirementInline(SuperuserChangesAdmin, admin.TabularInline):
    model = CategoryRequirement
    extra = 0


@admin.register(RuleSet)
class RuleSetAdmin(SuperuserChangesAdmin, admin.ModelAdmin):
    """A province's rules, shared by the districts that count by them (District.credit_rule_family):
    bureau officers read them here, only the superuser edits; a new version gets a later valid_from."""

    list_display = ["name", "family", "district", "valid_from", "annual_minimum", "cycle_minimum", "year_start"]
    list_filter = ["family"]
    inlines = [ConversionRuleInline, BonusInline, CategoryRequirementInline]
    save_as = True  # "save as new" starts the next version from this one

    def get_queryset(self, request):
        """Others read the shared versions and their own district's (made in the app, credits.rule_views)."""
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(Q(district__isnull=True) | Q(district_id=user_district_id(request.user)))


@admin.register(CreditEntry)
class CreditEntryAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    """The ledger is computed, never typed: read-only here."""

    district_path = "teacher__organisation__district"
    list_display = ["teacher", "credit_year", "source", "activity", "level", "category", "hours", "credits", "note"]
    list_filter = ["credit_year", "source", "activity"]
    search_fields = ["teacher__name", "description"]
    list_select_related = ["teacher"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Declaration)
class DeclarationAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "teacher__organisation__district"
    list_display = ["title", "teacher", "activity", "level", "start_date", "hours", "status"]
    list_filter = ["status", "activity", "level"]
    search_fields = ["title", "teacher__name", "provider"]
    readonly_fields = ["status"]


@admin.register(CycleClosure)
class CycleClosureAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "teacher__organisation__district"
    list_display = ["teacher", "first_year", "total", "required", "passed", "missing", "confirmed_by", "confirmed_at"]
    list_filter = ["first_year", "passed"]

    def has_change_permission(self, request, obj=None):
        return False
