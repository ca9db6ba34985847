"""The school's teacher roster (教师花名册): list, xlsx import and export, blank template."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.uploads import check_upload
from core.xlsx import XLSX_CONTENT_TYPE, xlsx_response

from .models import Teacher
from .teacher_filters import filter_context, teacher_filters, teachers_filtered
from .roster import column_titles, roster_import, roster_workbook

IMPORT_MAX_MB = 5
IMPORT_MAX_BYTES = IMPORT_MAX_MB * 1024 * 1024
PAGE_SIZE = 50

ERROR_FILE_TYPE = gettext_lazy("Choose an Excel workbook (.xlsx). Save older .xls files as .xlsx first.")
ERROR_NO_TEACHERS = gettext_lazy("The file contains no teachers: fill in one teacher per row below the header row.")


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file (.xlsx)"),
        widget=forms.FileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
        help_text=gettext_lazy("One teacher per row, in the columns of the template. At most 5 MB."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # An .xlsx workbook is a zip archive; anything else renamed .xlsx is refused as "not a workbook".
        check_upload(upload, extensions=["xlsx"], max_bytes=IMPORT_MAX_BYTES,
                     messages={"type": ERROR_FILE_TYPE, "content": ERROR_FILE_TYPE})
        return upload


def mask_id_number(number: str) -> str:
    """Keep the region code (first 6) and the last 4: 110105********002X."""
    if len(number) <= 10:
        return number
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def _school_of(user, *, may_import=False):
    """The user's own school or kindergarten, or 403."""
    allowed = user.is_school_officer if may_import else user.is_school_staff
    if not allowed or not user.organisation.is_school:
        raise PermissionDenied
    return user.organisation


def _list_page(request, school, *, form=None, row_errors=None):
    # No NUL (PostgreSQL refuses it in a query) and no essay: a name is short.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:50] if request.method == "GET" else ""
    filters = teacher_filters(request.GET) if request.method == "GET" else {"subject": "", "stage": ""}
    teachers = Teacher.objects.filter(organisation=school)
    counts = teachers.aggregate(
        total=Count("pk"),
        in_post=Count("pk", filter=Q(active=True)),
        new=Count("pk", filter=Q(active=True, is_new_teacher=True)),
    )
    if query:
        teachers = teachers.filter(name__icontains=query)
    teachers = teachers_filtered(teachers, **filters)
    page = Paginator(teachers.select_related("user").order_by("name", "pk"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    may_import = request.user.is_school_officer
    if may_import and form is None:
        form = RosterUploadForm()
    return render(request, "attendance/roster/teacher_list.html", {
        "school": school,
        "page": page,
        "rows": [(teacher, mask_id_number(teacher.id_number)) for teacher in page],
        "query": query,
        "searched": bool(query) or any(filters.values()),
        "counts": counts,
        "columns": column_titles(),
        "form": form if may_import else None,
        "row_errors": row_errors or [],
        "import_max_mb": IMPORT_MAX_MB,
        "may_manage": may_import,  # add, edit, leave, transfer, logins (attendance.teacher_views)
        **filter_context(filters),
    })


@login_required
@require_GET
def teacher_list(request):
    return _list_page(request, _school_of(request.user))


@login_required
@require_POST
def teacher_import(request):
    school = _school_of(request.user, may_import=True)
    form = RosterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, school, form=form)
    count, errors = roster_import(organisation=school, file=form.cleaned_data["file"])
    if errors and errors[0].row == 0:  # the file as a whole, not a row
        form.add_error("file", errors[0].reason)
        return _list_page(request, school, form=form)
    if errors:
        return _list_page(request, school, form=form, row_errors=errors)
    if count == 0:
        form.add_error("file", ERROR_NO_TEACHERS)
        return _list_page(request, school, form=form)
    messages.success(request, ngettext("Imported %(count)s teacher.", "Imported %(count)s teachers.", count)
                     % {"count": count})
    return redirect("attendance:teachers")


@login_required
@require_GET
def teacher_export(request):
    school = _school_of(request.user)
    teachers = Teacher.objects.filter(organisation=school).order_by("name", "pk")
    return xlsx_response(roster_workbook(teachers), f"{_('Teacher roster')}.xlsx")


@login_required
@require_GET
def teacher_template(request):
    _school_of(request.user)
    return xlsx_response(roster_workbook([]), f"{_('Teacher roster template')}.xlsx")
