import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.workflow.flow import views as flow_views

from accounts.models import Organisation
from core.params import parse_id, parse_ids, parse_year
from plans.models import Document
from plans.forms import add_validation_error
from plans.views import document_page_context

from . import selectors, services
from .forms import CopyNoteForm, ExpertReviewForm, FilingForm, InitialReviewForm, ResubmitForm, SavedFilterForm



class TaskFormView(generic.FormView):
    """A review step's page: the document, its trail, and the decision form.

    viewflow's wrapper has already checked the user owns the task, taken the
    process lock and opened the transaction (for POST).
    """

    template_name = "workflow/task_form.html"
    success_message = ""

    @property
    def activation(self):
        return self.request.activation

    @property
    def document(self) -> Document:
        return self.activation.process.document

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(document_page_context(self.document))
        context["task"] = self.activation.task
        context["step_title"] = self.activation.flow_task.task_title
        return context

    def form_valid(self, form):
        try:
            # A savepoint: a refused decision leaves nothing half-written.
            with transaction.atomic():
                self.decide(form)
                self.activation.execute()
        except ValidationError as error:
            add_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"title": self.document.title})
        return redirect("workflow:inbox")

    def decide(self, form):
        raise NotImplementedError


class InitialReviewView(TaskFormView):
    form_class = InitialReviewForm
    success_message = gettext_lazy("Initial review of “%(title)s” recorded.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["experts_queryset"] = services.expert_pool(document=self.document)
        return kwargs

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not self.activation.process.needs_expert_review():
            del form.fields["experts"]  # this district files this kind without experts
        return form

    def decide(self, form):
        services.initial_review_decide(
            activation=self.activation, user=self.request.user,
            decision=form.cleaned_data["decision"], comment=form.cleaned_data["comment"],
            experts=form.cleaned_data.get("experts") or [],
        )


class ExpertReviewView(TaskFormView):
    form_class = ExpertReviewForm
    success_message = gettext_lazy("Your expert opinion on “%(title)s” was recorded.")

    def decide(self, form):
        services.expert_review_give(
            activation=self.activation, user=self.request.user,
            opinion=form.cleaned_data["opinion"], score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )


class FilingView(TaskFormView):
    form_class = FilingForm
    success_message = gettext_lazy("Filing decision on “%(title)s” recorded.")

    def get_initial(self):
        return {"filing_number": services.filing_number_suggest(document=self.document)}

    def decide(self, form):
        services.filing_decide(
            activation=self.activation, user=self.request.user,
            decision=form.cleaned_data["decision"], filing_number=form.cleaned_data["filing_number"],
            comment=form.cleaned_data["comment"],
        )


class ReviseView(TaskFormView):
    form_class = ResubmitForm
    template_name = "workflow/task_revise.html"
    success_message = gettext_lazy("“%(title)s” was resubmitted and goes to initial review again.")

    def decide(self, form):
        services.document_resubmit(
            activation=self.activation, user=self.request.user, comment=form.cleaned_data["comment"],
        )


class TaskIndexView(flow_views.UserIndexTaskView):
    """A task's short URL: refuse outright instead of redirecting home."""

    def get_redirect_url(self, *args, **kwargs):
        activation = self.request.activation
        if not activation.flow_task.can_view(self.request.user, activation.task):
            raise PermissionDenied
        return super().get_redirect_url(*args, **kwargs)


class ClaimTaskView(flow_views.AssignTaskView):
    """viewflow's claim, recorded in the trail and shown in our own layout.

    Other flows reuse it by naming what the task is about (subject) and how a
    claim is recorded.
    """

    template_name = "workflow/task_claim.html"
    released_url = "workflow:inbox"  # where "back" and a release lead

    def subject(self):
        return self.request.activation.process.coerced.document

    def record_claim(self, claimed: bool):
        services.task_record_claim(task=self.request.activation.task, user=self.request.user, claimed=claimed)

    def form_valid(self, form):
        services.task_claim(task=self.request.activation.task, user=self.request.user,
                            record_claim=lambda task, user: self.record_claim(True))
        messages.success(self.request, _("Task claimed: it is now in your inbox."))
        return redirect(self.get_success_url())

    def get_success_url(self):
        task = self.request.activation.task
        return task.flow_task.reverse("execute", args=[task.process_id, task.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["task"] = self.request.activation.task
        context["subject"] = self.subject()
        context["back_url"] = reverse(self.released_url)
        return context


class ReleaseTaskView(ClaimTaskView):
    template_name = "workflow/task_release.html"

    def form_valid(self, form):
        self.request.activation.unassign()
        self.record_claim(False)
        messages.success(self.request, _("Task released back to the queue."))
        return redirect(self.released_url)


@login_required
def inbox(request):
    if request.method == "POST":
        return _inbox_post(request)
    tab = request.GET.get("tab") if request.GET.get("tab") in selectors.INBOX_TABS else "mine"
    kind = request.GET.get("kind", "")
    kind = kind if kind in Document.Kind.values else ""
    # Optional filters: a malformed value is ignored (core.params).
    organisation_id = parse_id(request.GET.get("organisation"), required=False)
    year = parse_year(request.GET.get("year"))
    counts = selectors.task_counts(user=request.user)
    tasks = selectors.task_filter(
        selectors.INBOX_TABS[tab](user=request.user), kind=kind, organisation_id=organisation_id, year=year,
    )
    tasks = tasks.order_by("-finished" if tab == "done" else "due__due_date", "-pk")
    page = Paginator(tasks, 25).get_page(request.GET.get("page"))
    today = timezone.localdate()
    eligible = {}  # one look-up per (permission, organisation) on the page, not per row
    rows = [_task_row(task, today, eligible) for task in page]
    user = request.user
    schools = Organisation.objects.none()
    if user.organisation_id and user.role in ("training_officer", "bureau_officer"):
        schools = Organisation.objects.filter(district_id=user.organisation.district_id).exclude(
            kind__in=[Organisation.Kind.EXPERT_POOL]).order_by("kind", "name")
    return render(request, "workflow/inbox.html", {
        "saved_filters": request.user.saved_filters.all(), "query": request.GET.urlencode(),
        "batch_experts": _batch_experts(request.user),
        "tab": tab, "counts": counts, "rows": rows, "page": page,
        "kinds": Document.Kind.choices, "kind": kind, "organisation_id": organisation_id,
        "year": year, "schools": schools, "years": range(today.year + 1, today.year - 5, -1),
    })


def _batch_experts(user):
    from accounts.models import User

    if not user.organisation_id or user.role not in ("training_officer", "bureau_officer"):
        return User.objects.none()
    return User.objects.filter(role=User.Role.EXPERT, is_active=True,
                               organisation__district_id=user.organisation.district_id).order_by("full_name")


def _inbox_post(request):
    """Batch approval, hand-over and saved filters, posted from the inbox."""
    from viewflow.workflow.models import Task

    from . import inbox_actions
    from .models import SavedFilter

    back = _safe_back(request)
    action = request.POST.get("action")
    # Ids typed into a form are parsed first: a malformed one is a 400 (core.params).
    try:
        if action == "batch_approve":
            count = inbox_actions.tasks_batch_approve(
                user=request.user, task_ids=parse_ids(request.POST.getlist("tasks")),
                experts=_batch_experts(request.user).filter(pk__in=parse_ids(request.POST.getlist("experts"))))
            messages.success(request, _("%(count)s tasks approved.") % {"count": count})
        elif action == "hand_over":
            from accounts.models import User

            task = get_object_or_404(Task, pk=parse_id(request.POST.get("task")))
            to = get_object_or_404(User, pk=parse_id(request.POST.get("to")))
            inbox_actions.task_hand_over(task=task, user=request.user, to=to)
            messages.success(request, _("Task handed over to %(name)s.") % {"name": to.display_name})
        elif action == "save_filter":
            # The query is the page's own (a hidden field): cut, not refused, if too long.
            form = SavedFilterForm({"name": request.POST.get("name", ""), "query": request.POST.get("query", "")[:300]})
            if not form.is_valid():
                raise ValidationError([message for errors in form.errors.values() for message in errors])
            SavedFilter.objects.update_or_create(user=request.user, name=form.cleaned_data["name"],
                                                 defaults={"query": form.cleaned_data["query"]})
            messages.success(request, _("Filter saved."))
        elif action == "delete_filter":
            SavedFilter.objects.filter(user=request.user, pk=parse_id(request.POST.get("filter"))).delete()
        else:
            raise PermissionDenied
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(back)


@login_required
def document_copy(request, pk):
    """抄送 from a document's page."""
    from accounts.models import User
    from plans.views import get_visible_document

    from . import inbox_actions

    document = get_visible_document(request.user, pk)
    if request.method != "POST":
        raise PermissionDenied
    recipient = get_object_or_404(User, pk=parse_id(request.POST.get("recipient")))
    form = CopyNoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([message for errors in form.errors.values() for message in errors])
        inbox_actions.document_copy(document=document, sender=request.user, recipient=recipient,
                                    note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Copy sent to %(name)s.") % {"name": recipient.display_name})
    return redirect("plans:detail", pk=document.pk)


def _safe_back(request) -> str:
    """The POSTed "back" address, only if it stays on this site (else the inbox)."""
    inbox_url = reverse("workflow:inbox")
    back = request.POST.get("back", "")
    if back.startswith("?"):  # the inbox's own filters (redirect() would take "?..." for a view name)
        back = inbox_url + back
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return back
    return inbox_url


def _task_row(task, today: datetime.date, eligible: dict) -> dict:
    document = task.process.reviewprocess.document
    due = getattr(task, "due", None)
    due_date = due.due_date if due else None
    url_name = "execute" if task.owner_id and not task.finished else "assign"
    action_url = None if task.finished else task.flow_task.reverse(url_name, args=[task.process_id, task.pk])
    from . import inbox_actions

    hand_over_to = []
    if task.owner_id and not task.finished and task.owner_permission:
        key = (task.owner_permission, task.owner_permission_obj_pk)
        if key not in eligible:
            eligible[key] = inbox_actions.eligible_users(*key)
        hand_over_to = [u for u in eligible[key] if u.pk != task.owner_id]
    return {
        "task": task,
        "document": document,
        "hand_over_to": hand_over_to,
        "step": task.flow_task.task_title,
        "due_date": due_date,
        "overdue": bool(due_date and not task.finished and due_date < today),
        "action_url": action_url,
        "release_url": (
            task.flow_task.reverse("unassign", args=[task.process_id, task.pk])
            if task.owner_id and not task.finished and task.owner_permission else None
        ),
        "document_url": reverse("plans:detail", args=[document.pk]),
    }
