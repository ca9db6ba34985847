from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.db.models import Q
from django.urls import reverse
from viewflow.workflow.models import Task

from accounts.models import Organisation
from core import limits
from core.limits import check_between
from plans.models import Document

from .kit import Decision, ReviewProcessBase, TrailEntryBase, step_choices


class Step(models.TextChoices):
    SUBMIT = "submit", _("Submission")
    INITIAL_REVIEW = "initial_review", _("Initial review")
    EXPERT_REVIEW = "expert_review", _("Expert review")
    FILING = "filing", _("Filing")
    REVISE = "revise", _("Revision")


EXPERT_OPINIONS = (Decision.AGREE, Decision.AGREE_WITH_CHANGES, Decision.DISAGREE)


class ReviewProcess(ReviewProcessBase):
    """One document's way through review; it survives returns and resubmissions."""

    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="review_processes",
        verbose_name=_("document"),
    )

    subject_field = "document"
    subject_template = "workflow/_document_subject.html"
    subject_related = ["document__organisation"]

    class Meta:
        verbose_name = _("review process")
        verbose_name_plural = _("review processes")

    # The kit's subject protocol (workflow.kit).
    @property
    def subject_organisation(self) -> Organisation:
        return self.document.organisation

    @property
    def subject_url(self) -> str:
        return reverse("plans:detail", args=[self.document_id])

    @property
    def subject_year(self) -> int:
        return self.document.year

    @property
    def subject_kind_label(self) -> str:
        return self.document.get_kind_display()

    def subject_context(self) -> dict:
        from plans.views import document_page_context

        return document_page_context(self.document)

    @classmethod
    def inbox_kinds(cls):
        return list(Document.Kind.choices)

    @classmethod
    def subject_filter(cls, prefix, *, kind="", organisation_id=None, year=None, query="", filing_number=""):
        from plans.selectors import document_search_q

        if kind and kind not in Document.Kind.values:
            return None
        condition = Q(**{f"{prefix}__isnull": False})
        if kind:
            condition &= Q(**{f"{prefix}__document__kind": kind})
        if organisation_id:
            condition &= Q(**{f"{prefix}__document__organisation_id": organisation_id})
        if year:
            condition &= Q(**{f"{prefix}__document__year": year})
        if query or filing_number:
            condition &= document_search_q(query=query, filing_number=filing_number, path=f"{prefix}__document__")
        return condition

    @property
    def initial_reviewer_org(self) -> Organisation:
        return initial_reviewer_organisation(self.document)

    @property
    def filing_org(self) -> Organisation:
        return filing_organisation(self.document)

    def needs_expert_review(self) -> bool:
        return expert_review_required(self.document)

    def current_expert_ids(self) -> list[int]:
        return list(
            self.expert_assignments.filter(version=self.document.version)
            .order_by("pk").values_list("expert_id", flat=True)
        )

    def expert_opinions(self):
        """This round's answers: opinions of the experts assigned for the current
        version. Other entries at the expert step (copies, claims, releases) are not answers."""
        return self.document.trail.filter(
            version=self.document.version, step=Step.EXPERT_REVIEW, decision__in=EXPERT_OPINIONS,
            actor_id__in=self.current_expert_ids(),
        )

    def experts_all_agree(self) -> bool:
        """Any 不同意 in this round sends the document back to its author."""
        return not self.expert_opinions().filter(decision=Decision.DISAGREE).exists()


def initial_reviewer_organisation(document: Document) -> Organisation:
    """Schools' documents go to the training school; the training school's own to the bureau."""
    kind = Organisation.Kind.TRAINING_SCHOOL if document.organisation.is_school else Organisation.Kind.BUREAU
    return Organisation.objects.get(district_id=document.organisation.district_id, kind=kind)


