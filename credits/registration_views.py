"""Pages of the declared-training registration (seed 002).

The teacher's list and form, each declaration's page and certificate, the
reviewers' queue with batch verification for schools, and the flow's task
pages (claim, decide, revise), which viewflow mounts under /workflow/declaration/.
"""
import copy
import os

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views import generic
from django.views.decorators.http import require_POST

from accounts.models import User
from attendance.models import Teacher
from plans.forms import add_validation_error
from workflow import views as workflow_views
from workflow.forms import REVIEW_DECISIONS

from . import declarations as services
from .models import Declaration, DeclarationDecision

REVIEWER_ROLES = {User.Role.SCHOOL_OFFICER, User.Role.TRAINING_OFFICER, User.Role.BUREAU_OFFICER}


# --- forms ------------------------------------------------------------------------------------

class DeclarationForm(forms.Form):
    """The fields of credits.declarations.FIELDS; the service checks every rule again."""

    certificate_help = gettext_lazy("A JPG or PNG image, or a PDF, at most %(size)s MB.")

    certificate = forms.FileField(
        label=gettext_lazy("certificate"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, teacher=None, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {name: copy.deepcopy(field) for name, field in services.FIELDS.items()}
        for name in ("start_date", "end_date"):
            fields[name].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        fields["hours"].widget.attrs.update({"step": "0.1"})
        # Subject credits and categories only where the teacher's rules use them.
        offered = services.rules_for_form(teacher)
        if offered["categories"]:
            fields["category"].widget = forms.Select(choices=[("", "—"), *offered["categories"]])
        else:
            del fields["category"]
        if not offered["subject_credits"]:
            del fields["subject_credits"]
        else:
            fields["subject_credits"].widget.attrs.update({"step": "0.5"})
        self.fields = {**fields, **self.fields}  # then certificate (and the revision's comment)
        self.fields["certificate"].help_text = self.certificate_help % {"size": services.CERTIFICATE_MAX_MB}


class ReviseForm(DeclarationForm):
    comment = forms.CharField(label=gettext_lazy("What was changed"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    certificate_help = gettext_lazy(
        "Only to replace the certificate: a JPG or PNG image, or a PDF, at most %(size)s MB.")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=REVIEW_DECISIONS, widget=forms.RadioSelect)
    comment = forms.CharField(label=gettext_lazy("Opinion"), widget=forms.Textarea(attrs={"rows": 4}),
                              required=False)


def _declaration_context(declaration: Declaration) -> dict:
    return {
        "declaration": declaration,
        "trail": DeclarationDecision.objects.filter(declaration=declaration).select_related("actor"),
        "entries": declaration.entries.order_by("pk"),
        "certificate_url": reverse("credits:declaration_certificate", args=[declaration.pk]),
    }


# --- the teacher's pages ---------------------------------------------------------------------

@login_required
def declaration_list(request):
    declarations = services.declarations_visible(request.user).order_by("-created_at", "-pk")
    status = request.GET.get("status", "")
    if status in Declaration.Status.values:
        declarations = declarations.filter(status=status)
    page = Paginator(declarations, 25).get_page(request.GET.get("page"))
    return render(request, "credits/declarations/list.html", {
        "page": page, "status": status, "statuses": Declaration.Status.choices,
        "can_declare": Teacher.objects.filter(user=request.user, active=True).exists(),
        "is_reviewer": request.user.role in REVIEWER_ROLES,
    })


@login_required
def declaration_create(request):
    teacher = Teacher.objects.filter(user=request.user, active=True).select_related("organisation__district").first()
    if teacher is None:
        raise PermissionDenied
    form = DeclarationForm(request.POST or None, request.FILES or None, teacher=teacher)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # a savepoint: a refused declaration leaves nothing behind
                declaration = services.declaration_submit(
                    request.user, form.cleaned_data, form.cleaned_data.get("certificate"))
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("“%(title)s” was submitted to your school for verification.")
                             % {"title": declaration.title})
            return redirect("credits:declaration_detail", declaration.pk)
    return render(request, "credits/declarations/form.html", {"form": form})


@login_required
def declaration_detail(request, pk):
    declaration = get_object_or_404(services.declarations_visible(request.user), pk=pk)
    task, action = services.declaration_open_task_for(request.user, declaration)
    context = _declaration_context(declaration)
    context["task_url"] = task.flow_task.reverse(action, args=[task.process_id, task.pk]) if task else None
    context["task"] = task
    return render(request, "credits/declarations/detail.html", context)


@login_required
def declaration_certificate(request, pk):
    declaration = get_object_or_404(services.declarations_visible(request.user), pk=pk)
    try:
        handle = declaration.certificate.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404
    return FileResponse(handle, as_attachment=False, filename=os.path.basename(declaration.certificate.name))


# --- the reviewers' queue ---------------------------------------------------------------------

def _task_row(task, user) -> dict:
    declaration = task.process.declarationprocess.declaration
    mine = task.owner_id == user.pk
    return {
        "task": task,
        "declaration": declaration,
        "step": task.flow_task.task_title,
        "mine": mine,
        "action_url": task.flow_task.reverse("execute" if mine else "assign", args=[task.process_id, task.pk]),
        "batch": task.flow_task.name == "school_verify",
    }


@login_required
def declaration_queue(request):
    user = request.user
    if user.role not in REVIEWER_ROLES or not user.organisation_id:
        raise PermissionDenied
    tasks = (services.declaration_task_inbox(user=user) | services.declaration_task_queue(user=user))
    tasks = tasks.order_by("created", "pk")
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    rows = [_task_row(task, user) for task in page]
    return render(request, "credits/declarations/queue.html", {
        "page": page, "rows": rows,
        "can_batch": user.role == User.Role.SCHOOL_OFFICER and any(row["batch"] for row in rows),
    })


@login_required
@require_POST
def declaration_batch_verify(request):
    if request.user.role != User.Role.SCHOOL_OFFICER:
        raise PermissionDenied
    ids = request.POST.getlist("declarations")
    try:
        with transaction.atomic():
            approved = services.declarations_batch_verify(request.user, ids, comment=request.POST.get("comment", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, ngettext(
            "%(count)s declaration verified and sent to the training school.",
            "%(count)s declarations verified and sent to the training school.", len(approved),
        ) % {"count": len(approved)})
    return redirect("credits:declaration_queue")


# --- the flow's task pages ---------------------------------------------------------------------

class DeclarationTaskMixin:
    @property
    def activation(self):
        return self.request.activation

    @property
    def declaration(self) -> Declaration:
        return self.activation.process.declaration

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_declaration_context(self.declaration))
        context["task"] = self.activation.task
        context["step_title"] = self.activation.flow_task.task_title
        return context


class DeclarationReviewView(DeclarationTaskMixin, generic.FormView):
    """学校审核 / 进修学校登记 / 教育局确认: approve, return or reject.

    viewflow's wrapper has already checked the user owns the task, taken the
    process lock and opened the transaction (for POST).
    """

    template_name = "credits/declarations/task_form.html"
    form_class = DecisionForm

    def form_valid(self, form):
        try:
            with transaction.atomic():  # a savepoint: a refused decision leaves nothing half-written
                services.declaration_decide(
                    activation=self.activation, user=self.request.user,
                    decision=form.cleaned_data["decision"], comment=form.cleaned_data["comment"])
                self.activation.execute()
        except ValidationError as error:
            add_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your decision on “%(title)s” was recorded.")
                         % {"title": self.declaration.title})
        return redirect("credits:declaration_queue")


class DeclarationReviseView(DeclarationTaskMixin, generic.FormView):
    template_name = "credits/declarations/task_revise.html"
    form_class = ReviseForm

    def get_initial(self):
        declaration = self.declaration
        return {name: getattr(declaration, name) for name in services.FIELDS}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "teacher": self.declaration.teacher}

    def form_valid(self, form):
        try:
            with transaction.atomic():
                services.declaration_resubmit(
                    activation=self.activation, user=self.request.user, data=form.cleaned_data,
                    certificate=form.cleaned_data.get("certificate") or None,
                    comment=form.cleaned_data.get("comment", ""))
                self.activation.execute()
        except ValidationError as error:
            add_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("“%(title)s” was resubmitted to your school.")
                         % {"title": self.declaration.title})
        return redirect("credits:declaration_detail", self.declaration.pk)


class _DeclarationTask:
    """The review inbox's claim and release pages, about a declaration."""

    released_url = "credits:declaration_queue"

    def subject(self):
        return self.request.activation.process.declaration

    def record_claim(self, claimed: bool):
        pass  # a declaration's trail holds decisions only


class ClaimTaskView(_DeclarationTask, workflow_views.ClaimTaskView):
    pass


class ReleaseTaskView(_DeclarationTask, workflow_views.ReleaseTaskView):
    pass
