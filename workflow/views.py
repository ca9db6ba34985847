import datetime
import html

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.workflow.flow import views as flow_views

from accounts import regions
from core.display import url_maker
from core.params import parse_id, parse_ids, parse_text, parse_year
from plans.models import Document
from plans.selectors import document_organisations, parse_organisation
from plans.forms import add_validation_error

from . import kit, selectors, services
from .forms import (BatchApproveForm, ConfirmChangesForm, CopyNoteForm, ExpertReviewForm, FilingForm,
                    InitialReviewForm, ResubmitForm, SavedFilterForm, SchoolReviewForm)



class TaskFormView(generic.FormView):
    """A human step's page, for every flow on the kit: the decision form, then the
    subject (the process's subject partial: a document, a declaration) with its trail.

    viewflow's wrapper has already checked the user owns the task, taken the
    process lock and opened the transaction (for POST). decide() calls the
    flow's decision service, which ends in services.task_decide.
    """

    template_name = "workflow/task_form.html"
    success_message = ""
    intro = ""  # a paragraph above the form
    submit_label = gettext_lazy("Submit decision")

    @property
    def activation(self):
        return self.request.activation

    @property
    def process(self):
        return self.activation.process

    @property
    def subject(self):
        return self.process.subject

    @property
    def document(self) -> Document:
        return self.process.document

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # As this reader may see it (an expert sees no other expert's opinion of
        # the current round before giving their own).
        context.update(self.process.subject_context(user=self.request.user))
        context.update({
            "task": self.activation.task, "step_title": self.activation.flow_task.task_title,
            "process": self.process, "subject": self.subject, "subject_template": self.process.subject_template,
            "intro": self.get_intro(), "submit_label": self.submit_label, "edit_url": self.edit_url(),
            "requested_changes": self.requested_changes(),
        })
        return context

    def get_intro(self):
        return self.intro

    def requested_changes(self):
        """The experts' comments to act on (修改后同意), shown above the form, if any."""
        return None

    def edit_url(self) -> str | None:
        """A page to change the subject before deciding (the document editor), if any."""
        return None

    def form_valid(self, form):
        try:
            self.decide(form)
        except ValidationError as error:
            add_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"title": self.subject.title})
        return redirect(self.get_success_url())

    def get_success_url(self):
        return reverse("workflow:inbox")

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


class SchoolReviewView(TaskFormView):
    """学校审核 by the school's principal."""

    form_class = SchoolReviewForm
    success_message = gettext_lazy("Your sign-off decision on “%(title)s” was recorded.")
    intro = gettext_lazy("Read the document below. Signed off, it goes to the initial review; "
                         "returned, it goes back to its author, then to you again.")

    def decide(self, form):
        services.school_review_decide(
            activation=self.activation, user=self.request.user,
            decision=form.cleaned_data["decision"], comment=form.cleaned_data["comment"],
        )


