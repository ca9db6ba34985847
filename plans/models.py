from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import Organisation
from core import limits
from core.choices import Subject
from core.limits import Between, check_between

MONTH_VALIDATORS = [
    MinValueValidator(1, _("A month must be between 1 and 12.")),
    MaxValueValidator(12, _("A month must be between 1 and 12.")),
]


class TrainingMode(models.TextChoices):
    ONLINE = "online", _("Online study")
    CONCENTRATED = "concentrated", _("Concentrated training")
    AWAY = "away", _("Study visit")
    OUTREACH = "outreach", _("Teaching delivered to rural schools")
    SHADOWING = "shadowing", _("Shadow training")
    PRACTICE = "practice", _("Practical course")


class ContentModule(models.TextChoices):
    ETHICS = "ethics", _("Professional ethics")
    CLASS_MANAGEMENT = "class_management", _("Class management")
    PROFESSIONAL_DEVELOPMENT = "professional_development", _("Professional development")
    SUBJECT_TEACHING = "subject_teaching", _("Subject teaching")
    EDUCATION_TECHNOLOGY = "education_technology", _("Education technology")
    MENTAL_HEALTH = "mental_health", _("Mental health education")


class SchoolTrainingForm(models.TextChoices):
    LECTURE = "lecture", _("Thematic lectures")
    SELF_STUDY = "self_study", _("Self-study and reflection")
    CASE_STUDY = "case_study", _("Lesson case analysis")
    RESEARCH = "research", _("Topic research")
    MODEL_LESSON = "model_lesson", _("Demonstration by key teachers")
    PEER_SUPPORT = "peer_support", _("Peer mentoring")
    EXPERT_GUIDANCE = "expert_guidance", _("Expert guidance")
    OBSERVATION = "observation", _("Observation visits")
    READING_NOTES = "reading_notes", _("Reading notes")


class SchoolTrainingTopic(models.TextChoices):
    POLITICS = "politics", _("Political theory")
    ETHICS = "ethics", _("Teachers' ethics and conduct")
    EDUCATION_THEORY = "education_theory", _("Education theory")
    TEACHING_METHODS = "teaching_methods", _("Teaching methods")
    SUBJECT_KNOWLEDGE = "subject_knowledge", _("Subject knowledge")
    EDUCATION_TECHNOLOGY = "education_technology", _("Modern education technology")
    WRITING = "writing", _("Paper writing")
    EVALUATION = "evaluation", _("Teaching evaluation")
    CALLIGRAPHY = "calligraphy", _("Calligraphy")


def choice_labels(choices_class, values):
    """Labels of stored choice codes, joined the Chinese way (、)."""
    labels = dict(choices_class.choices)
    return "、".join(str(labels.get(v, v)) for v in values)


def months_display(start, end):
    """"11月" for a one-month project, "11月至12月" otherwise ("" for a draft without months)."""
    if start is None or end is None:
        start = end = start if start is not None else end
        if start is None:
            return ""
    if start == end:
        return _("Month %(month)s") % {"month": start}
    return _("Month %(start)s to month %(end)s") % {"start": start, "end": end}


