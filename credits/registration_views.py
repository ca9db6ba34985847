"""Pages of the declared-training registration (seed 002).

The teacher's list and form, each declaration's page and certificate, and the
flow's decide and revise pages (the review kit's task page; viewflow mounts
them under /workflow/declaration/). Reviewers find declaration tasks in the
one task inbox (workflow.views.inbox), with due dates, hand-over and batch
approval; the old queue address redirects there.
"""
import copy
import os

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attendance.models import Teacher
from core import widgets
from core.files import private_file_response
from plans.forms import add_validation_error
from workflow import views as workflow_views
from workflow.forms import REVIEW_DECISIONS

from . import declarations as services
from .scopes import declarations_visible
from .models import Declaration, DeclarationProcess


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
            fields[name].widget = widgets.DateInput()
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


# --- the teacher's pages ---------------------------------------------------------------------

@login_required
def declaration_list(request):
    declarations = declarations_visible(request.user).order_by("-created_at", "-pk")
    status = request.GET.get("status", "")
    if status in Declaration.Status.values:
        declarations = declarations.filter(status=status)
    page = Paginator(declarations, 25).get_page(request.GET.get("page"))
    return render(request, "credits/declarations/list.html", {
        "page": page, "status": status, "statuses": Declaration.Status.choices,
        "can_declare": Teacher.objects.filter(user=request.user, active=True).exists(),
        "is_reviewer": request.user.is_school_officer or request.user.is_district_reviewer,
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
    declaration = get_object_or_404(declarations_visible(request.user), pk=pk)
    task, action = services.declaration_open_task_for(request.user, declaration)
    context = services.declaration_page_context(declaration)
    context["task_url"] = task.flow_task.reverse(action, args=[task.process_id, task.pk]) if task else None
    context["task"] = task
    return render(request, "credits/declarations/detail.html", context)


@login_required
def declaration_certificate(request, pk):
    declaration = get_object_or_404(declarations_visible(request.user), pk=pk)
    return private_file_response(declaration.certificate, as_attachment=False,
                                 filename=os.path.basename(declaration.certificate.name))


# --- the reviewers' queue: the one inbox ---------------------------------------------------------

@login_required
def declaration_queue(request):
    """The former queue page's address: declaration tasks are in the task inbox."""
    return redirect(reverse("workflow:inbox") + "?" + urlencode({"tab": "queue", "kind": DeclarationProcess.INBOX_KIND}))


# --- the flow's task pages (the review kit's task page) --------------------------------------------

class DeclarationReviewView(workflow_views.TaskFormView):
    """学校审核 / 进修学校登记 / 教育局确认: approve, return or reject."""

    form_class = DecisionForm
    success_message = gettext_lazy("Your decision on “%(title)s” was recorded.")

    def decide(self, form):
        services.declaration_decide(activation=self.activation, user=self.request.user,
                                    decision=form.cleaned_data["decision"], comment=form.cleaned_data["comment"])


class DeclarationReviseView(workflow_views.TaskFormView):
    form_class = ReviseForm
    success_message = gettext_lazy("“%(title)s” was resubmitted to your school.")
    intro = gettext_lazy("Your declaration was returned. Read the opinions in the review trail below, correct it, "
                         "then resubmit it to your school.")
    submit_label = gettext_lazy("Resubmit")

    def get_initial(self):
        declaration = self.subject
        return {name: getattr(declaration, name) for name in services.FIELDS}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "teacher": self.subject.teacher}

    def decide(self, form):
        services.declaration_resubmit(
            activation=self.activation, user=self.request.user, data=form.cleaned_data,
            certificate=form.cleaned_data.get("certificate") or None, comment=form.cleaned_data.get("comment", ""))

    def get_success_url(self):
        return reverse("credits:declaration_detail", args=[self.subject.pk])
