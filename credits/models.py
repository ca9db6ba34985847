"""Credit rules are data (seed 002: provinces count differently); the ledger
records every credit with the rule that produced it and why a cap cut it."""
import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation
from attendance.models import Teacher
from core import limits
from core.limits import Between, check_between
from workflow.kit import Decision, ReviewProcessBase, TrailEntryBase

CREDITS_RANGE = [Between(0, limits.MAX_RULE_CREDITS, limits.ERROR_CREDITS)]
YEARS_RANGE = [Between(1, limits.MAX_RULE_YEARS)]
MAX_SUBJECT_CREDITS = 500   # a course plan's subject credits (a degree has about 150-200)

from . import rules


class Activity(models.TextChoices):
    CONCENTRATED = "concentrated", _("Concentrated training")
    ONLINE = "online", _("Online training")
    SCHOOL_BASED = "school_based", _("School-based training")
    DEGREE = "degree", _("Degree study")
    TEACHING = "teaching", _("Teaching others' training")
    SUPPORT_TEACHING = "support_teaching", _("Support teaching")
    LEAVE = "leave", _("Maternity or sick leave")
    PUBLIC_COURSE = "public_course", _("Public course of the human-resources department")
    DUAL_QUALIFIED = "dual_qualified", _("Named a dual-qualified teacher")
    SELF_STUDY = "self_study", _("Self-directed study")
    TEACHING_RESEARCH = "teaching_research", _("Teaching research")
    RESEARCH = "research", _("Research: open, research or prize lessons")


class Level(models.TextChoices):
    SCHOOL = "school", _("School")
    COUNTY = "county", _("County")
    CITY = "city", _("City")
    PROVINCE = "province", _("Province")
    NATIONAL = "national", _("National")
    ANY = "any", _("Any level")
    # Hunan counts teaching others' training by where it is taught (五、4), not by the usual levels.
    IN_COUNTY = "in_county", _("Another school of the county")
    XCOUNTY = "xcounty", _("A school of another county, or county training")
    XCOUNTY_TR = "xcounty_tr", _("Another county's county training, or city training")
    XCITY = "xcity", _("A unit of another city or prefecture, or provincial training")


class Unit(models.TextChoices):
    """What a conversion rule counts."""

    HOUR = "hour", _("hours")
    SUBJECT_CREDIT = "subject_credit", _("subject credits of the course plan")


