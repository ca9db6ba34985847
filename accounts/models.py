from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Province(models.Model):
    """A province (省): the top of the chain; its bureau and training centre oversee every city."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["name"]

    def __str__(self):
        return self.name


class City(models.Model):
    """A prefecture-level city (市/州): its bureau oversees the districts below it."""

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="cities",
                                 verbose_name=_("province"))
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["province", "name"]
        constraints = [
            models.UniqueConstraint(fields=["province", "name"], name="unique_city_name_in_province"),
        ]

    def __str__(self):
        return self.name


class District(models.Model):
    """A county-level district (区/县): the unit that owns plans and reviews."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    # Empty for an installation that runs one district on its own (no city or province above it).
    city = models.ForeignKey(City, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="districts", verbose_name=_("city"))
    # First part of generated filing numbers, e.g. 建教师备 → 建教师备〔2024〕12号
    filing_prefix = models.CharField(_("filing number prefix"), max_length=20)
    credit_rule_family = models.SlugField(
        _("credit rules"), blank=True,
        help_text=_("The rule family credits are counted by (e.g. hunan, gansu); empty: the site default."))

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        BUREAU = "bureau", _("Education bureau")
        TRAINING_SCHOOL = "training_school", _("Teacher training school")
        SCHOOL = "school", _("School")
        KINDERGARTEN = "kindergarten", _("Kindergarten")
        EXPERT_POOL = "expert_pool", _("Expert pool")
        # A city's or province's teacher-training centre (市/省教师发展中心, 继续教育指导中心).
        TRAINING_CENTRE = "training_centre", _("Teacher training centre")

    class Stage(models.TextChoices):
        NONE = "", _("Not applicable")
        KINDERGARTEN = "kindergarten", _("Kindergarten")
        PRIMARY = "primary", _("Primary school")
        JUNIOR = "junior", _("Junior secondary")
        SENIOR = "senior", _("Senior secondary")
        NINE_YEAR = "nine_year", _("Nine-year school")
        VOCATIONAL = "vocational", _("Vocational school")

    # Exactly one of district, city, province: where the organisation sits in the chain.
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="organisations",
        verbose_name=_("district"), null=True, blank=True,
    )
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="organisations",
                             verbose_name=_("city"), null=True, blank=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="organisations",
                                 verbose_name=_("province"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        # By the column, not the district's name: a join on the nullable district would stop
        # PostgreSQL locking organisations (FOR UPDATE on the nullable side of an outer join).
        ordering = ["district_id", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="unique_org_name_in_district"),
            models.UniqueConstraint(fields=["city", "name"], name="unique_org_name_in_city"),
            models.UniqueConstraint(fields=["province", "name"], name="unique_org_name_in_province"),
            models.CheckConstraint(
                name="organisation_in_one_place",
                condition=(Q(district__isnull=False, city__isnull=True, province__isnull=True)
                           | Q(district__isnull=True, city__isnull=False, province__isnull=True)
                           | Q(district__isnull=True, city__isnull=True, province__isnull=False))),
            # Only bureaus and training centres sit above a district.
            models.CheckConstraint(
                name="regional_organisation_kinds",
                condition=Q(district__isnull=False) | Q(kind__in=["bureau", "training_centre", "expert_pool"])),
        ]
        permissions = [
            ("review_initial", _("Can do initial review of documents received by this organisation")),
            ("file_document", _("Can file approved documents for this organisation")),
        ]

    def __str__(self):
        return self.name

    @property
    def is_school(self):
        return self.kind in (self.Kind.SCHOOL, self.Kind.KINDERGARTEN)

    @property
    def level(self) -> str:
        """Where the organisation sits in the chain: district, city or province."""
        if self.district_id:
            return "district"
        return "city" if self.city_id else "province"

    @property
    def place(self):
        """The district, city or province the organisation sits in (accounts.regions.place_of)."""
        return self.district or self.city or self.province


