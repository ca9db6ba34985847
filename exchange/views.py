"""Pages of the exchange with the provincial platform: the export (a job), the upload, the
preview with a decision per conflict, and the confirmation (exchange.services)."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.params import parse_year
from core.uploads import check_upload
from core.xlsx import XLSX_CONTENT_TYPE, SpreadsheetError, max_bytes_setting
from credits.selectors import current_credit_year

from . import services, tasks
from .models import ImportBatch

ERROR_FILE_TYPE = gettext_lazy("Choose an Excel workbook (.xlsx) in the provincial layout.")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("The provincial platform's file (.xlsx)"),
        widget=forms.FileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
        help_text=gettext_lazy("One record per row in the provincial layout, the header row first."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload(upload, extensions=["xlsx"], max_bytes=max_bytes_setting(),
                     messages={"type": ERROR_FILE_TYPE, "content": ERROR_FILE_TYPE})
        return upload


def _home(request, *, form=None, status=200):
    district, school = services.export_scope(request.user)
    year = parse_year(request.GET.get("year"), default=None) or current_credit_year(district)
    may_import = services.may_import(request.user)
    batches = ImportBatch.objects.filter(district=district).select_related("uploaded_by", "applied_by")[:20] \
        if may_import else []
    return render(request, "exchange/home.html", {
        "district": district, "school": school, "year": year, "may_import": may_import,
        "form": form or (ImportForm() if may_import else None), "batches": batches,
        "headers": services.HEADERS,
    }, status=status)


@login_required
def home(request):
    return _home(request)


@login_required
@require_POST  # the page's export button; a GET (a link, a crawler) starts nothing
def export(request):
    """The district's (a school officer: the school's) ledger of a credit year in the layout: a job."""
    district, school = services.export_scope(request.user)
    year = parse_year(request.POST.get("year"), required=True)
    job = tasks.export_start(user=request.user, district=district, year=year, school=school)
    return redirect("jobs:detail", pk=job.pk)


@login_required
@require_POST
def upload(request):
    if not services.may_import(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            batch = services.preview_start(user=request.user, upload=form.cleaned_data["file"])
        except SpreadsheetError as error:
            form.add_error("file", str(error))
        else:
            return redirect("exchange:preview", pk=batch.pk)
    return _home(request, form=form, status=400)


def _batch(request, pk) -> ImportBatch:
    batch = get_object_or_404(ImportBatch, pk=pk)
    if not services.may_import(request.user):
        raise PermissionDenied
    if not services.may_view(request.user, batch):
        raise Http404  # another district's import: not even its existence
    return batch


def _preview_page(request, batch, *, decisions=None, status=200):
    preview = services.preview_of(batch)
    return render(request, "exchange/preview.html", {
        "batch": batch, "preview": preview, "counts": preview.counts,
        "new": preview.of(services.NEW), "duplicates": preview.of(services.DUPLICATE),
        "conflicts": preview.of(services.CONFLICT), "unknown": preview.of(services.UNKNOWN),
        "bad": preview.of(services.BAD), "decisions": decisions or {},
        "KEEP_OURS": services.KEEP_OURS, "TAKE_THEIRS": services.TAKE_THEIRS,
    }, status=status)


@login_required
def preview(request, pk):
    return _preview_page(request, _batch(request, pk))


@login_required
@require_POST
def confirm(request, pk):
    batch = _batch(request, pk)
    decisions = {}
    for row in services.preview_of(batch).of(services.CONFLICT):
        decisions[row.row] = request.POST.get(f"decision-{row.row}", "")
    try:
        records = services.apply(user=request.user, batch=batch, decisions=decisions)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        batch.refresh_from_db()
        return _preview_page(request, batch, decisions=decisions, status=400)
    messages.success(request, _("The import was applied: %(count)s records entered or corrected in the ledger.")
                     % {"count": len(records)})
    return redirect("exchange:preview", pk=batch.pk)
