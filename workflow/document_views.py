"""What the review adds to plans' document pages: its parts of the page
(through plans.signals.document_page, connected in WorkflowConfig.ready()) and
the submit button's view (mounted at /documents/<pk>/submit/ by config/urls.py)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from plans.models import Document
from plans.views import get_visible_document

from .inbox_actions import copy_recipients
from .models import trail_for_reader
from .submission import document_submit as submit


def document_page_parts(sender, document, user=None, **kwargs) -> dict:
    """The trail (as the reader may see it: workflow.models.trail_for_reader); for a
    reader also the resubmit link and who may get a copy."""
    trail, opinions_hidden = trail_for_reader(document, user)
    parts = {"trail": trail, "trail_opinions_hidden": opinions_hidden}
    if user is not None:
        parts["revise_task_url"] = _open_revise_task_url(document, user)
        if user.is_district_reviewer or user.is_school_officer:
            parts["copy_recipients"] = copy_recipients(document, user)
    return parts


def _open_revise_task_url(document, user):
    if document.status != Document.Status.RETURNED:
        return None
    task = Task.objects.filter(
        process__reviewprocess__document=document, flow_task_type="HUMAN",
        owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED],
    ).first()
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk]) if task else None


@login_required
@require_POST
def document_submit(request, pk):
    document = get_visible_document(request.user, pk)
    try:
        document = submit(document=document, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Submitted to the principal for sign-off.")
                         if document.status == Document.Status.SCHOOL_REVIEW else _("Submitted for initial review."))
    return redirect("plans:detail", pk=document.pk)