class Document(models.Model):
    """What flows through review: an annual plan, a school plan or a proposal.

    Kind-specific content lives in the one-to-one models below, so that the
    review flow, permissions, versions and the trail serve all three kinds.
    """

    class Kind(models.TextChoices):
        ANNUAL_PLAN = "annual_plan", _("District annual training plan")
        SCHOOL_PLAN = "school_plan", _("School-based training plan")
        PROJECT_PROPOSAL = "project_proposal", _("Training project proposal")
        CHANGE_REQUEST = "change_request", _("Project change request")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHOOL_REVIEW = "school_review", _("Awaiting the principal's sign-off")
        INITIAL_REVIEW = "initial_review", _("In initial review")
        EXPERT_REVIEW = "expert_review", _("In expert review")
        FILING = "filing", _("Awaiting filing")
        RETURNED = "returned", _("Returned for revision")
        CHANGES_CHECK = "changes_check", _("Changes awaiting confirmation")
        APPROVED = "approved", _("Approved and filed")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("document kind"), max_length=20, choices=Kind.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="documents",
        verbose_name=_("organisation"),
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=limits.year_range())
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True,
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    filing_number = models.CharField(
        _("filing number"), max_length=50, unique=True, null=True, blank=True,
    )
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-year", "-updated_at"]
        constraints = [
            # One annual plan / one school plan per organisation and year;
            # any number of proposals and change requests.
            models.UniqueConstraint(
                fields=["kind", "organisation", "year"],
                condition=models.Q(kind__in=["annual_plan", "school_plan"]),
                name="one_plan_per_org_and_year",
            ),
            check_between("year", limits.MIN_YEAR, limits.MAX_YEAR, name="document_year_range"),
        ]
        indexes = [models.Index(fields=["organisation", "kind", "year"])]

    def __str__(self):
        return self.title

    @property
    def detail(self):
        """The kind-specific content (AnnualPlan, SchoolPlan or ProjectProposal)."""
        return getattr(self, KIND_DETAIL_ATTR[self.kind])

    @property
    def is_editable(self):
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class DocumentUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian table: fast per-document grants (assigned experts)."""

    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)


class DocumentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)


class AnnualPlan(models.Model):
    """District annual training plan (年度教师培训工作计划), shaped like seed 004."""

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, primary_key=True, related_name="annual_plan",
    )
    guiding_ideology = models.TextField(_("guiding ideology"), blank=True)
    objectives = models.TextField(_("training objectives"), blank=True)
    principles = models.TextField(_("training principles"), blank=True)
    target_audience = models.TextField(_("trainees"), blank=True)
    tasks_and_content = models.TextField(_("training tasks and content"), blank=True)
    measures = models.TextField(_("working measures"), blank=True)
    implementation_steps = models.TextField(_("implementation steps"), blank=True)
    organisational_support = models.TextField(_("organisational support"), blank=True)

    class Meta:
        verbose_name = _("annual training plan")
        verbose_name_plural = _("annual training plans")

    SECTIONS = [
        "guiding_ideology", "objectives", "principles", "target_audience",
        "tasks_and_content", "measures", "implementation_steps", "organisational_support",
    ]


class PlannedProject(models.Model):
    """A row of the annual plan's 培训工作安排表."""

    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="projects")
    sequence = models.PositiveSmallIntegerField(_("No."), validators=[Between(1, limits.MAX_SEQUENCE)])
    name = models.CharField(_("project name"), max_length=200, blank=True)
    headcount = models.PositiveIntegerField(
        _("planned headcount"), null=True, blank=True,
        validators=[MinValueValidator(1, _("The headcount must be at least 1.")),
                    Between(None, limits.MAX_HEADCOUNT, limits.ERROR_HEADCOUNT_MAX)],
    )
    all_staff = models.BooleanField(_("all staff"), default=False)
    modes = models.JSONField(_("training modes"), default=list)
    month = models.PositiveSmallIntegerField(_("planned month"), null=True, blank=True, validators=MONTH_VALIDATORS)
    location = models.CharField(_("location"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("planned project")
        verbose_name_plural = _("planned projects")
        ordering = ["plan", "sequence"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(all_staff=True) | models.Q(headcount__gte=1),
                name="headcount_or_all_staff",
                violation_error_message=_("Enter a headcount of at least 1, or 全员 for all staff."),
            ),
            check_between("headcount", 1, limits.MAX_HEADCOUNT, nullable=True, name="planned_headcount_range"),
            check_between("month", 1, 12, nullable=True, name="planned_month_range"),
        ]

    @property
    def headcount_display(self):
        return _("All staff") if self.all_staff else self.headcount

    @property
    def modes_display(self):
        return choice_labels(TrainingMode, self.modes)


class SchoolPlan(models.Model):
    """School-based training plan (校本培训计划), shaped like seed 003."""

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, primary_key=True, related_name="school_plan",
    )
    significance = models.TextField(_("significance"), blank=True)
    objectives = models.TextField(_("objectives and tasks"), blank=True)
    hours_per_teacher = models.PositiveIntegerField(
        _("hours per teacher per school year"), default=50, null=True, blank=True,
        validators=[MinValueValidator(50, _("Each teacher needs at least 50 hours of school-based training a year.")),
                    Between(None, limits.MAX_YEARLY_HOURS, limits.ERROR_HOURS_MAX)],
    )
    group_leader = models.CharField(_("leadership group leader"), max_length=100, blank=True)
    group_deputies = models.CharField(_("deputy leaders"), max_length=200, blank=True)
    group_members = models.CharField(_("group members"), max_length=500, blank=True)
    office = models.TextField(_("office"), blank=True)
    forms = models.JSONField(_("training forms"), default=list)
    topics = models.JSONField(_("training topics"), default=list)
    assessment = models.TextField(_("management and assessment"), blank=True)
    annual_budget = models.DecimalField(
        _("annual budget (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), Between(None, limits.MAX_BUDGET, limits.ERROR_AMOUNT_MAX)],
    )

    class Meta:
        verbose_name = _("school-based training plan")
        verbose_name_plural = _("school-based training plans")
        constraints = [
            check_between("hours_per_teacher", 50, limits.MAX_YEARLY_HOURS, nullable=True, name="school_plan_hours_range"),
            check_between("annual_budget", 0, limits.MAX_BUDGET, nullable=True, name="school_plan_budget_range"),
        ]

    SECTIONS = ["significance", "objectives", "office", "assessment"]

    @property
    def forms_display(self):
        return choice_labels(SchoolTrainingForm, self.forms)

    @property
    def topics_display(self):
        return choice_labels(SchoolTrainingTopic, self.topics)


class SchoolPlanYear(models.Model):
    """One school year's block of the five-year mid-term plan."""

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="years")
    start_year = models.PositiveSmallIntegerField(_("school year starting"), null=True, blank=True,
                                                  validators=limits.year_range())
    content = models.TextField(_("content"), blank=True)
    forms = models.CharField(_("forms"), max_length=300, blank=True)
    hours = models.PositiveIntegerField(
        _("hours"), null=True, blank=True,
        validators=[MinValueValidator(1, _("Hours must be at least 1.")), Between(None, limits.MAX_YEARLY_HOURS, limits.ERROR_HOURS_MAX)],
    )

    class Meta:
        verbose_name = _("school year block")
        verbose_name_plural = _("school year blocks")
        ordering = ["plan", "start_year"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "start_year"], name="one_block_per_school_year"),
            check_between("start_year", limits.MIN_YEAR, limits.MAX_YEAR, nullable=True, name="school_year_block_year_range"),
            check_between("hours", 1, limits.MAX_YEARLY_HOURS, nullable=True, name="school_year_block_hours_range"),
        ]

    @property
    def label(self):
        if self.start_year is None:  # a draft's block without its year yet
            return _("School year not given")
        return _("%(start)s–%(end)s school year") % {"start": self.start_year, "end": self.start_year + 1}