class User(AbstractUser):
    class Role(models.TextChoices):
        SCHOOL_OFFICER = "school_officer", _("School training officer")
        PRINCIPAL = "principal", _("Principal")
        TRAINING_OFFICER = "training_officer", _("Training-school officer")
        EXPERT = "expert", _("Expert reviewer")
        BUREAU_OFFICER = "bureau_officer", _("Bureau officer")
        TEACHER = "teacher", _("Teacher")
        # Officers of a city's or province's bureau or training centre: they oversee the districts
        # below them (read-only for districts' working data unless a route gives them a step).
        CITY_OFFICER = "city_officer", _("City officer")
        PROVINCE_OFFICER = "province_officer", _("Province officer")

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True,
        related_name="members", verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    title = models.CharField(_("professional title"), max_length=50, blank=True)
    expertise = models.CharField(_("expertise"), max_length=200, blank=True)
    # Set when someone else chose the password (a printed first password, a reset by an officer);
    # accounts.middleware sends the user to the password change page until they choose their own.
    must_change_password = models.BooleanField(_("must change password"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        # Chinese names are written whole, family name first.
        return self.full_name or self.username

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name

    @property
    def district_id(self):
        return self.organisation.district_id if self.organisation_id else None

    # Roles as questions, so no module compares role strings of its own.
    @property
    def is_school_staff(self) -> bool:
        """A school's training officer or principal."""
        return self.role in (self.Role.SCHOOL_OFFICER, self.Role.PRINCIPAL) and self.organisation_id is not None

    @property
    def is_district_reviewer(self) -> bool:
        """A training-school or bureau officer: reviews and oversees the whole district."""
        return self.role in (self.Role.TRAINING_OFFICER, self.Role.BUREAU_OFFICER) and self.organisation_id is not None

    @property
    def is_author(self) -> bool:
        """Writes their organisation's documents (school or training-school officer)."""
        return self.role in (self.Role.SCHOOL_OFFICER, self.Role.TRAINING_OFFICER) and self.organisation_id is not None

    @property
    def is_bureau_officer(self) -> bool:
        return self.role == self.Role.BUREAU_OFFICER and self.organisation_id is not None

    @property
    def is_training_officer(self) -> bool:
        return self.role == self.Role.TRAINING_OFFICER and self.organisation_id is not None

    @property
    def is_school_officer(self) -> bool:
        return self.role == self.Role.SCHOOL_OFFICER and self.organisation_id is not None

    @property
    def is_principal(self) -> bool:
        return self.role == self.Role.PRINCIPAL and self.organisation_id is not None

    def is_principal_of(self, organisation_id) -> bool:
        """The principal of exactly this school (学校审核 of its documents)."""
        return self.is_principal and organisation_id is not None and self.organisation_id == organisation_id

    @property
    def is_expert(self) -> bool:
        return self.role == self.Role.EXPERT

    @property
    def is_teacher(self) -> bool:
        return self.role == self.Role.TEACHER

    @property
    def is_city_officer(self) -> bool:
        return (self.role == self.Role.CITY_OFFICER and self.organisation_id is not None
                and self.organisation.city_id is not None)

    @property
    def is_province_officer(self) -> bool:
        return (self.role == self.Role.PROVINCE_OFFICER and self.organisation_id is not None
                and self.organisation.province_id is not None)

    @property
    def is_regional_officer(self) -> bool:
        """A city's or province's officer: oversees the districts below (accounts.regions)."""
        return self.is_city_officer or self.is_province_officer

    @property
    def is_regional_author(self) -> bool:
        """An officer of a city's or province's training centre: writes and runs the plan and
        projects of that level (never a district's: is_author stays the district's authors)."""
        return self.is_regional_officer and self.organisation.kind == Organisation.Kind.TRAINING_CENTRE

    @property
    def writes_documents(self) -> bool:
        """Writes and organises for their own organisation: is_author or is_regional_author."""
        return self.is_author or self.is_regional_author

    def is_district_reviewer_of(self, district_id) -> bool:
        """District staff of exactly this district."""
        return self.is_district_reviewer and district_id is not None and self.district_id == district_id

    def is_staff_of(self, organisation_id) -> bool:
        """School staff of exactly this organisation."""
        return self.is_school_staff and organisation_id is not None and self.organisation_id == organisation_id
