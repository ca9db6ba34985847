from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.db.models import Q
from viewflow.workflow.models import Task

from accounts.models import Organisation
from accounts.regions import place_filter
from core import limits
from core.limits import check_between
from plans.models import Document

from .kit import Decision, ReviewProcessBase, TrailEntryBase, step_choices


class Step(models.TextChoices):
    SUBMIT = "submit", _("Submission")
    SCHOOL_REVIEW = "school_review", _("School sign-off")
    INITIAL_REVIEW = "initial_review", _("Initial review")
    EXPERT_REVIEW = "expert_review", _("Expert review")
    FILING = "filing", _("Filing")
    REVISE = "revise", _("Revision")
    CONFIRM_CHANGES = "confirm_changes", _("Confirmation of changes")


EXPERT_OPINIONS = (Decision.AGREE, Decision.AGREE_WITH_CHANGES, Decision.DISAGREE)
_KIND_LABELS = dict(Document.Kind.choices)  # lazy: translated when shown


class ReviewProcess(ReviewProcessBase):
    """One document's way through review; it survives returns and resubmissions."""

    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="review_processes",
        verbose_name=_("document"),
    )

    # The last expert round agreed subject to changes (修改后同意): the author's
    # revision goes to the initial reviewer to confirm them, not to new experts.
    # Cleared when the changes are confirmed.
    changes_requested = models.BooleanField(_("changes requested by the experts"), default=False)

    subject_field = "document"
    subject_template = "workflow/_document_subject.html"
    subject_related = ["document__organisation"]
    inbox_unread = [f"document__{name}" for name in ("status", "version", "filing_number", "filed_at", "created_by",
                                                       "created_at", "updated_at")]
    subject_url_name = "plans:detail"

    class Meta:
        verbose_name = _("review process")
        verbose_name_plural = _("review processes")

    # The kit's subject protocol (workflow.kit).
    @property
    def subject_organisation(self) -> Organisation:
        return self.document.organisation

    @property
    def subject_year(self) -> int:
        return self.document.year

    @property
    def subject_kind_label(self) -> str:
        # As get_kind_display(), which builds a dict of the choices at each call (a row of the inbox).
        return str(_KIND_LABELS.get(self.document.kind, self.document.kind))

    def subject_context(self, user=None) -> dict:
        from plans.views import document_page_context

        return document_page_context(self.document, user=user)

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

    def needs_school_review(self) -> bool:
        return school_review_required(self.document)

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

    def expert_round_outcome(self) -> str:
        """The result of this round, once every assigned expert has answered:

        - any 不同意 (disagree): DISAGREE — back to the author, and the revision
          goes through 初审 and a new expert round;
        - otherwise any 修改后同意 (agree with changes): AGREE_WITH_CHANGES — back
          to the author with the experts' comments, and the revision goes to the
          initial reviewer to confirm the changes, then to filing (no new round);
        - otherwise (every expert agrees): AGREE — to filing.
        """
        opinions = set(self.expert_opinions().values_list("decision", flat=True))
        for outcome in (Decision.DISAGREE, Decision.AGREE_WITH_CHANGES):
            if outcome in opinions:
                return outcome
        return Decision.AGREE

    def requested_changes(self):
        """The opinions of the last expert round (what the author is asked to change,
        what the initial reviewer checks): every expert's comment of that round."""
        trail = self.document.trail.filter(step=Step.EXPERT_REVIEW, decision__in=EXPERT_OPINIONS)
        last = trail.order_by("-version").values_list("version", flat=True).first()
        if last is None:
            return trail.none()
        return trail.filter(version=last).select_related("actor").order_by("created_at", "pk")


def initial_reviewer_organisation(document: Document) -> Organisation:
    """Schools' documents go to the training school; the training school's own to the bureau;
    a city's or province's training centre's to the bureau of its city or province."""
    organisation = document.organisation
    if organisation.is_school:
        return Organisation.objects.get(district_id=organisation.district_id, kind=Organisation.Kind.TRAINING_SCHOOL)
    return Organisation.objects.get(**place_filter(organisation), kind=Organisation.Kind.BUREAU)