class ProjectProposal(models.Model):
    """Training project proposal (培训项目书)."""

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, primary_key=True, related_name="project_proposal",
    )
    organiser = models.CharField(_("organiser"), max_length=100, blank=True)
    target_group = models.CharField(_("target group"), max_length=200, blank=True)
    # 学段 and 学科 of the teachers it is for (empty: every stage / every subject); the
    # scheduled project carries them, so the schedule's stage and subject filters find it.
    stage = models.CharField(_("stage"), max_length=20, blank=True, choices=[("", _("Every stage"))] + [
        choice for choice in Organisation.Stage.choices if choice[0]])
    subject = models.CharField(_("subject"), max_length=20, blank=True,
                               choices=[("", _("Every subject"))] + Subject.choices)
    headcount = models.PositiveIntegerField(
        _("planned headcount"), null=True, blank=True,
        validators=[MinValueValidator(1, _("The headcount must be at least 1.")),
                    Between(None, limits.MAX_HEADCOUNT, limits.ERROR_HEADCOUNT_MAX)],
    )
    modes = models.JSONField(_("training modes"), default=list)
    start_month = models.PositiveSmallIntegerField(_("first month"), null=True, blank=True,
                                                   validators=MONTH_VALIDATORS)
    end_month = models.PositiveSmallIntegerField(_("last month"), null=True, blank=True,
                                                 validators=MONTH_VALIDATORS)
    location = models.CharField(_("location"), max_length=100, blank=True)
    hours = models.PositiveIntegerField(
        _("hours"), null=True, blank=True,
        validators=[MinValueValidator(1, _("Hours must be at least 1.")), Between(None, limits.MAX_PROJECT_HOURS, limits.ERROR_HOURS_MAX)],
    )
    content_modules = models.JSONField(_("content modules"), default=list)
    design = models.TextField(_("project design"), blank=True)
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), Between(None, limits.MAX_BUDGET, limits.ERROR_AMOUNT_MAX)],
    )

    class Meta:
        verbose_name = _("training project proposal")
        verbose_name_plural = _("training project proposals")
        constraints = [
            check_between("headcount", 1, limits.MAX_HEADCOUNT, nullable=True, name="proposal_headcount_range"),
            check_between("start_month", 1, 12, nullable=True, name="proposal_start_month_range"),
            check_between("end_month", 1, 12, nullable=True, name="proposal_end_month_range"),
            models.CheckConstraint(condition=models.Q(end_month__gte=models.F("start_month")),
                                   name="proposal_end_not_before_start",
                                   violation_error_message=_("The last month cannot be before the first month.")),
            check_between("hours", 1, limits.MAX_PROJECT_HOURS, nullable=True, name="proposal_hours_range"),
            check_between("budget", 0, limits.MAX_BUDGET, nullable=True, name="proposal_budget_range"),
        ]

    def clean(self):
        if self.start_month and self.end_month and self.end_month < self.start_month:
            raise ValidationError({"end_month": _("The last month cannot be before the first month.")})

    @property
    def modes_display(self):
        return choice_labels(TrainingMode, self.modes)

    @property
    def content_modules_display(self):
        return choice_labels(ContentModule, self.content_modules)

    @property
    def months_display(self):
        return months_display(self.start_month, self.end_month)