class ReviewRoute(models.Model):
    """A district's choice of steps for one kind of document.

    Every kind goes through 初审 and 备案; expert review (专家会审) can be
    switched off per kind, e.g. for routine change requests.
    """

    district = models.ForeignKey("accounts.District", on_delete=models.CASCADE, related_name="review_routes")
    kind = models.CharField(_("document kind"), max_length=20, choices=Document.Kind.choices)
    expert_review = models.BooleanField(_("expert review required"))

    class Meta:
        verbose_name = _("review route")
        verbose_name_plural = _("review routes")
        constraints = [models.UniqueConstraint(fields=["district", "kind"], name="one_route_per_kind")]

    def __str__(self):
        return f"{self.district} · {self.get_kind_display()}"

    # Without a route of its own, every kind but change requests has experts.
    DEFAULT_EXPERT_REVIEW = {Document.Kind.CHANGE_REQUEST: False}


def expert_review_required(document: Document) -> bool:
    configured = ReviewRoute.objects.filter(
        district_id=document.organisation.district_id, kind=document.kind,
    ).values_list("expert_review", flat=True).first()
    if configured is not None:
        return configured
    return ReviewRoute.DEFAULT_EXPERT_REVIEW.get(document.kind, True)


def filing_organisation(document: Document) -> Organisation:
    return Organisation.objects.get(
        district_id=document.organisation.district_id, kind=Organisation.Kind.BUREAU,
    )


class ExpertAssignment(models.Model):
    process = models.ForeignKey(ReviewProcess, on_delete=models.CASCADE, related_name="expert_assignments")
    version = models.PositiveIntegerField(_("version"))
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("expert assignment")
        verbose_name_plural = _("expert assignments")
        constraints = [
            models.UniqueConstraint(fields=["process", "version", "expert"], name="one_assignment_per_round"),
        ]


class TrailEntry(TrailEntryBase):
    """Every state change of a document: who, when, what, and their comment."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="trail")
    version = models.PositiveIntegerField(_("version"))
    step = models.CharField(_("step"), max_length=30, choices=Step.choices)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)

    subject_field = "document"

    class Meta(TrailEntryBase.Meta):
        verbose_name = _("trail entry")
        verbose_name_plural = _("trail entries")
        constraints = [check_between("score", 0, 100, nullable=True, name="trail_score_range")]

    @classmethod
    def subject_fields(cls, subject) -> dict:
        return {"version": subject.version}


class StepDeadline(models.Model):
    """How many days a step may take; overrides settings.REVIEW_STEP_DAYS."""

    # Any flow's human step (workflow.kit.step_choices): documents' and declarations'.
    step = models.CharField(_("step"), max_length=30, choices=step_choices, unique=True)
    days = models.PositiveSmallIntegerField(_("days"), validators=[
        MinValueValidator(1), MaxValueValidator(limits.MAX_DEADLINE_DAYS)])

    class Meta:
        verbose_name = _("step deadline")
        verbose_name_plural = _("step deadlines")
        constraints = [check_between("days", 1, limits.MAX_DEADLINE_DAYS, name="step_deadline_days_range")]

    def __str__(self):
        return f"{self.get_step_display()}: {self.days}"


class TaskDue(models.Model):
    task = models.OneToOneField(Task, on_delete=models.CASCADE, primary_key=True, related_name="due")
    due_date = models.DateField(_("due date"), db_index=True)

    class Meta:
        verbose_name = _("task due date")
        verbose_name_plural = _("task due dates")


class SavedFilter(models.Model):
    """A user's named inbox filter (tab, kind, school, year)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(_("name"), max_length=50)
    query = models.CharField(_("filter"), max_length=300)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="unique_filter_name_per_user")]


class DocumentCopy(models.Model):
    """抄送: a document shared for information with someone outside its approval path."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="copies")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("recipient"))
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("copy for information")
        verbose_name_plural = _("copies for information")
        constraints = [models.UniqueConstraint(fields=["document", "recipient"], name="one_copy_per_recipient")]