class ReviewRoute(models.Model):
    """A district's (or a city's or province's, for the documents of its own level) choice of
    steps for one kind of document.

    Every kind goes through 初审 and 备案; expert review (专家会审) can be
    switched off per kind, e.g. for routine change requests; the principal's
    sign-off (学校审核) before a school's document leaves the school switched on.
    """

    # Exactly one of district, city, province (as Organisation): whose documents the route is for.
    district = models.ForeignKey("accounts.District", on_delete=models.CASCADE, related_name="review_routes",
                                 null=True, blank=True, verbose_name=_("district"))
    city = models.ForeignKey("accounts.City", on_delete=models.CASCADE, related_name="review_routes",
                             null=True, blank=True, verbose_name=_("city"))
    province = models.ForeignKey("accounts.Province", on_delete=models.CASCADE, related_name="review_routes",
                                 null=True, blank=True, verbose_name=_("province"))
    kind = models.CharField(_("document kind"), max_length=20, choices=Document.Kind.choices)
    expert_review = models.BooleanField(_("expert review required"))
    school_review = models.BooleanField(
        _("principal sign-off required"), default=False,
        help_text=_("A school's document goes first to its own principal, before the initial review. "
                    "Documents of the training school and the bureau are not affected."))

    class Meta:
        verbose_name = _("review route")
        verbose_name_plural = _("review routes")
        constraints = [
            models.UniqueConstraint(fields=["district", "kind"], name="one_route_per_kind"),
            models.UniqueConstraint(fields=["city", "kind"], name="one_city_route_per_kind"),
            models.UniqueConstraint(fields=["province", "kind"], name="one_province_route_per_kind"),
            models.CheckConstraint(
                name="review_route_in_one_place",
                violation_error_message=_("Choose exactly one of district, city or province."),
                condition=(Q(district__isnull=False, city__isnull=True, province__isnull=True)
                           | Q(district__isnull=True, city__isnull=False, province__isnull=True)
                           | Q(district__isnull=True, city__isnull=True, province__isnull=False))),
        ]

    def __str__(self):
        return f"{self.district or self.city or self.province} · {self.get_kind_display()}"

    # Without a route of its own, every kind but change requests has experts.
    DEFAULT_EXPERT_REVIEW = {Document.Kind.CHANGE_REQUEST: False}


def expert_review_required(document: Document) -> bool:
    configured = ReviewRoute.objects.filter(
        **place_filter(document.organisation), kind=document.kind,
    ).values_list("expert_review", flat=True).first()
    if configured is not None:
        return configured
    return ReviewRoute.DEFAULT_EXPERT_REVIEW.get(document.kind, True)


def school_review_required(document: Document) -> bool:
    """Only a school's (or kindergarten's) own documents, where the district's route asks for it."""
    if not document.organisation.is_school:
        return False
    return bool(ReviewRoute.objects.filter(
        district_id=document.organisation.district_id, kind=document.kind, school_review=True,
    ).exists())


def filing_organisation(document: Document) -> Organisation:
    """The bureau of the document's district, city or province."""
    return Organisation.objects.get(**place_filter(document.organisation), kind=Organisation.Kind.BUREAU)


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


def trail_for_reader(document: Document, user=None):
    """A document's trail as this reader may see it, and whether opinions were held back.

    Expert independence: an expert sees no other expert's opinion (decision, score,
    comment) of the current round (the current version) until they have given their
    own; earlier rounds stay visible. Everyone else who may see the document (authors,
    principals, the training school, the bureau) sees the whole trail.
    """
    trail = TrailEntry.objects.filter(document=document).select_related("actor").order_by("created_at", "pk")
    if user is None or not user.is_authenticated or user.is_superuser or not user.is_expert:
        return trail, False
    this_round = Q(version=document.version, step=Step.EXPERT_REVIEW, decision__in=EXPERT_OPINIONS)
    if trail.filter(this_round, actor_id=user.pk).exists():
        return trail, False
    others = trail.filter(this_round).exclude(actor_id=user.pk)
    if not others.exists():
        return trail, False
    return trail.exclude(pk__in=others.values("pk")), True


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
