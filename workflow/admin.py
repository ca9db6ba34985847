from django.contrib import admin

from accounts.admin_scoping import DistrictScopedAdmin, SuperuserChangesAdmin

from .models import ReviewRoute, StepDeadline, TrailEntry


@admin.register(StepDeadline)
class StepDeadlineAdmin(SuperuserChangesAdmin, admin.ModelAdmin):
    """Global (one row per step, every district): only the superuser changes them."""

    list_display = ["step", "days"]


@admin.register(ReviewRoute)
class ReviewRouteAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    """A district's choice, per kind of document, of expert review and of the
    principal's sign-off (学校审核) before a school's document leaves the school."""

    district_path = "district"
    list_display = ["district", "city", "province", "kind", "school_review", "expert_review"]
    list_filter = ["district", "kind"]
    list_select_related = ["district", "city", "province"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser and "district" in form.base_fields:
            form.base_fields["district"].required = True  # their own district's route, never none
        return form

    def get_exclude(self, request, obj=None):
        # A city's or province's routes are the superuser's: a district's bureau keeps its own only.
        if request.user.is_superuser:
            return super().get_exclude(request, obj)
        return ["city", "province"]


@admin.register(TrailEntry)
class TrailEntryAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    """The trail is evidence: readable here, never edited."""

    district_path = "document__organisation__district"
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
