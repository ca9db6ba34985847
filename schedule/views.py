from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from accounts.regions import place_filter
from core.params import parse_id
from plans.forms import ChangeRequestForm, add_validation_error

from . import exports, services
from .forms import (
    FindingsForm, LogEntryForm, ProjectCancelForm, ScheduleFilterForm, SpotCheckCancelForm, SpotCheckDrawForm,
)
from .models import SpotCheck, SpotCheckItem
from .selectors import project_list_for_schedule, project_list_visible


def _filters(request):
    """The validated schedule filters from the query string (this year by default)."""
    user = request.user
    organisers = Organisation.objects.none()
    if user.organisation_id:
        # The organisations of the user's own district (or city, province), and the city's or
        # province's organisers of the projects open to them: never another city's names.
        own = Organisation.objects.filter(**place_filter(user.organisation))
        regional = Organisation.objects.filter(pk__in=project_list_visible(user=user).filter(
            district__isnull=True).values("organiser_id"))
        organisers = (own | regional).exclude(kind=Organisation.Kind.EXPERT_POOL)
    data = request.GET.copy()
    data.setdefault("year", str(timezone.localdate().year))
    form = ScheduleFilterForm(data, organisers=organisers)
    if not form.is_valid():
        return form, None
    cleaned = form.cleaned_data
    return form, {
        "year": cleaned["year"], "month": cleaned["month"], "stage": cleaned["stage"],
        "subject": cleaned["subject"], "mode": cleaned["mode"],
        "organiser_id": cleaned["organiser"].pk if cleaned["organiser"] else None,
    }


@login_required
def schedule(request):
    """Year view shaped like 培训工作安排表, or one month (月工作安排) with ?month=."""
    form, filters = _filters(request)
    projects = project_list_for_schedule(user=request.user, **filters) if filters else []
    months = None
    if filters and not filters["month"]:
        months = [(m, [p for p in projects if p.start_month == m]) for m in range(1, 13)]
    return render(request, "schedule/schedule.html", {
        "form": form, "filters": filters, "projects": projects, "months": months,
        "query": request.GET.urlencode(),
    })


@login_required
def schedule_export(request, fmt):
    if fmt not in exports.EXPORTERS:
        raise Http404
    form, filters = _filters(request)
    if not filters:
        return redirect(reverse("schedule:index") + "?" + request.GET.urlencode())
    projects = project_list_for_schedule(user=request.user, **filters)
    return exports.EXPORTERS[fmt](projects, filters=filters, user=request.user)


def calendar_feed(request, token):
    """iCalendar feed a teacher or school subscribes to: the token stands for the user."""
    user = exports.feed_user(token)
    projects = project_list_visible(user=user).select_related("organiser")
    return exports.calendar_response(projects)


@login_required
def project_detail(request, pk):
    project = get_object_or_404(project_list_visible(user=request.user).select_related("organiser", "source"), pk=pk)
    user = request.user
    can_change = services.may_request_change(user, project)
    can_log = can_change or user.is_district_reviewer_of(project.district_id)
    change_form = ChangeRequestForm(request.POST or None, prefix="change") if can_change else None
    log_form = LogEntryForm(request.POST or None, prefix="log") if can_log else None
    can_cancel = services.may_cancel(user, project) and project.status == project.Status.SCHEDULED
    cancel_form = ProjectCancelForm(request.POST or None, prefix="cancel") if can_cancel else None
    if request.method == "POST":
        if ("change-reason" in request.POST and change_form is None) or (
                "log-text" in request.POST and log_form is None) or (
                "cancel-reason" in request.POST and not services.may_cancel(user, project)):
            raise PermissionDenied
        if "cancel-reason" in request.POST and cancel_form is None:
            messages.error(request, _("This project is finished or cancelled and can no longer be changed."))
            return redirect("schedule:project", pk=project.pk)
        if "cancel-reason" in request.POST and cancel_form.is_valid():
            try:
                services.project_cancel(project=project, user=user, reason=cancel_form.cleaned_data["reason"])
            except ValidationError as error:
                add_validation_error(cancel_form, error)
            else:
                messages.success(request, _("The project was cancelled; its teachers and their schools are told."))
                return redirect("schedule:project", pk=project.pk)
        if "change-reason" in request.POST and change_form.is_valid():
            try:
                document = services.change_request_submit(project=project, user=user, **change_form.cleaned_data)
            except ValidationError as error:
                add_validation_error(change_form, error)
            else:
                messages.success(request, _("Change request submitted for review."))
                return redirect("plans:detail", pk=document.pk)
        elif "log-text" in request.POST and log_form.is_valid():
            try:
                services.log_entry_add(project=project, user=user, **log_form.cleaned_data)
            except ValidationError as error:
                add_validation_error(log_form, error)
            else:
                messages.success(request, _("Log entry added."))
                return redirect("schedule:project", pk=project.pk)
    return render(request, "schedule/project_detail.html", {
        "project": project,
        # Teachers see the schedule but not the plans: no link to a page that answers 404.
        "source_visible": user.has_perm("plans.view_document", project.source),
        "changes": project.changes.select_related("change_request"),
        "change_requests": project.change_requests.select_related("document"),
        "log": project.log.select_related("author"),
        "change_form": change_form, "log_form": log_form, "cancel_form": cancel_form,
        "feed_url": request.build_absolute_uri(reverse("schedule:feed", args=[exports.feed_token(user)])),
    })


def _bureau_only(user):
    if not user.is_bureau_officer:
        raise PermissionDenied


@login_required
def spot_checks(request):
    _bureau_only(request.user)
    form = SpotCheckDrawForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        try:
            check = services.spot_check_draw(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("%(count)s projects drawn for spot checks.") % {"count": check.items.count()})
            return redirect("schedule:spot_check", pk=check.pk)
    checks = SpotCheck.objects.filter(district_id=request.user.organisation.district_id).select_related(
        "created_by", "cancelled_by")
    return render(request, "schedule/spot_checks.html", {"form": form, "checks": checks})


@login_required
def spot_check_detail(request, pk):
    _bureau_only(request.user)
    check = get_object_or_404(SpotCheck.objects.select_related("created_by", "cancelled_by"), pk=pk,
                              district_id=request.user.organisation.district_id)
    cancel_form = SpotCheckCancelForm(request.POST if "cancel" in request.POST else None, prefix="cancel")
    if request.method == "POST" and "cancel" in request.POST:
        if cancel_form.is_valid():
            try:
                services.spot_check_cancel(check=check, user=request.user, reason=cancel_form.cleaned_data["reason"])
            except ValidationError as error:
                add_validation_error(cancel_form, error)
            else:
                messages.success(request, _("The draw is cancelled; the year can be drawn again."))
                return redirect("schedule:spot_checks")
    elif request.method == "POST":
        item = get_object_or_404(SpotCheckItem, pk=parse_id(request.POST.get("item")), spot_check=check)
        form = FindingsForm(request.POST)
        if form.is_valid():
            try:
                services.spot_check_record(item=item, user=request.user, findings=form.cleaned_data["findings"])
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Findings recorded."))
                return redirect("schedule:spot_check", pk=check.pk)
        else:
            messages.error(request, _("Write down what the check found."))
    items = check.items.select_related("project__organiser", "checked_by")
    return render(request, "schedule/spot_check_detail.html", {
        "check": check, "items": items, "cancel_form": cancel_form, "reproduced": check.reproduce(),
        "drawn_ids": sorted(item.project_id for item in items),
    })