class ChangeRequest(models.Model):
    """调整报批: a change to a scheduled project, reviewed like any document;
    the schedule changes only when it is filed."""

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, primary_key=True, related_name="change_request",
    )
    project = models.ForeignKey("schedule.ScheduledProject", on_delete=models.PROTECT,
                                related_name="change_requests", verbose_name=_("project"))
    reason = models.TextField(_("reason for the change"), blank=True)
    new_start_month = models.PositiveSmallIntegerField(_("new first month"), null=True, blank=True,
                                                       validators=MONTH_VALIDATORS)
    new_end_month = models.PositiveSmallIntegerField(_("new last month"), null=True, blank=True,
                                                     validators=MONTH_VALIDATORS)
    new_location = models.CharField(_("new location"), max_length=100, blank=True)
    new_headcount = models.PositiveIntegerField(
        _("new headcount"), null=True, blank=True,
        validators=[MinValueValidator(1, _("The headcount must be at least 1.")),
                    Between(None, limits.MAX_HEADCOUNT, limits.ERROR_HEADCOUNT_MAX)],
    )

    class Meta:
        verbose_name = _("project change request")
        verbose_name_plural = _("project change requests")
        constraints = [
            check_between("new_start_month", 1, 12, nullable=True, name="change_start_month_range"),
            check_between("new_end_month", 1, 12, nullable=True, name="change_end_month_range"),
            check_between("new_headcount", 1, limits.MAX_HEADCOUNT, nullable=True, name="change_headcount_range"),
        ]

    CHANGE_FIELDS = {  # change request field → scheduled project field
        "new_start_month": "start_month",
        "new_end_month": "end_month",
        "new_location": "location",
        "new_headcount": "headcount",
    }

    @property
    def new_months_display(self):
        """The project's months once changed, or "" when the request keeps them."""
        if self.new_start_month is None and self.new_end_month is None:
            return ""
        return months_display(self.new_start_month or self.project.start_month,
                              self.new_end_month or self.project.end_month)

    def requested_changes(self) -> dict:
        """{project field: new value} for each field the request changes."""
        return {
            target: getattr(self, source) for source, target in self.CHANGE_FIELDS.items()
            if getattr(self, source) not in (None, "")
        }


KIND_DETAIL_ATTR = {
    Document.Kind.ANNUAL_PLAN: "annual_plan",
    Document.Kind.SCHOOL_PLAN: "school_plan",
    Document.Kind.PROJECT_PROPOSAL: "project_proposal",
    Document.Kind.CHANGE_REQUEST: "change_request",
}


def attachment_path(instance, filename):
    return f"attachments/{instance.document_id}/{filename}"


class Attachment(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at"]


class DocumentVersion(models.Model):
    """The content as submitted, frozen: one row per submission."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("content"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="unique_document_version"),
        ]
