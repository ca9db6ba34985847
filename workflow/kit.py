"""The review kit: what every flow of approvals shares.

A flow built on the kit (workflow.flows.ReviewFlow for documents,
credits.flows.DeclarationFlow for declared training) brings

- a process model subclassing ReviewProcessBase: one *subject* (the thing
  reviewed: a document, a declaration), the latest decision for its gateways,
  and the subject protocol below, which the one inbox and the one task page read;
- a trail model subclassing TrailEntryBase: every step's decision on a subject;
- HumanTask nodes (workflow.nodes) for its human steps: due date and the
  task_created signal on creation, claim/release/hand-over rules, batch approval;
- decision services ending in workflow.services.task_decide (trail entry,
  process.decision and completion of the task, all or nothing, in the lock).

The subject protocol (a process answers for its subject):
    subject, subject_title, subject_organisation, subject_url, subject_year,
    subject_kind_label, subject_template (a partial for the task page) and
    subject_context(user) (its context, as that reader may see it); class-level: subject_related (select_related
    paths for lists), subject_url_name (the subject's page, if subject_url is not the flow's own),
    inbox_kinds() and subject_filter() for the inbox filters.
"""
import functools

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process, Task


class Decision(models.TextChoices):
    """Every decision a trail records, in any flow."""

    SUBMIT = "submit", _("Submitted")
    RESUBMIT = "resubmit", _("Resubmitted")
    CLAIM = "claim", _("Claimed")
    RELEASE = "release", _("Released")
    REASSIGN = "reassign", _("Handed over")
    COPY = "copy", _("Copied for information")
    APPROVE = "approve", _("Approved")
    RETURN = "return", _("Returned for revision")
    REJECT = "reject", _("Rejected")
    AGREE = "agree", _("Agree")
    AGREE_WITH_CHANGES = "agree_with_changes", _("Agree after changes")
    DISAGREE = "disagree", _("Disagree")


class ReviewProcessBase(Process):
    """One subject's way through a review flow; it survives returns and resubmissions."""

    # Outcome of the latest human step, read by the flow's gateways.
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)

    subject_field = ""  # the foreign key to what is reviewed
    subject_template = ""  # the task page's partial showing the subject and its trail
    subject_related: list[str] = []  # select_related paths from the process, for the inbox
    # Columns of those subjects no inbox row reads (paths from the process), not fetched on its pages.
    inbox_unread: list[str] = []
    # The subject's page: a URL name taking the subject's pk. subject_url reverses it; the inbox
    # reverses it once a page. Empty: the flow's own subject_url.
    subject_url_name = ""
    records_claims = True  # claims and releases go in the trail (declarations keep decisions only)

    class Meta:
        abstract = True

    @property
    def subject(self):
        return getattr(self, self.subject_field)

    @property
    def subject_title(self) -> str:
        return self.subject.title

    @property
    def subject_organisation(self):
        raise NotImplementedError

    @classmethod
    def load_subjects(cls, processes: list) -> None:
        """Fetch, for a page of these processes (the inbox's), what their subject_* read beyond
        subject_related, in one query for the page instead of one a row. Default: nothing."""

    @property
    def subject_pk(self):
        return getattr(self, f"{self.subject_field}_id")

    @property
    def subject_url(self) -> str:
        if not self.subject_url_name:
            raise NotImplementedError
        return reverse(self.subject_url_name, args=[self.subject_pk])

    @property
    def subject_year(self) -> int | None:
        return None

    @property
    def subject_kind_label(self) -> str:
        raise NotImplementedError

    def subject_context(self, user=None) -> dict:
        """What the subject's partial needs on the task page, for this reader."""
        raise NotImplementedError

    @classmethod
    def inbox_kinds(cls) -> list[tuple[str, str]]:
        """The inbox's "kind" filter values this flow's tasks answer to."""
        raise NotImplementedError

    @classmethod
    def subject_filter(cls, prefix: str, *, kind="", organisation_id=None, year=None, query="",
                       filing_number="") -> Q | None:
        """The inbox filters as a condition on tasks (prefix: the path from Task to
        this process model), or None when this flow has no task of that kind (or no
        subject with a filing number, when one is asked for). ``query``: words each
        found in the subject's title or content."""
        raise NotImplementedError

    def trail_record(self, **entry):
        return trail_record(subject=self.subject, **entry)


class TrailEntryBase(models.Model):
    """One state change of a subject: who, when, at which step, what, and why."""

    subject_field = ""  # the foreign key to the subject

    # Concrete trails restate it with their flow's steps as choices.
    step = models.CharField(_("step"), max_length=30)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("by"))
    comment = models.TextField(_("comment"), blank=True)
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

    @classmethod
    def subject_fields(cls, subject) -> dict:
        """Fields a trail copies from its subject besides the link (e.g. the version)."""
        return {}


def _concrete_subclasses(base) -> list:
    return [model for model in apps.get_models() if issubclass(model, base)]


@functools.cache
def process_models() -> list[type[ReviewProcessBase]]:
    """The process models of every flow built on the kit (documents, declarations, …)."""
    return _concrete_subclasses(ReviewProcessBase)


@functools.cache
def _trail_models() -> dict:
    return {model._meta.get_field(model.subject_field).related_model: model
            for model in _concrete_subclasses(TrailEntryBase)}


def trail_model_for(subject) -> type[TrailEntryBase]:
    return _trail_models()[type(subject)]


def trail_record(*, subject=None, step: str, decision: str, actor, comment: str = "", task=None,
                 document=None, **extra):
    """Write one trail entry about a subject, in the trail of its kind.

    (document= is the subject under its name from before the kit.)
    """
    subject = subject if subject is not None else document
    model = trail_model_for(subject)
    return model.objects.create(**{model.subject_field: subject}, **model.subject_fields(subject),
                                step=step, decision=decision, actor=actor, comment=comment, task=task, **extra)


def load_subjects(processes) -> None:
    """Each flow's load_subjects for its processes among these (a page of the inbox's rows)."""
    by_model = {}
    for process in processes:
        if process is not None:
            by_model.setdefault(type(process), []).append(process)
    for model, group in by_model.items():
        model.load_subjects(group)


def task_process(task) -> ReviewProcessBase | None:
    """The kit process of a task, through the reverse one-to-one links: no query
    when the task list select_related them (workflow.selectors.task_related)."""
    for model in process_models():
        try:
            return getattr(task.process, model._meta.model_name)
        except model.DoesNotExist:
            continue
    return None


# Human steps of every flow: registered by workflow.nodes.HumanTask once its
# flow class is complete. The flows modules are imported on first use.
_human_nodes = []


def register_node(node) -> None:
    _human_nodes.append(node)


@functools.cache
def _discover_flows() -> None:
    autodiscover_modules("flows")


def human_nodes() -> list:
    _discover_flows()
    return list(_human_nodes)


def step_choices() -> list[tuple[str, str]]:
    """Every human step of every flow (StepDeadline's choices): a step's name is its node's."""
    seen = {}
    for node in human_nodes():
        seen.setdefault(node.name, node.task_title)
    return sorted(seen.items())
