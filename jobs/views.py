from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import services
from .models import Job

PAGE_SIZE = 25


def _own_job(request, pk) -> Job:
    # Someone else's job is a 404: no hint that it exists.
    return get_object_or_404(Job, pk=pk, owner=request.user)


def job_status_data(job: Job) -> dict:
    return {
        "state": job.state,
        "state_label": job.get_state_display(),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "finished": job.finished,
        "error": job.error,
        "download_url": reverse("jobs:download", args=[job.pk]) if job.state == Job.State.DONE else "",
    }


@login_required
def job_list(request):
    """My jobs, newest first."""
    jobs = Job.objects.filter(owner=request.user).order_by("-created_at", "-pk")
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "jobs/job_list.html", {"page": page})


@login_required
def job_detail(request, pk):
    job = _own_job(request, pk)
    return render(request, "jobs/job_detail.html", {"job": job, "status": job_status_data(job)})


@login_required
@never_cache
def job_status(request, pk):
    """The job page's progress, polled by static/js/jobs.js."""
    return JsonResponse(job_status_data(_own_job(request, pk)))


@login_required
@require_POST
def job_cancel(request, pk):
    job = services.job_cancel(job=_own_job(request, pk), user=request.user)
    if job.state == Job.State.CANCELLED:
        messages.success(request, _("The job was cancelled."))
    elif job.finished:
        messages.info(request, _("The job had already finished."))
    else:
        messages.success(request, _("The job stops after the item it is working on."))
    return redirect("jobs:detail", pk=job.pk)


@login_required
def job_download(request, pk):
    job = _own_job(request, pk)
    if job.state != Job.State.DONE or not job.result_file:
        raise Http404(_("This job has no result to download."))
    try:
        handle = default_storage.open(job.result_file, "rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("The result of this job is no longer kept. Start the job again.")) from None
    return FileResponse(handle, as_attachment=True, filename=job.result_name or "result",
                        content_type=job.result_type or "application/octet-stream")
