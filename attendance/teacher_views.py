"""The school's training officer keeps its roster one teacher at a time, and makes logins
(attendance.teachers has the rules). Another school's teacher answers 404; anyone but the
school's training officer gets 403."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.services import is_school_manager
from core.params import BadParameter, parse_ids
from core.pdf import pdf_response, render_pdf

from . import teachers as service
from .models import Teacher
from .teacher_forms import ERROR_CHOOSE_TEACHERS, ERROR_ID_TAKEN, TeacherForm, TeacherLeaveForm, TeacherTransferForm


def _school(request):
    if not is_school_manager(request.user):
        raise PermissionDenied
    return request.user.organisation


def _teacher(request, pk) -> Teacher:
    school = _school(request)
    return get_object_or_404(Teacher.objects.select_related("organisation", "user"), pk=pk, organisation=school)


@login_required
def teacher_add(request):
    school = _school(request)
    form = TeacherForm(request.POST or None, initial={"stage": school.stage})
    if request.method == "POST" and form.is_valid():
        try:
            teacher = service.teacher_add(actor=request.user, school=school,
                                          **{name: form.cleaned_data[name] for name in service.TEACHER_FIELDS})
        except (IntegrityError, ValidationError):  # the same ID number saved a moment ago
            form.add_error("id_number", ERROR_ID_TAKEN)
        else:
            messages.success(request, _("%(name)s was added to the roster.") % {"name": teacher.name})
            return redirect("attendance:teachers")
    return render(request, "attendance/roster/teacher_form.html", {"form": form, "teacher": None, "school": school})


@login_required
def teacher_edit(request, pk):
    teacher = _teacher(request, pk)
    form = TeacherForm(request.POST or None, instance=teacher)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in service.TEACHER_FIELDS}
        teacher.refresh_from_db()  # the form wrote its values onto the instance
        try:
            if service.teacher_update(actor=request.user, teacher=teacher, **values):
                messages.success(request, _("%(name)s was saved.") % {"name": values["name"]})
        except IntegrityError:
            form.add_error("id_number", ERROR_ID_TAKEN)
        else:
            return redirect("attendance:teachers")
    return render(request, "attendance/roster/teacher_form.html", {
        "form": form, "teacher": teacher, "school": teacher.organisation,
        "leave_form": TeacherLeaveForm(initial={"left_on": timezone.localdate()}) if teacher.active else None,
        "transfer_form": TeacherTransferForm(schools=service.transfer_targets(teacher.organisation))
        if teacher.active else None,
    })


@login_required
@require_POST
def teacher_leave(request, pk):
    teacher = _teacher(request, pk)
    form = TeacherLeaveForm(request.POST)
    if form.is_valid():
        try:
            service.teacher_leave(actor=request.user, teacher=teacher, left_on=form.cleaned_data["left_on"],
                                  reason=form.cleaned_data["reason"].strip())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(name)s has left the post: no longer on the active lists; "
                                        "attendance and credits are kept.") % {"name": teacher.name})
            return redirect("attendance:teachers")
    return _edit_page(request, teacher, leave_form=form)


@login_required
@require_POST
def teacher_reinstate(request, pk):
    teacher = _teacher(request, pk)
    try:
        service.teacher_reinstate(actor=request.user, teacher=teacher)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is back in post.") % {"name": teacher.name})
    return redirect("attendance:teachers")


@login_required
@require_POST
def teacher_transfer(request, pk):
    teacher = _teacher(request, pk)
    form = TeacherTransferForm(request.POST, schools=service.transfer_targets(teacher.organisation))
    if form.is_valid():
        school = form.cleaned_data["school"]
        try:
            service.teacher_transfer(actor=request.user, teacher=teacher, school=school)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(name)s was transferred to %(school)s with their attendance and credits.")
                             % {"name": teacher.name, "school": school.name})
            return redirect("attendance:teachers")
    return _edit_page(request, teacher, transfer_form=form)


def _edit_page(request, teacher, *, leave_form=None, transfer_form=None):
    return render(request, "attendance/roster/teacher_form.html", {
        "form": TeacherForm(instance=teacher), "teacher": teacher, "school": teacher.organisation,
        "leave_form": leave_form or (TeacherLeaveForm(initial={"left_on": timezone.localdate()})
                                     if teacher.active else None),
        "transfer_form": transfer_form or (TeacherTransferForm(schools=service.transfer_targets(teacher.organisation))
                                           if teacher.active else None),
    })


SHEET_FORMATS = {"html", "pdf"}


@login_required
@never_cache
def teacher_logins(request):
    """Choose teachers without a login → their logins and a sheet of first passwords (shown once)."""
    school = _school(request)
    candidates = service.teachers_without_login(school)
    error = None
    if request.method == "POST":
        ids = parse_ids(request.POST.getlist("teachers"))
        sheet = request.POST.get("sheet", "html")
        if sheet not in SHEET_FORMATS:
            raise BadParameter(_("Unknown action."))
        if not ids:
            error = ERROR_CHOOSE_TEACHERS
        elif Teacher.objects.filter(organisation=school, pk__in=ids).count() != len(set(ids)):
            raise Http404  # another school's teacher: nothing is made
        else:
            try:
                created = service.teacher_logins_create(actor=request.user, school=school, teacher_ids=ids)
            except ValidationError as refused:
                error = " ".join(refused.messages)
            else:
                if not created:
                    messages.warning(request, _(
                        "The chosen teachers already have logins: none was made. A lost first password is "
                        "replaced with “Reset password” on the roster."))
                    return redirect("attendance:teachers_logins")
                return _sheet(request, school, created, sheet)
    return render(request, "attendance/roster/logins.html", {
        "school": school, "candidates": candidates, "error": error, "limit": service.LOGINS_PER_SHEET,
    })


def _sheet(request, school, created, sheet):
    rows = [{"teacher": teacher, "username": user.username, "password": password}
            for teacher, user, password in created]
    context = {"school": school, "rows": rows, "login_url": request.build_absolute_uri(reverse("login")),
               "today": timezone.localdate()}
    if sheet == "pdf":
        pdf = render_pdf("attendance/roster/login_sheet_print.html", context, request=request,
                         metadata={"title": _("First passwords"), "author": school.name})
        return pdf_response(pdf, f"{_('First passwords')}-{school.name}.pdf")
    messages.success(request, ngettext("%(count)s login was made.", "%(count)s logins were made.", len(rows))
                     % {"count": len(rows)})
    return render(request, "attendance/roster/login_sheet.html", context)
