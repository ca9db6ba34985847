from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from accounts.admin_scoping import DistrictScopedAdmin, ScopedChoicesMixin
from .models import AnnualPlan, Attachment, Document, DocumentVersion, PlannedProject, ProjectProposal, SchoolPlan, SchoolPlanYear


class PlannedProjectInline(ScopedChoicesMixin, admin.TabularInline):
    model = PlannedProject
    extra = 0


class SchoolPlanYearInline(ScopedChoicesMixin, admin.TabularInline):
    model = SchoolPlanYear
    extra = 0


class AttachmentInline(ScopedChoicesMixin, admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["original_name", "size", "uploaded_by", "uploaded_at"]


class VersionInline(ScopedChoicesMixin, admin.TabularInline):
    model = DocumentVersion
    extra = 0
    readonly_fields = ["number", "submitted_by", "submitted_at"]
    exclude = ["content"]
    can_delete = False


@admin.register(Document)
class DocumentAdmin(DistrictScopedAdmin, GuardedModelAdmin):
    """Read-mostly: status and versions change only through the review flow."""

    district_path = "organisation__district"
    list_display = ["title", "kind", "organisation", "year", "status", "version", "filing_number"]
    list_filter = ["kind", "status", "year", "organisation__district"]
    search_fields = ["title", "filing_number", "organisation__name"]
    list_select_related = ["organisation"]
    readonly_fields = ["status", "version", "filing_number", "filed_at", "created_by", "created_at", "updated_at"]
    inlines = [AttachmentInline, VersionInline]


@admin.register(AnnualPlan)
class AnnualPlanAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "document__organisation__district"
    list_display = ["document"]
    inlines = [PlannedProjectInline]


@admin.register(SchoolPlan)
class SchoolPlanAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "document__organisation__district"
    list_display = ["document", "group_leader", "annual_budget"]
    inlines = [SchoolPlanYearInline]


@admin.register(ProjectProposal)
class ProjectProposalAdmin(DistrictScopedAdmin, admin.ModelAdmin):
    district_path = "document__organisation__district"
    list_display = ["document", "organiser", "headcount", "start_month", "end_month", "budget"]
