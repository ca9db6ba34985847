"""Teacher rosters to and from xlsx. An import with any bad row imports nothing."""
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation
from core.xlsx import SpreadsheetError, read_rows, safe_row, xlsx_bytes

from . import idcard
from .models import Subject, Teacher

COLUMNS = ["name", "gender", "birth_date", "id_number", "stage", "subject", "title", "is_new_teacher"]


def column_titles():
    return [_("Name"), _("Gender"), _("Birth date"), _("ID number"), _("Stage"), _("Subject"),
            _("Professional title"), _("New teacher")]


@dataclass
class RowError:
    row: int
    reason: str


def _choice(value, choices):
    """A choice from its code or its label in either language."""
    text = str(value or "").strip()
    for code, label in choices:
        if text and text in (code, str(label)):
            return code
    return None


def _labels(choices_class):
    from django.utils import translation

    pairs = list(choices_class.choices)
    with translation.override("zh-hans"):
        pairs += [(code, str(label)) for code, label in choices_class.choices]
    return pairs


def roster_parse(*, organisation: Organisation, file) -> tuple[list[Teacher], list[RowError]]:
    try:
        rows = read_rows(file, columns=len(COLUMNS))  # streamed, capped in size and rows
    except SpreadsheetError as error:  # the file as a whole
        return [], [RowError(0, str(error))]
    teachers, errors, seen = [], [], {}
    existing = set(Teacher.objects.values_list("id_number", flat=True))
    subjects, stages = _labels(Subject), _labels(Organisation.Stage)
    genders = _labels(Teacher.Gender) + [("M", "男"), ("F", "女")]
    for number, values in rows:
        row = dict(zip(COLUMNS, values))
        reasons = []
        name = str(row["name"] or "").strip()
        if not name:
            reasons.append(_("the name is missing"))
        id_number = idcard.normalise(str(row["id_number"] or ""))
        if not idcard.is_valid(id_number):
            reasons.append(_("the ID number %(id)s is not valid (check digit or date)") % {"id": id_number or "—"})
        elif id_number in seen:
            reasons.append(_("the ID number appears twice in the file (rows %(first)s and %(row)s)")
                           % {"first": seen[id_number], "row": number})
        elif id_number in existing:
            reasons.append(_("a teacher with this ID number already exists"))
        subject = _choice(row["subject"], subjects)
        if subject is None:
            reasons.append(_("unknown subject “%(subject)s”") % {"subject": row["subject"] or ""})
        stage = _choice(row["stage"], stages) if row["stage"] else organisation.stage
        if stage is None:
            reasons.append(_("unknown stage “%(stage)s”") % {"stage": row["stage"]})
        gender = _choice(row["gender"], genders) if row["gender"] else None
        birth = row["birth_date"]
        if isinstance(birth, datetime.datetime):
            birth = birth.date()
        elif birth and not isinstance(birth, datetime.date):
            try:
                birth = datetime.date.fromisoformat(str(birth).strip())
            except ValueError:
                reasons.append(_("the birth date is not a date"))
                birth = None
        if not reasons:
            # Gender and birth date follow from the ID number; a contradiction is an error.
            if gender and gender != idcard.gender(id_number):
                reasons.append(_("the gender does not match the ID number"))
            if birth and birth != idcard.birth_date(id_number):
                reasons.append(_("the birth date does not match the ID number"))
        if reasons:
            errors.append(RowError(number, "；".join(reasons)))
            continue
        teacher = Teacher(
            organisation=organisation, name=name, id_number=id_number,
            gender=gender or idcard.gender(id_number), birth_date=birth or idcard.birth_date(id_number),
            stage=stage, subject=subject, title=str(row["title"] or "").strip(),
            is_new_teacher=str(row["is_new_teacher"] or "").strip().lower() in ("是", "y", "yes", "1", "true"),
        )
        # The model's own checks (lengths, the birth date's range) before bulk_create writes unchecked.
        problems = _field_problems(teacher)
        if problems:
            errors.append(RowError(number, "；".join(problems)))
            continue
        seen[id_number] = number
        teachers.append(teacher)
    return teachers, errors


def _field_problems(teacher: Teacher) -> list[str]:
    try:
        teacher.clean_fields(exclude=["organisation", "user"])
    except ValidationError as error:
        return [f"{Teacher._meta.get_field(field).verbose_name}：{message}"
                for field, messages in error.message_dict.items() for message in messages]
    return []


@transaction.atomic
def roster_import(*, organisation: Organisation, file) -> tuple[int, list[RowError]]:
    """All or nothing: any bad row and no teacher is saved."""
    teachers, errors = roster_parse(organisation=organisation, file=file)
    if errors:
        return 0, errors
    Teacher.objects.bulk_create(teachers)
    return len(teachers), []


def roster_workbook(teachers):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(column_titles())
    for t in teachers:
        sheet.append(safe_row([t.name, t.get_gender_display(), t.birth_date, t.id_number, t.get_stage_display(),
                               t.get_subject_display(), t.title, _("Yes") if t.is_new_teacher else _("No")]))
    return workbook


def roster_xlsx(teachers) -> bytes:
    return xlsx_bytes(roster_workbook(teachers))