class RuleSet(models.Model):
    """One version of a province's credit rules, in force from valid_from."""

    class YearStart(models.TextChoices):
        JANUARY = "01-01", _("Calendar year (1 January)")
        FEBRUARY = "02-01", _("1 February to 31 January")

    family = models.SlugField(_("rule family"), help_text=_("e.g. hunan, gansu; versions share it"))
    # Empty: shared by every district counting by the family (the superuser's). Set: that
    # district's own version (its bureau's), which overrides the family's from valid_from.
    district = models.ForeignKey("accounts.District", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="credit_rule_sets", verbose_name=_("district's own version"))
    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("valid from"), validators=limits.date_range())
    year_start = models.CharField(_("credit year"), max_length=5, choices=YearStart.choices,
                                  default=YearStart.JANUARY)
    cycle_start_year = models.PositiveSmallIntegerField(_("first year of a five-year cycle"),
                                                        validators=limits.year_range())
    cycle_years = models.PositiveSmallIntegerField(_("years per cycle"), default=5, validators=YEARS_RANGE)
    annual_minimum = models.DecimalField(_("minimum credits a year"), max_digits=6, decimal_places=1,
                                         validators=CREDITS_RANGE)
    cycle_minimum = models.DecimalField(_("minimum credits a cycle"), max_digits=6, decimal_places=1,
                                        validators=CREDITS_RANGE)
    annual_cap = models.DecimalField(_("maximum credits a year"), max_digits=6, decimal_places=1,
                                     null=True, blank=True, validators=CREDITS_RANGE)
    new_teacher_extra = models.DecimalField(_("extra credits for new teachers"), max_digits=6,
                                            decimal_places=1, default=0, validators=CREDITS_RANGE)
    new_teacher_years = models.PositiveSmallIntegerField(_("years new teachers have for them"), default=3,
                                                         validators=[Between(0, limits.MAX_RULE_YEARS)])
    leave_exemption_per_semester = models.DecimalField(
        _("credits exempted per semester of approved leave"), max_digits=6, decimal_places=1, default=0,
        validators=CREDITS_RANGE)
    leave_exemption_per_month = models.DecimalField(
        _("credits exempted per month of approved leave"), max_digits=6, decimal_places=1, default=0,
        validators=CREDITS_RANGE)
    excellent_rating_minimum = models.DecimalField(
        _("credits a year needed for an excellent rating"), max_digits=6, decimal_places=1, null=True, blank=True,
        validators=CREDITS_RANGE,
        help_text=_("Fewer credits in a year: the teacher cannot be rated excellent that year. Empty: no such rule."))
    hours_per_day = models.DecimalField(
        _("hours a day for a certificate without hours"), max_digits=4, decimal_places=1, null=True, blank=True,
        validators=[Between(Decimal("0.5"), 24, limits.ERROR_HOURS)], help_text=_("Empty: a record must give its hours."))
    text = models.TextField(_("rules as written"), blank=True,
                            help_text=_("The articles the minimums, the cycle and the exemptions come from."))

    class Meta:
        verbose_name = _("credit rule set")
        verbose_name_plural = _("credit rule sets")
        ordering = ["family", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["family", "valid_from"], condition=models.Q(district__isnull=True),
                                    name="one_version_per_day"),
            models.UniqueConstraint(fields=["district", "valid_from"], condition=models.Q(district__isnull=False),
                                    name="one_district_version_per_day"),
            check_between("valid_from", limits.MIN_DATE, limits.MAX_DATE, name="rule_set_valid_from_range"),
            check_between("cycle_start_year", limits.MIN_YEAR, limits.MAX_YEAR, name="rule_set_cycle_start_range"),
            check_between("cycle_years", 1, limits.MAX_RULE_YEARS, name="rule_set_cycle_years_range"),
            check_between("new_teacher_years", 0, limits.MAX_RULE_YEARS, name="rule_set_new_teacher_years_range"),
            check_between("annual_minimum", 0, limits.MAX_RULE_CREDITS, name="rule_set_annual_minimum_range"),
            check_between("cycle_minimum", 0, limits.MAX_RULE_CREDITS, name="rule_set_cycle_minimum_range"),
            check_between("annual_cap", 0, limits.MAX_RULE_CREDITS, nullable=True, name="rule_set_annual_cap_range"),
            check_between("new_teacher_extra", 0, limits.MAX_RULE_CREDITS, name="rule_set_new_teacher_extra_range"),
            check_between("leave_exemption_per_semester", 0, limits.MAX_RULE_CREDITS,
                          name="rule_set_leave_exemption_range"),
            check_between("leave_exemption_per_month", 0, limits.MAX_RULE_CREDITS,
                          name="rule_set_leave_per_month_range"),
            check_between("excellent_rating_minimum", 0, limits.MAX_RULE_CREDITS, nullable=True,
                          name="rule_set_excellent_minimum_range"),
            check_between("hours_per_day", Decimal("0.5"), 24, nullable=True, name="rule_set_hours_per_day_range"),
        ]

    def __str__(self):
        return f"{self.name}（{self.valid_from:%Y-%m-%d}）"

    def clean(self):
        if self.annual_cap is not None and self.annual_minimum is not None and self.annual_cap < self.annual_minimum:
            raise ValidationError({"annual_cap": _("The yearly maximum cannot be below the yearly minimum.")})
        if self.annual_minimum is not None and self.cycle_minimum is not None and \
                self.cycle_minimum < self.annual_minimum:
            raise ValidationError({"cycle_minimum": _("The cycle minimum cannot be below the yearly minimum.")})

    def credit_year(self, day: datetime.date) -> int:
        return rules.credit_year(day, self.year_start)

    def cycle_of(self, credit_year: int) -> tuple[int, int]:
        return rules.cycle_of(credit_year, self.cycle_start_year, self.cycle_years)


