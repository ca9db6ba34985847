"""Pages of credit recognition up the chain (credits.recognition): the batches a user
may see, one batch with its lines and trail, and the flow's decision page (the review
kit's task page; viewflow mounts it under /workflow/recognition/). Tasks are in the
one inbox (workflow.views.inbox)."""
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy

from workflow import views as workflow_views
from workflow.forms import REVIEW_DECISIONS

from . import recognition as services
from .models import CreditEntry, Recognition, RecognitionBatch


class RecognitionDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=REVIEW_DECISIONS, widget=forms.RadioSelect)
    # Choices, not a model field: a value that is no line of the batch is a form error,
    # never a query with it (an id too large for the database).
    refused = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Refuse these credits"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("When confirming: the lines ticked here are refused, the others go on."))
    comment = forms.CharField(label=gettext_lazy("Opinion"), widget=forms.Textarea(attrs={"rows": 4}),
                              required=False)

    def __init__(self, *args, batch=None, **kwargs):
        super().__init__(*args, **kwargs)
        entries = CreditEntry.objects.filter(recognition_batch=batch, recognition=Recognition.PROVISIONAL) \
            .select_related("teacher").order_by("teacher__name", "pk")
        self.fields["refused"].choices = [(entry.pk, f"{entry.teacher.name} · {entry.description} · {entry.credits}")
                                          for entry in entries]


class RecognitionReviewView(workflow_views.TaskFormView):
    """A level's confirmation: confirm (refusing some lines, if need be), return to the
    previous level, or refuse the batch."""

    form_class = RecognitionDecisionForm
    success_message = gettext_lazy("Your decision on “%(title)s” was recorded.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "batch": self.subject}

    def decide(self, form):
        services.recognition_decide(
            activation=self.activation, user=self.request.user, decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"], refused=form.cleaned_data["refused"])


@login_required
def recognition_list(request):
    if not services.may_use_recognition(request.user):
        raise PermissionDenied
    batches = services.batches_visible(request.user).order_by("-created_at", "-pk")
    status = request.GET.get("status", "")
    if status in RecognitionBatch.Status.values:
        batches = batches.filter(status=status)
    page = Paginator(batches, 25).get_page(request.GET.get("page"))
    return render(request, "credits/recognition/list.html", {
        "page": page, "status": status, "statuses": RecognitionBatch.Status.choices})


@login_required
def recognition_detail(request, pk):
    batch = get_object_or_404(services.batches_visible(request.user), pk=pk)
    task, action = services.batch_open_task_for(request.user, batch)
    context = services.batch_page_context(batch)
    context["task_url"] = task.flow_task.reverse(action, args=[task.process_id, task.pk]) if task else None
    context["task"] = task
    return render(request, "credits/recognition/detail.html", context)