class ConfirmChangesView(TaskFormView):
    """修改后同意: the initial reviewer confirms the changes the experts asked for."""

    form_class = ConfirmChangesForm
    success_message = gettext_lazy("Your confirmation of the changes to “%(title)s” was recorded.")
    intro = gettext_lazy("The experts agreed subject to the changes below. Check the revised version "
                         "(compare it with the previous one): confirmed, it goes to filing without "
                         "another expert review; not confirmed, it goes back to its author.")

    def requested_changes(self):
        return self.process.requested_changes()

    def decide(self, form):
        services.confirm_changes_decide(
            activation=self.activation, user=self.request.user,
            decision=form.cleaned_data["decision"], comment=form.cleaned_data["comment"],
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
    default_message = gettext_lazy("“%(title)s” was resubmitted and goes to initial review again.")
    intro = gettext_lazy("The document was returned for revision. Read the opinions in the review trail "
                         "below, edit the document, then resubmit it.")
    submit_label = gettext_lazy("Resubmit")
    changes_intro = gettext_lazy("The experts agreed subject to the changes below. Edit the document "
                                 "accordingly, then resubmit it: the initial reviewer confirms the changes, "
                                 "without another expert review.")

    resubmitted_to = {
        Document.Status.SCHOOL_REVIEW: gettext_lazy("“%(title)s” was resubmitted and goes to the principal for sign-off."),
        Document.Status.CHANGES_CHECK: gettext_lazy(
            "“%(title)s” was resubmitted and goes to the initial reviewer to confirm the changes."),
    }

    @property
    def success_message(self):
        # Read after the decision: where the resubmission went.
        return self.resubmitted_to.get(self.document.status, ReviseView.default_message)

    def get_intro(self):
        return self.changes_intro if self.process.changes_requested else self.intro

    def requested_changes(self):
        return self.process.requested_changes() if self.process.changes_requested else None

    def edit_url(self):
        return reverse("plans:edit", args=[self.document.pk])

    def decide(self, form):
        services.document_resubmit(
            activation=self.activation, user=self.request.user, comment=form.cleaned_data["comment"],
        )


class TaskIndexView(flow_views.UserIndexTaskView):
    """A task's short URL (the notices link to it): refuse outright instead of
    redirecting home; a task the user can neither handle nor claim (done, or
    taken by someone else) leads to its subject's page in the app's own look,
    not to viewflow's task page."""

    def get_redirect_url(self, *args, **kwargs):
        activation = self.request.activation
        if not activation.flow_task.can_view(self.request.user, activation.task):
            raise PermissionDenied
        url = super().get_redirect_url(*args, **kwargs)
        detail = activation.flow_task.reverse("detail", args=[activation.task.process_id, activation.task.pk])
        if url == detail:
            process = kit.task_process(activation.task)
            if process is not None:
                return process.subject_url
        return url


class ClaimTaskView(flow_views.AssignTaskView):
    """viewflow's claim, for every flow on the kit: recorded in the trail where the
    flow records claims, and shown in our own layout."""

    template_name = "workflow/task_claim.html"
    released_url = "workflow:inbox"  # where "back" and a release lead

    def subject_title(self):
        return self.request.activation.process.subject_title

    def form_valid(self, form):
        services.task_claim(task=self.request.activation.task, user=self.request.user)
        # True for every flow: the one inbox lists each flow's tasks (workflow.selectors).
        messages.success(self.request, _("Task claimed: it is now in your inbox."))
        return redirect(self.get_success_url())

    def get_success_url(self):
        task = self.request.activation.task
        return task.flow_task.reverse("execute", args=[task.process_id, task.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["task"] = self.request.activation.task
        context["subject_title"] = self.subject_title()
        context["back_url"] = reverse(self.released_url)
        return context


class ReleaseTaskView(ClaimTaskView):
    template_name = "workflow/task_release.html"

    def form_valid(self, form):
        self.request.activation.unassign()
        services.task_record_claim(task=self.request.activation.task, user=self.request.user, claimed=False)
        messages.success(self.request, _("Task released back to the queue."))
        return redirect(self.released_url)


@login_required
def inbox(request):
    """The one task inbox: every flow's tasks (documents, declarations) by tab."""
    if request.method == "POST":
        return _inbox_post(request)
    tab = request.GET.get("tab") if request.GET.get("tab") in selectors.INBOX_TABS else "mine"
    kinds = selectors.inbox_kinds()
    kind = request.GET.get("kind", "")
    kind = kind if kind in {code for code, _label in kinds} else ""
    # Optional filters: a malformed year is ignored (core.params); the search fields
    # (organisation among those offered, words, filing number) answer a bad value with a 400.
    user = request.user
    # The filter's choices as (pk, name) records: a district's hundred schools, no model objects.
    schools = list(document_organisations(user=user).values_list("pk", "name", named=True))
    organisation_id = parse_organisation(request.GET.get("organisation"), schools)
    year = parse_year(request.GET.get("year"))
    query = parse_text(request.GET.get("q"))
    filing_number = parse_text(request.GET.get("filing_number"), max_length=50)
    counts = selectors.task_counts(user=user)
    tasks = selectors.task_filter(
        selectors.INBOX_TABS[tab](user=user), kind=kind, organisation_id=organisation_id, year=year,
        query=query, filing_number=filing_number,
    )
    tasks = selectors.inbox_page_tasks(tasks).order_by("-finished" if tab == "done" else "due__due_date", "-pk")
    paginator = Paginator(tasks, 25)
    if not (kind or organisation_id or year or query or filing_number):
        # Unfiltered, the tab's list is what its count counted (task_counts): no second COUNT.
        paginator.count = counts[tab]
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    page_memo = _PageMemo()
    processes = [kit.task_process(task) for task in page]
    kit.load_subjects(processes)  # e.g. the recognitions' bureaus: one query a page, not one a row
    rows = [_task_row(task, process, today, page_memo) for task, process in zip(page, processes)]
    labels = {"select": _("Select"), "overdue": _("Overdue"), "claim": _("Claim"), "handle": _("Handle"),
              "release": _("Release"), "hand_over_to": _("Hand over to"), "hand_over": _("Hand over"),
              "csrf_input": format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                                        get_token(request))}
    for row in rows:
        row["html"] = _row_html(row, tab, labels)
    filters = {name: value for name, value in (("kind", kind), ("organisation", organisation_id), ("year", year),
                                               ("q", query), ("filing_number", filing_number)) if value}
    return render(request, "workflow/inbox.html", {
        "saved_filters": request.user.saved_filters.all(), "query": request.GET.urlencode(),
        "filter_query": urlencode(filters),  # kept when switching tabs
        "batch_experts": _batch_experts(request.user),
        "tab": tab, "counts": counts, "rows": rows, "page": page,
        "kinds": kinds, "kind": kind, "organisation_id": organisation_id,
        "year": year, "q": query, "filing_number": filing_number,
        # A district's hundred schools: the options built here, not by a loop of the template.
        # (A plain join with the names escaped: format_html costs three times as much an option.)
        "school_options": mark_safe("".join(
            f'<option value="{school.pk}"{" selected" if school.pk == organisation_id else ""}>'
            f'{html.escape(school.name)}</option>' for school in schools
        )) if len(schools) > 1 else "",
        "years": range(today.year + 1, today.year - 5, -1),
    })


def _batch_experts(user):
    from accounts.models import User

    if not (user.is_district_reviewer or user.is_regional_officer):
        return User.objects.none()
    # The pools of the reviewer's own place (and its city's shared pool): as for one document.
    return services.experts_of_pools(regions.expert_pool_organisations(user.organisation))


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
            form = BatchApproveForm(request.POST)
            if not form.is_valid():
                raise ValidationError([message for errors in form.errors.values() for message in errors])
            count = inbox_actions.tasks_batch_approve(
                user=request.user, task_ids=parse_ids(request.POST.getlist("tasks")),
                comment=form.cleaned_data["comment"],
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
    # A local path only: "abc" would pass the host check and then be taken for a URL name.
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return back
    return inbox_url


class _PageMemo:
    """What the inbox's rows share, worked out once per request."""

    def __init__(self):
        self.candidates = {}  # one look-up per group of tasks with the same candidates on the page, not per row
        self.dates = {}  # each day formatted once (the rows share them), not by a filter per row and column
        self.urls = {}  # each step's URL of each name reversed once, with stand-ins for the ids

    def short_date(self, value) -> str:
        """value (a date, or a datetime shown in local time) as the template's |date:"SHORT_DATE_FORMAT"."""
        if value is None:
            return ""
        day = timezone.localtime(value).date() if isinstance(value, datetime.datetime) else value
        if day not in self.dates:
            self.dates[day] = formats.date_format(day, "SHORT_DATE_FORMAT")
        return self.dates[day]

    def _url(self, key, reversing, *ids) -> str:
        """A URL of the page, its name (and step) reversed once: one reverse() a name, not two or three a row."""
        if key not in self.urls:
            self.urls[key] = url_maker(ids=len(ids), reversing=reversing)
        return self.urls[key](*ids)

    def task_url(self, node, url_name: str, task) -> str:
        return self._url((node, url_name), lambda *ids: node.reverse(url_name, args=ids), task.process_id, task.pk)

    def subject_url(self, process) -> str:
        name = process.subject_url_name
        if not name:  # a flow whose subject_url is its own
            return process.subject_url
        return self._url(name, lambda *ids: reverse(name, args=ids), process.subject_pk)


_EMPTY_CELL = "<td></td>"


def _escape(value) -> str:
    """conditional_escape without its wrappers (a row escapes a dozen values, a page 300)."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _row_html(row: dict, tab: str, labels: dict) -> str:
    """A row of inbox.html's table, built here: in the template, the page's rows cost
    a dozen variables, conditions and translations each. labels: the page's translated
    labels and its CSRF field, made once. Plain f-strings with every value escaped (format_html's
    HTML, at a quarter of its calls)."""
    check = ""
    if tab != "done":
        check = (f'<td><input type="checkbox" name="tasks" value="{_escape(row["task"].pk)}" form="batch" '
                 f'aria-label="{_escape(labels["select"])}"></td>') if row["batch"] else _EMPTY_CELL
    if tab == "done":
        last = f"<td>{_escape(row['finished_shown'])}</td>"
    elif row["due_date"]:
        overdue = row["overdue"]
        last = (f'<td><span class="{"overdue" if overdue else ""}">{_escape(row["due_date_shown"])}'
                f'{" " + _escape(labels["overdue"]) if overdue else ""}</span></td>')
    else:
        last = _EMPTY_CELL
    # The actions: claim (queue), or handle, release and hand over (my tasks).
    csrf_input = _escape(labels["csrf_input"])
    actions = []
    if row["action_url"] and tab == "queue":
        actions.append(f'<form method="post" action="{_escape(row["action_url"])}">{csrf_input}'
                       f'<button type="submit" data-testid="claim">{_escape(labels["claim"])}</button></form>')
    elif row["action_url"]:
        actions.append(f'<a class="btn" data-testid="handle" href="{_escape(row["action_url"])}">'
                       f'{_escape(labels["handle"])}</a>')
    if row["release_url"] and tab == "mine":
        actions.append(f'<form method="post" action="{_escape(row["release_url"])}">{csrf_input}'
                       f'<button class="secondary" type="submit">{_escape(labels["release"])}</button></form>')
    if row["hand_over_to"] and tab == "mine":
        options = "".join(f'<option value="{_escape(colleague.pk)}">{_escape(colleague.display_name)}</option>'
                          for colleague in row["hand_over_to"])
        actions.append(
            f'<form method="post">{csrf_input}<input type="hidden" name="action" value="hand_over">'
            f'<input type="hidden" name="task" value="{_escape(row["task"].pk)}">'
            f'<select name="to" aria-label="{_escape(labels["hand_over_to"])}">{options}</select>'
            f'<button class="secondary">{_escape(labels["hand_over"])}</button></form>')
    year = "" if row["year"] is None else _escape(row["year"])
    return mark_safe(
        f'<tr>{check}<td><a href="{_escape(row["subject_url"])}">{_escape(row["title"])}</a></td>'
        f'<td>{_escape(row["kind"])}</td><td>{_escape(row["organisation"])}</td><td>{year}</td>'
        f'<td>{_escape(row["step"])}</td><td>{_escape(row["created_shown"])}</td>{last}'
        f'<td class="actions">{" ".join(actions)}</td></tr>')


def _task_row(task, process, today: datetime.date, memo: _PageMemo) -> dict:
    node = task.flow_task
    due = getattr(task, "due", None)
    due_date = due.due_date if due else None
    open_ = not task.finished
    url_name = "execute" if task.owner_id and open_ else "assign"
    action_url = memo.task_url(node, url_name, task) if open_ else None
    changes_hands = bool(task.owner_id and open_ and node.may_hand_over())
    hand_over_to = []
    if changes_hands:
        key = node.candidates_key(task)
        if key not in memo.candidates:
            memo.candidates[key] = node.candidates(task)
        hand_over_to = [u for u in memo.candidates[key] if u.pk != task.owner_id]
    return {
        "task": task,
        "title": process.subject_title,
        "subject_url": memo.subject_url(process),
        "kind": process.subject_kind_label,
        "organisation": process.subject_organisation,
        "year": process.subject_year,
        "hand_over_to": hand_over_to,
        "step": node.task_title,
        "batch": open_ and node.batch_approve is not None,
        "due_date": due_date,
        "due_date_shown": memo.short_date(due_date),
        "created_shown": memo.short_date(task.created),
        "finished_shown": memo.short_date(task.finished),
        "overdue": bool(due_date and open_ and due_date < today),
        "action_url": action_url,
        "release_url": memo.task_url(node, "unassign", task) if changes_hands else None,
    }
