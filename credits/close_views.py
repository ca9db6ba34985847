"""The close page of a project (结业): the whole roster on one page, each attendee's assessment
result (合格 / 不合格 / 优秀学员, 合格 unless changed) given there or imported from a spreadsheet,
then one button closes the project and credits follow the results.

Who: the project's organiser closes; district staff of its district may look (read-only);
anyone else is refused (403). After the close the page shows the results and the credits.

It lives in credits, the app above attendance and the schedule that it shows, and is mounted
at /schedule/projects/<pk>/close/ (schedule:close) by config/urls.py.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attendance import assessment
from attendance.roster_views import ERROR_FILE_TYPE
from attendance.services import project_close_blockers
from core.params import BadParameter, parse_id
from core.uploads import check_upload
from core.xlsx import XLSX_CONTENT_TYPE, max_bytes_setting, wants_xlsx
from plans.forms import add_validation_error
from schedule.closing import ERROR_ALREADY_CLOSED, project_close
from schedule.models import ProjectLogEntry, ScheduledProject
from schedule.scopes import is_organiser

from .models import CreditEntry

RESULT_PREFIX = "result-"


class CloseForm(forms.Form):
    happened_on = forms.DateField(label=gettext_lazy("Date of the close"),
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    text = forms.CharField(label=gettext_lazy("Closing note for the project log"),
                           max_length=ProjectLogEntry._meta.get_field("text").max_length or 2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet of results (.xlsx)"),
                           widget=forms.FileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
                           help_text=gettext_lazy("Columns: ID number, name and assessment result, one teacher a row "
                                                  "under the header, as in the template. At most 5 MB."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload(upload, extensions=["xlsx"], max_bytes=max_bytes_setting(),
                     messages={"type": ERROR_FILE_TYPE, "content": ERROR_FILE_TYPE})
        return upload


def _posted_results(post) -> dict[int, str]:
    """The page's result-<teacher id> radio buttons; a malformed id is a bad request."""
    return {parse_id(key[len(RESULT_PREFIX):]): value for key, value in post.items()
            if key.startswith(RESULT_PREFIX)}


def _credits_by_teacher(project) -> dict:
    credits = {}
    for entry in CreditEntry.objects.filter(project=project).order_by("pk"):
        credits.setdefault(entry.teacher_id, []).append(entry)
    return credits


@login_required
def close_page(request, pk):
    user = request.user
    project = get_object_or_404(ScheduledProject.objects.select_related("organiser", "district"), pk=pk)
    if not user.has_perm("attendance.view_project_report", project):
        raise PermissionDenied
    organiser = is_organiser(user, project)
    closed = project.status != ScheduledProject.Status.SCHEDULED
    rows = assessment.roster_rows(project)
    recorded = assessment.recorded_results(project) if closed else {}
    if wants_xlsx(request):
        return assessment.results_template(project, rows, {k: r.result for k, r in recorded.items()})
    form = CloseForm(request.POST if "close" in request.POST else None, initial={
        "happened_on": timezone.localdate(),
        "text": _("The training is finished; every attendee's assessment result is recorded.")})
    import_form = ImportForm(request.POST if "import" in request.POST else None, request.FILES or None)
    chosen, import_errors = {}, []
    if request.method == "POST":
        if not organiser:
            raise PermissionDenied
        if closed:  # the page again, saying so: a refusal, never a second close
            messages.error(request, ERROR_ALREADY_CLOSED)
        elif "import" in request.POST:
            chosen, import_errors = _import(request, project, import_form)
        elif "close" in request.POST:
            chosen = _posted_results(request.POST)
            if form.is_valid():
                try:
                    project_close(project=project, user=user, results=chosen, **form.cleaned_data)
                except ValidationError as error:
                    add_validation_error(form, error)
                else:
                    messages.success(request, _("The project is closed; the credits follow the assessment results."))
                    return redirect("schedule:close", pk=project.pk)
        else:
            raise BadParameter(_("Unknown action."))
    credits = _credits_by_teacher(project) if closed else {}
    labels = dict(assessment.Result.choices)
    attendees = [{
        "row": row, "result": chosen.get(row.teacher.pk, assessment.Result.PASS),
        "recorded": recorded.get(row.teacher.pk), "credits": credits.get(row.teacher.pk, []),
    } for row in rows]
    return render(request, "schedule/close.html", {
        "project": project, "organiser": organiser, "closed": closed, "attendees": attendees,
        "blockers": [] if closed else project_close_blockers(project),
        "form": form, "import_form": import_form, "import_errors": import_errors,
        "results": list(labels.items()), "completed": sum(row.completed for row in rows),
        "counts": {value: sum(1 for r in recorded.values() if r.result == value) for value in labels},
        "log": project.log.filter(kind=ProjectLogEntry.Kind.CLOSED).select_related("author").last(),
    })


def _import(request, project, import_form) -> tuple[dict, list]:
    """The spreadsheet's results on the page's buttons (nothing is saved until the close),
    or every bad row and nothing taken."""
    if not import_form.is_valid():
        return {}, []  # the form says why
    results, errors = assessment.results_parse(project, import_form.cleaned_data["file"])
    if errors:
        messages.error(request, _("Nothing was taken from the file: correct the rows below and import it again."))
        return {}, errors
    messages.success(request, _("Results read from the file for %(count)s teachers (anyone it does not name keeps "
                                "“%(default)s”). Check them below, then close the project.")
                     % {"count": len(results), "default": assessment.Result.PASS.label})
    return results, []