class ConversionRule(models.Model):
    """How hours of one activity at one level become credits, and its caps."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="conversions")
    activity = models.CharField(_("activity"), max_length=20, choices=Activity.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.ANY)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2, default=1,
                                validators=[MinValueValidator(Decimal("0.01")),
                                            Between(None, limits.MAX_RULE_HOURS, limits.ERROR_HOURS_MAX)])
    credits = models.DecimalField(_("give credits"), max_digits=6, decimal_places=2, validators=CREDITS_RANGE)
    flat = models.BooleanField(_("flat credits per record (hours ignored)"), default=False)
    unit = models.CharField(_("counts"), max_length=20, choices=Unit.choices, default=Unit.HOUR,
                            help_text=_("What the hours field counts: hours, or subject credits of a course plan."))
    once_per_content = models.BooleanField(
        _("same content once a year"), default=False,
        help_text=_("The same content taught at several levels in one year counts once, at the highest."))
    category = models.SlugField(_("category"), max_length=30, blank=True,
                                help_text=_("The category (code) its credits count towards, if any."))
    cap_per_item = models.DecimalField(_("maximum per record"), max_digits=6, decimal_places=1, null=True, blank=True,
                                       validators=CREDITS_RANGE)
    cap_per_year = models.DecimalField(_("maximum a year"), max_digits=6, decimal_places=1, null=True, blank=True,
                                       validators=CREDITS_RANGE)
    cap_per_cycle = models.DecimalField(_("maximum a cycle"), max_digits=6, decimal_places=1, null=True, blank=True,
                                        validators=CREDITS_RANGE)
    text = models.CharField(_("rule as written"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("conversion rule")
        verbose_name_plural = _("conversion rules")
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "activity", "level"], name="one_rule_per_level"),
            check_between("hours", Decimal("0.01"), limits.MAX_RULE_HOURS, name="conversion_hours_range"),
            check_between("credits", 0, limits.MAX_RULE_CREDITS, name="conversion_credits_range"),
            # At most 10 credits an hour (seed 002's highest is 5), so a ledger line fits its column.
            models.CheckConstraint(
                condition=models.Q(flat=True)
                | models.Q(credits__lte=models.F("hours") * limits.MAX_CREDITS_PER_HOUR),
                name="conversion_rate_range"),
            check_between("cap_per_item", 0, limits.MAX_RULE_CREDITS, nullable=True, name="conversion_item_cap_range"),
            check_between("cap_per_year", 0, limits.MAX_RULE_CREDITS, nullable=True, name="conversion_year_cap_range"),
            check_between("cap_per_cycle", 0, limits.MAX_RULE_CREDITS, nullable=True,
                          name="conversion_cycle_cap_range"),
        ]

    def clean(self):
        if not self.flat and self.hours and self.credits is not None and \
                self.credits > self.hours * limits.MAX_CREDITS_PER_HOUR:
            raise ValidationError({"credits": ValidationError(
                _("A rule can give at most %(rate)s credits an hour."), params={"rate": limits.MAX_CREDITS_PER_HOUR})})
        if self.cap_per_year is not None and self.cap_per_item is not None and self.cap_per_year < self.cap_per_item:
            raise ValidationError({"cap_per_year": _("The yearly maximum cannot be below the per-record maximum.")})
        if self.cap_per_cycle is not None and self.cap_per_year is not None and self.cap_per_cycle < self.cap_per_year:
            raise ValidationError({"cap_per_cycle": _("The cycle maximum cannot be below the yearly maximum.")})


class Bonus(models.Model):
    class Kind(models.TextChoices):
        EXCELLENT_TRAINEE = "excellent_trainee", _("Excellent trainee")

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="bonuses")
    kind = models.CharField(_("for"), max_length=20, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    credits = models.DecimalField(_("credits"), max_digits=6, decimal_places=1, validators=CREDITS_RANGE)
    percent = models.DecimalField(_("or percent of the record"), max_digits=5, decimal_places=1, null=True,
                                  blank=True, validators=[Between(0, 100, limits.ERROR_PERCENT)],
                                  help_text=_("Raises the record's credits by this share, rounded to "
                                              "a whole credit; leave credits at 0."))
    text = models.CharField(_("rule as written"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bonus")
        verbose_name_plural = _("bonuses")
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "kind", "level"], name="one_bonus_per_level"),
            check_between("credits", 0, limits.MAX_RULE_CREDITS, name="bonus_credits_range"),
            check_between("percent", 0, 100, nullable=True, name="bonus_percent_range"),
        ]

    def clean(self):
        if self.percent is not None and self.credits:
            raise ValidationError({"percent": _("Give either flat credits or a percentage, not both.")})

    def rule(self) -> rules.BonusRule:
        return rules.BonusRule(credits=self.credits or Decimal(0), percent=self.percent)


class CategoryRequirement(models.Model):
    """A minimum of one category of credits in each cycle (e.g. Shaanxi: concentrated 30,
    remote 40, school-based 50), with the offset the rules declare, if any."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="categories")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    minimum = models.DecimalField(_("minimum credits a cycle"), max_digits=6, decimal_places=1,
                                  validators=CREDITS_RANGE)
    surplus_to = models.SlugField(_("surplus counts towards"), max_length=30, blank=True,
                                  help_text=_("The code of the category its credits beyond the minimum may count "
                                              "towards."))
    surplus_limit = models.DecimalField(_("at most"), max_digits=6, decimal_places=1, null=True, blank=True,
                                        validators=CREDITS_RANGE, help_text=_("Empty: all of the surplus."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.CharField(_("rule as written"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("category minimum")
        verbose_name_plural = _("category minimums")
        ordering = ["rule_set", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="one_category_per_code"),
            check_between("minimum", 0, limits.MAX_RULE_CREDITS, name="category_minimum_range"),
            check_between("surplus_limit", 0, limits.MAX_RULE_CREDITS, nullable=True,
                          name="category_surplus_limit_range"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.surplus_to and self.surplus_to == self.code:
            raise ValidationError({"surplus_to": _("A category cannot count towards itself.")})

    def rule(self) -> rules.Category:
        return rules.Category(code=self.code, name=self.name, minimum=self.minimum, surplus_to=self.surplus_to,
                              surplus_limit=self.surplus_limit)


class Recognition(models.TextChoices):
    """Where a ledger line stands on its recognition route (credits.recognition): lines
    of a family without a route are confirmed when written; only confirmed lines count."""

    PROVISIONAL = "provisional", pgettext_lazy("recognition", "Provisional")
    CONFIRMED = "confirmed", pgettext_lazy("recognition", "Confirmed")
    REFUSED = "refused", pgettext_lazy("recognition", "Refused")


class CreditEntry(models.Model):
    """One line of a teacher's ledger."""

    class Source(models.TextChoices):
        PROJECT = "project", _("Completed project")
        SCHOOL_BASED = "school_based", _("School-based training")
        DECLARATION = "declaration", _("Registered outside training")
        BONUS = "bonus", _("Bonus")
        EXEMPTION = "exemption", _("Exemption")
        PROVINCIAL = "provincial", _("Provincial platform record")

    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="credit_entries")
    credit_year = models.PositiveSmallIntegerField(_("credit year"), db_index=True)
    occurred_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    activity = models.CharField(_("activity"), max_length=20, choices=Activity.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    # A declaration's is "title（provider）": two 200-character fields.
    description = models.CharField(_("what"), max_length=500)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, default=0)
    # 99,999.9 hours at 10 credits an hour (the most a rule gives) fit.
    raw_credits = models.DecimalField(_("credits by the rule"), max_digits=8, decimal_places=2)
    credits = models.DecimalField(_("credits"), max_digits=8, decimal_places=2)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    # "rule set name：rule as written": two 200-character fields.
    rule_text = models.CharField(_("rule"), max_length=500)
    note = models.CharField(_("note"), max_length=300, blank=True,
                            help_text=_("Why a cap cut the credits, or why none were given."))
    category = models.SlugField(_("category"), max_length=30, blank=True)
    content = models.CharField(_("content taught"), max_length=200, blank=True,
                               help_text=_("Where the same content counts once a year."))
    project = models.ForeignKey("schedule.ScheduledProject", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    declaration = models.ForeignKey("credits.Declaration", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="entries")
    created_at = models.DateTimeField(auto_now_add=True)
    recognition = models.CharField(_("recognition"), max_length=12, choices=Recognition.choices,
                                   default=Recognition.CONFIRMED)
    recognition_batch = models.ForeignKey("credits.RecognitionBatch", on_delete=models.PROTECT, null=True,
                                          blank=True, related_name="entries", verbose_name=_("recognition batch"))
    # Who confirmed or refused it, and when (the batch's trail has every step, with comments).
    recognised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("recognised by"))
    recognised_at = models.DateTimeField(_("recognised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        ordering = ["occurred_on", "pk"]
        indexes = [models.Index(fields=["teacher", "credit_year"])]
        constraints = [
            models.UniqueConstraint(fields=["teacher", "project", "source"], condition=models.Q(project__isnull=False),
                                    name="project_credited_once"),
            check_between("credit_year", limits.MIN_YEAR, limits.MAX_YEAR, name="entry_credit_year_range"),
            check_between("occurred_on", limits.MIN_DATE, limits.MAX_DATE, name="entry_date_range"),
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="entry_hours_not_negative"),
            # Caps only ever cut what the rule gives.
            models.CheckConstraint(condition=models.Q(credits__gte=0, credits__lte=models.F("raw_credits")),
                                   name="entry_credits_within_rule"),
        ]


def certificate_path(instance, filename):
    return f"certificates/{instance.teacher_id}/{filename}"


DECLARATION_HOURS_RANGE = [Between(Decimal("0.1"), limits.MAX_DECLARATION_HOURS, limits.ERROR_HOURS)]


class Declaration(models.Model):
    """A teacher's outside training, registered through the review flow of seed 002."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHOOL = "school", _("Awaiting school verification")
        TRAINING_SCHOOL = "training_school", _("Awaiting registration")
        BUREAU = "bureau", _("Awaiting bureau confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        RETURNED = "returned", _("Returned")
        REJECTED = "rejected", _("Rejected")

    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="declarations")
    provider = models.CharField(_("training provider"), max_length=200)
    title = models.CharField(_("training"), max_length=200)
    activity = models.CharField(_("activity"), max_length=20, choices=Activity.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    start_date = models.DateField(_("first day"), validators=limits.date_range())
    end_date = models.DateField(_("last day"), validators=limits.date_range())
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, validators=DECLARATION_HOURS_RANGE)
    excellent_trainee = models.BooleanField(_("named excellent trainee"), default=False)
    subject_credits = models.DecimalField(_("subject credits of the course plan"), max_digits=5, decimal_places=1,
                                          null=True, blank=True, validators=[Between(0, MAX_SUBJECT_CREDITS)],
                                          help_text=_("Degree study, where the rules count it by subject credits."))
    category = models.SlugField(_("category"), max_length=30, blank=True)
    certificate = models.FileField(_("certificate"), upload_to=certificate_path)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("declared training")
        verbose_name_plural = _("declared training")
        ordering = ["-start_date", "pk"]
        constraints = [
            check_between("start_date", limits.MIN_DATE, limits.MAX_DATE, name="declaration_start_range"),
            check_between("end_date", limits.MIN_DATE, limits.MAX_DATE, name="declaration_end_range"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="declaration_end_not_before_start"),
            check_between("hours", Decimal("0.1"), limits.MAX_DECLARATION_HOURS, name="declaration_hours_range"),
            check_between("subject_credits", 0, MAX_SUBJECT_CREDITS, nullable=True,
                          name="declaration_subject_credits_range"),
        ]

    def __str__(self):
        return self.title


class CycleClosure(models.Model):
    """准予结业: the bureau's confirmation that a teacher met a cycle's requirement."""

    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="cycle_closures")
    first_year = models.PositiveSmallIntegerField(_("cycle"), validators=limits.year_range())
    total = models.DecimalField(_("credits in the cycle"), max_digits=7, decimal_places=1)
    required = models.DecimalField(_("credits required"), max_digits=7, decimal_places=1)
    passed = models.BooleanField(_("completed the cycle"))
    missing = models.CharField(_("not met"), max_length=300, blank=True,
                               help_text=_("The minimums the teacher did not reach."))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cycle closure")
        verbose_name_plural = _("cycle closures")
        constraints = [
            models.UniqueConstraint(fields=["teacher", "first_year"], name="one_closure_per_cycle"),
            check_between("first_year", limits.MIN_YEAR, limits.MAX_YEAR, name="closure_year_range"),
        ]


# --- registering declared training (seed 002: teacher → school → training school → bureau) ---

class DeclarationProcess(ReviewProcessBase):
    """One declaration's way through registration; it survives returns and resubmissions."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="processes",
                                    verbose_name=_("declared training"))

    subject_field = "declaration"
    subject_template = "credits/declarations/_subject.html"
    subject_related = ["declaration__teacher__organisation"]
    # A row reads the declaration's title and end date, its teacher's name and organisation.
    inbox_unread = (
        [f"declaration__{name}" for name in ("provider", "activity", "level", "start_date", "hours", "excellent_trainee",
                                             "subject_credits", "category", "certificate", "status", "created_at")]
        + [f"declaration__teacher__{name}" for name in ("user", "gender", "birth_date", "id_number", "stage", "subject",
                                                        "title", "is_new_teacher", "active", "left_on", "left_reason")])
    records_claims = False  # a declaration's trail holds decisions (and hand-overs) only

    INBOX_KIND = "declaration"

    class Meta:
        verbose_name = _("declaration registration process")
        verbose_name_plural = _("declaration registration processes")

    @property
    def training_school_org(self):
        return Organisation.objects.get(district_id=self.declaration.teacher.organisation.district_id,
                                        kind=Organisation.Kind.TRAINING_SCHOOL)

    @property
    def bureau_org(self):
        return Organisation.objects.get(district_id=self.declaration.teacher.organisation.district_id,
                                        kind=Organisation.Kind.BUREAU)

    # The review kit's subject protocol (workflow.kit).
    @property
    def subject_title(self) -> str:
        return f"{self.declaration.title}（{self.declaration.teacher.name}）"

    @property
    def subject_organisation(self):
        return self.declaration.teacher.organisation

    @property
    def subject_url(self) -> str:
        return reverse("credits:declaration_detail", args=[self.declaration_id])

    @property
    def subject_year(self) -> int:
        return self.declaration.end_date.year

    @property
    def subject_kind_label(self) -> str:
        return str(self._meta.get_field("declaration").verbose_name)

    def subject_context(self, user=None) -> dict:
        from .declarations import declaration_page_context

        return declaration_page_context(self.declaration)

    @classmethod
    def inbox_kinds(cls):
        return [(cls.INBOX_KIND, cls._meta.get_field("declaration").verbose_name)]

    @classmethod
    def subject_filter(cls, prefix, *, kind="", organisation_id=None, year=None, query="", filing_number=""):
        if (kind and kind != cls.INBOX_KIND) or filing_number:  # declarations have no filing number
            return None
        condition = Q(**{f"{prefix}__isnull": False})
        if organisation_id:
            condition &= Q(**{f"{prefix}__declaration__teacher__organisation_id": organisation_id})
        if year:
            condition &= Q(**{f"{prefix}__declaration__end_date__year": year})
        for word in query.split():
            condition &= (Q(**{f"{prefix}__declaration__title__icontains": word})
                          | Q(**{f"{prefix}__declaration__provider__icontains": word}))
        return condition


class DeclarationDecision(TrailEntryBase):
    """The trail of one declaration: who did what at which step, and why."""

    class Step(models.TextChoices):
        SUBMIT = "submit", _("Submission")
        SCHOOL_VERIFY = "school_verify", _("School verification")
        TRAINING_SCHOOL_REGISTER = "training_school_register", _("Registration by the training school")
        BUREAU_CONFIRM = "bureau_confirm", _("Bureau confirmation")
        REVISE = "revise", _("Revision")

    Decision = Decision  # the kit's: one set of decisions for every trail

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="decisions")
    step = models.CharField(_("step"), max_length=30, choices=Step.choices)

    subject_field = "declaration"

    class Meta(TrailEntryBase.Meta):
        verbose_name = _("declaration decision")
        verbose_name_plural = _("declaration decisions")


# --- recognition up the chain (seed 002, Shaanxi: credits.recognition) ---

class Confirmer(models.TextChoices):
    """The levels that confirm credits on a recognition route, bottom up."""

    COUNTY = "county", _("County")
    CITY = "city", _("City")
    PROVINCE = "province", _("Province")


class Origin(models.TextChoices):
    """What a route is chosen by: the level of the training (or its source)."""

    PROVINCIAL = "provincial", _("Provincial (or national) training")
    CITY = "city", _("City training")
    COUNTY = "county", _("County training")
    SCHOOL_BASED = "school_based", _("School-based training")
    DECLARATION = "declaration", _("Declared outside training")


class RecognitionBatch(models.Model):
    """Provisional credits of one district that go up the route together (a finished
    project's, a school's school-based year, a declaration's)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting recognition")
        CONFIRMED = "confirmed", _("Recognised")
        REFUSED = "refused", pgettext_lazy("recognition", "Refused")

    district = models.ForeignKey("accounts.District", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("district"))
    title = models.CharField(_("title"), max_length=300)
    origin = models.CharField(_("kind of training"), max_length=20, choices=Origin.choices)
    # The route when the batch was opened (a later change of the table leaves it alone).
    route = models.JSONField(_("route"), default=list)
    stage = models.PositiveSmallIntegerField(_("step of the route"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    year = models.PositiveSmallIntegerField(_("credit year"), validators=limits.year_range())
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recognition batch")
        verbose_name_plural = _("recognition batches")
        ordering = ["-created_at", "-pk"]
        constraints = [check_between("year", limits.MIN_YEAR, limits.MAX_YEAR, name="recognition_year_range")]

    def __str__(self):
        return self.title

    @property
    def level(self) -> str | None:
        """The level whose step it waits for (None once decided)."""
        if self.status != self.Status.PENDING or self.stage >= len(self.route):
            return None
        return self.route[self.stage]

    def route_labels(self) -> list[str]:
        return [str(Confirmer(level).label) for level in self.route]


class RecognitionProcess(ReviewProcessBase):
    """One batch's way up the route, through the review kit."""

    batch = models.ForeignKey(RecognitionBatch, on_delete=models.PROTECT, related_name="processes",
                              verbose_name=_("recognition batch"))

    subject_field = "batch"
    subject_template = "credits/recognition/_subject.html"
    subject_related = ["batch__district"]
    records_claims = False

    INBOX_KIND = "recognition"

    class Meta:
        verbose_name = _("credit recognition process")
        verbose_name_plural = _("credit recognition processes")

    @property
    def subject_title(self) -> str:
        return self.batch.title

    @property
    def subject_organisation(self):
        if "_subject_organisation" in self.__dict__:  # loaded for a page of rows (load_subjects)
            return self.__dict__["_subject_organisation"]
        return Organisation.objects.filter(district_id=self.batch.district_id,
                                           kind=Organisation.Kind.BUREAU).first()

    @classmethod
    def load_subjects(cls, processes: list) -> None:
        """The batches' district bureaus in one query (subject_organisation's, for each district)."""
        bureaus = {}
        districts = {process.batch.district_id for process in processes}
        for bureau in Organisation.objects.filter(district_id__in=districts, kind=Organisation.Kind.BUREAU):
            bureaus.setdefault(bureau.district_id, bureau)  # the first in the default order, as .first()
        for process in processes:
            process.__dict__["_subject_organisation"] = bureaus.get(process.batch.district_id)

    @property
    def subject_url(self) -> str:
        return reverse("credits:recognition_detail", args=[self.batch_id])

    @property
    def subject_year(self) -> int:
        return self.batch.year

    @property
    def subject_kind_label(self) -> str:
        return str(self._meta.get_field("batch").verbose_name)

    def subject_context(self, user=None) -> dict:
        from .recognition import batch_page_context

        return batch_page_context(self.batch)

    @classmethod
    def inbox_kinds(cls):
        return [(cls.INBOX_KIND, cls._meta.get_field("batch").verbose_name)]

    @classmethod
    def subject_filter(cls, prefix, *, kind="", organisation_id=None, year=None, query="", filing_number=""):
        if (kind and kind != cls.INBOX_KIND) or filing_number:
            return None
        condition = Q(**{f"{prefix}__isnull": False})
        if organisation_id:
            condition &= Q(**{f"{prefix}__batch__district__organisations__id": organisation_id})
        if year:
            condition &= Q(**{f"{prefix}__batch__year": year})
        for word in query.split():
            condition &= Q(**{f"{prefix}__batch__title__icontains": word})
        return condition


class RecognitionDecision(TrailEntryBase):
    """The trail of one batch: each level's confirmation, return or refusal, who, when, why."""

    class Step(models.TextChoices):
        COUNTY_CONFIRM = "county_confirm", _("Confirmation by the county")
        CITY_CONFIRM = "city_confirm", _("Confirmation by the city")
        PROVINCE_CONFIRM = "province_confirm", _("Confirmation by the province")

    Decision = Decision

    batch = models.ForeignKey(RecognitionBatch, on_delete=models.CASCADE, related_name="decisions")
    step = models.CharField(_("step"), max_length=30, choices=Step.choices)

    subject_field = "batch"

    class Meta(TrailEntryBase.Meta):
        verbose_name = _("recognition decision")
        verbose_name_plural = _("recognition decisions")
