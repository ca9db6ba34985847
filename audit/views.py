from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.paging import page_of

from . import exports, tasks
from .forms import AuditFilterForm
from .models import AuditEvent
from .selectors import event_list

PAGE_SIZE = 50


def _bureau_only(user):
    """The audit trail is the bureau's: its officers see their own district's events."""
    if not user.is_bureau_officer:
        raise PermissionDenied


def _filtered(request):
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, event_list(user=request.user, **form.cleaned_data)


@login_required
def audit_list(request):
    _bureau_only(request.user)
    form, events = _filtered(request)
    page = page_of(request, events if events is not None else AuditEvent.objects.none(), PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/event_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
    })


@login_required
@require_POST  # the page's Excel and CSV buttons; a GET (a link, a crawler) starts nothing
def audit_export(request, fmt):
    _bureau_only(request.user)
    if fmt not in exports.EXPORTERS:
        raise Http404
    form, events = _filtered(request)
    if events is None:
        return redirect(reverse("audit:list") + "?" + request.GET.urlencode())
    # A background job (audit.tasks): the trail of a district grows without bound.
    job = tasks.export_start(user=request.user, fmt=fmt, filters=form.cleaned_data)
    return redirect("jobs:detail", pk=job.pk)
