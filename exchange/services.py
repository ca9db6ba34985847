"""The provincial platform's spreadsheet layout (docs/exchange.md), out and in.

Out: a district's (or a school's) ledger lines of one credit year, one row each.
In: the platform's records for a district's teachers, matched by ID number, classified for a
preview (new, duplicate, conflict, unknown ID number, bad row) and applied all or nothing."""
import datetime
import hashlib
import re
import zipfile
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import District
from attendance import idcard
from attendance.models import Teacher
from core.xlsx import FORMULA_START, SpreadsheetError, read_rows, safe_row
from credits.models import Activity, CreditEntry, Level, Recognition
from credits.services import ledger_add

from .models import ImportBatch, ImportedRecord

# The layout's header row, as the provincial platform names its columns (a file format:
# not translated). docs/exchange.md says what each column is filled from.
HEADERS = ["身份证号", "姓名", "学校", "培训名称", "培训级别", "学时", "学分", "开始日期", "结束日期", "证书编号"]
FIELDS = ["id_number", "name", "school", "training", "level", "hours", "credits", "start", "end", "certificate"]

MAX_HOURS = Decimal("99999.9")     # CreditEntry.hours: 6 digits, 1 decimal
MAX_CREDITS = Decimal("9999.99")   # what a record can credibly give (the column holds 999,999.99)
MAX_TEXT = {"training": 500, "certificate": 100, "name": 50, "school": 200}

ERROR_HEADERS = gettext_lazy("The first row is not the provincial layout's header row: it must read %(headers)s.")
ERROR_FORMULAS = gettext_lazy("The file contains formulas: save it with values only (paste as values) and upload "
                              "it again.")
ERROR_EMPTY = gettext_lazy("The file contains no records below the header row.")
ERROR_STALE = gettext_lazy("The ledger of these teachers changed since the preview: upload the file again for a "
                           "new preview.")
ERROR_APPLIED = gettext_lazy("This import has already been applied.")
ERROR_DECISION = gettext_lazy("Row %(row)s: choose whether to keep our record or take the platform's.")

KEEP_OURS, TAKE_THEIRS = "ours", "theirs"

# Kinds of preview rows.
NEW, DUPLICATE, CONFLICT, UNKNOWN, BAD = "new", "duplicate", "conflict", "unknown", "bad"


# --- who may do what ------------------------------------------------------------------------

def may_import(user) -> bool:
    """The bureau officer of a district imports its teachers' records."""
    return user.is_authenticated and user.is_bureau_officer


def export_scope(user):
    """(district, school or None) the user may export, or PermissionDenied: a bureau officer
    their district, a school's training officer their school."""
    if not user.is_authenticated:
        raise PermissionDenied
    if user.is_bureau_officer:
        return user.organisation.district, None
    if user.is_school_officer and user.organisation.is_school:
        return user.organisation.district, user.organisation
    raise PermissionDenied


# --- the ledger in the layout ---------------------------------------------------------------

def level_label(code: str) -> str:
    with translation.override("zh-hans"):
        return str(Level(code).label) if code in Level.values else code


def _level_code(text) -> str | None:
    text = str(text or "").strip()
    if not text:
        return None
    for code, label in Level.choices:
        with translation.override("zh-hans"):
            chinese = str(label)
        if text in (code, str(label), chinese):
            return code
    return None


def entry_dates(entries) -> dict[int, tuple[datetime.date, datetime.date, str]]:
    """Each entry's (first day, last day, certificate number): an imported record's own, a
    declaration's, a project's first and last session; else the entry's date for both."""
    from schedule.models import ScheduledProject

    project_ids = {entry.project_id for entry in entries if entry.project_id}
    starts = {}
    if project_ids:
        for project in ScheduledProject.objects.filter(pk__in=project_ids).prefetch_related("sessions"):
            days = [session.date for session in project.sessions.all()]
            starts[project.pk] = min(days) if days else None
    imported = {record.entry_id: record for record in
                ImportedRecord.objects.filter(entry__in=[entry.pk for entry in entries])}
    dates = {}
    for entry in entries:
        record = imported.get(entry.pk)
        if record is not None:
            dates[entry.pk] = (record.start_date, record.end_date, record.certificate_number)
        elif entry.declaration_id:
            dates[entry.pk] = (entry.declaration.start_date, entry.declaration.end_date, "")
        elif entry.project_id and starts.get(entry.project_id):
            dates[entry.pk] = (min(starts[entry.project_id], entry.occurred_on), entry.occurred_on, "")
        else:
            dates[entry.pk] = (entry.occurred_on, entry.occurred_on, "")
    return dates


def exported_entries(district: District, year: int, school=None):
    """The ledger lines the layout carries: every line of the year but exemptions (no training)."""
    # Only recognised credits go to the province (provisional ones wait for their route).
    entries = CreditEntry.objects.filter(teacher__organisation__district=district, credit_year=year,
                                         recognition=Recognition.CONFIRMED) \
        .exclude(source=CreditEntry.Source.EXEMPTION) \
        .select_related("teacher__organisation", "declaration").order_by("teacher__organisation__name",
                                                                         "teacher__name", "occurred_on", "pk")
    if school is not None:
        entries = entries.filter(teacher__organisation=school)
    return entries


def export_rows(district: District, year: int, school=None) -> list[list]:
    entries = list(exported_entries(district, year, school))
    dates = entry_dates(entries)
    rows = []
    for entry in entries:
        start, end, certificate = dates[entry.pk]
        rows.append([entry.teacher.id_number, entry.teacher.name, entry.teacher.organisation.name, entry.description,
                     level_label(entry.level), entry.hours, entry.credits, start, end, certificate])
    return rows


def export_workbook(district: District, year: int, school=None):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(year))
    sheet.append(HEADERS)
    for row in export_rows(district, year, school):
        # Numbers as numbers, dates as dates (the platform's import reads them); text defused.
        values = safe_row(row)
        values[5], values[6] = float(row[5]), float(row[6])
        sheet.append(values)
    return workbook


def export_filename(district: District, year: int, school=None) -> str:
    return _("%(scope)s %(year)s, provincial layout.xlsx") % {"scope": (school or district).name, "year": year}


# --- reading the platform's file ------------------------------------------------------------

def file_checksum(upload) -> str:
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


def has_formulas(upload) -> bool:
    """Any formula cell in any sheet (read_rows reads values only, so it would take a formula's
    cached result for data). Sizes are already capped by read_rows."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            for name in archive.namelist():
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                tail = b""
                with archive.open(name) as sheet:
                    while chunk := sheet.read(1 << 16):
                        if _FORMULA.search(tail + chunk):
                            return True
                        tail = chunk[-8:]
    except (zipfile.BadZipFile, OSError, ValueError):
        return False  # read_rows says it is not a workbook
    finally:
        upload.seek(0)
    return False


def _text(value) -> str:
    text = "" if value is None else str(value).strip()
    # Our own export defuses text with a leading apostrophe; take it off again.
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        text = text[1:]
    return text


def _decimal(value, places: int, maximum: Decimal) -> Decimal | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0 or number > maximum:
        return None
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        return None
    return number.quantize(quantum)


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        return None


@dataclass
class PreviewRow:
    row: int
    kind: str
    id_number: str = ""
    name: str = ""
    school: str = ""
    training: str = ""
    level: str = ""
    hours: str = ""
    credits: str = ""
    start: str = ""
    end: str = ""
    certificate: str = ""
    teacher: int | None = None      # Teacher pk
    entry: int | None = None        # the ledger entry a duplicate or conflict matched
    our_hours: str = ""
    our_credits: str = ""
    reason: str = ""

    @property
    def level_label(self) -> str:
        return level_label(self.level)


@dataclass
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)

    def of(self, kind):
        return [row for row in self.rows if row.kind == kind]

    @property
    def counts(self):
        return {kind: len(self.of(kind)) for kind in (NEW, DUPLICATE, CONFLICT, UNKNOWN, BAD)}


def _key(teacher_id, training, start, end):
    return teacher_id, training, str(start), str(end)


def _ledger_of(teacher_ids):
    entries = list(CreditEntry.objects.filter(teacher_id__in=teacher_ids)
                   .exclude(source=CreditEntry.Source.EXEMPTION).select_related("declaration"))
    dates = entry_dates(entries)
    return entries, dates


def fingerprint(teacher_ids) -> str:
    """What the preview's decisions rest on: the matched teachers' ledger lines and their figures."""
    rows = CreditEntry.objects.filter(teacher_id__in=teacher_ids).order_by("pk").values_list(
        "pk", "teacher_id", "hours", "credits", "description", "occurred_on")
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(tuple(str(value) for value in row)).encode())
    return digest.hexdigest()


def parse(district: District, upload) -> Preview:
    """Classify the file's rows against the district's teachers and ledger. Raises SpreadsheetError
    (a Chinese message) when the file as a whole cannot be taken."""
    rows = read_rows(upload, columns=len(HEADERS), first_row=1)  # capped in size and rows
    if has_formulas(upload):
        raise SpreadsheetError(str(ERROR_FORMULAS))
    if not rows or rows[0][0] != 1 or [_text(value) for value in rows[0][1]] != HEADERS:
        raise SpreadsheetError(str(ERROR_HEADERS) % {"headers": "、".join(HEADERS)})
    records = rows[1:]
    if not records:
        raise SpreadsheetError(str(ERROR_EMPTY))
    preview = Preview()
    parsed = []
    for number, values in records:
        raw = dict(zip(FIELDS, values))
        row = PreviewRow(row=number, kind=BAD)
        reasons = []
        row.id_number = idcard.normalise(_text(raw["id_number"]))
        if not idcard.is_valid(row.id_number):
            reasons.append(_("the ID number %(id)s is not valid (check digit or date)") % {"id": row.id_number or "—"})
        for name in ("name", "school", "training", "certificate"):
            setattr(row, name, _text(raw[name]))
            if len(getattr(row, name)) > MAX_TEXT[name]:
                reasons.append(_("the column %(column)s is longer than %(count)s characters")
                               % {"column": HEADERS[FIELDS.index(name)], "count": MAX_TEXT[name]})
        if not row.training:
            reasons.append(_("the training name is missing"))
        level = _level_code(raw["level"])
        if level is None:
            reasons.append(_("unknown training level “%(level)s”") % {"level": _text(raw["level"])})
        else:
            row.level = level
        hours = _decimal(raw["hours"], 1, MAX_HOURS)
        if hours is None:
            reasons.append(_("the hours are not a number from 0 to %(max)s with at most one decimal")
                           % {"max": MAX_HOURS})
        credits = _decimal(raw["credits"], 2, MAX_CREDITS)
        if credits is None:
            reasons.append(_("the credits are not a number from 0 to %(max)s with at most two decimals")
                           % {"max": MAX_CREDITS})
        start, end = _date(raw["start"]), _date(raw["end"])
        if start is None or end is None:
            reasons.append(_("the first and the last day must be dates (YYYY-MM-DD)"))
        elif end < start:
            reasons.append(_("the last day is before the first day"))
        elif not (datetime.date(1990, 1, 1) <= start and end <= datetime.date(2100, 12, 31)):
            reasons.append(_("the dates are out of range"))
        if reasons:
            row.reason = "；".join(reasons)
            preview.rows.append(row)
            continue
        row.hours, row.credits, row.start, row.end = str(hours), str(credits), start.isoformat(), end.isoformat()
        parsed.append(row)
    # Matched only among the district's teachers: another district's ID number is unknown here.
    teachers = {teacher.id_number: teacher for teacher in Teacher.objects.filter(
        organisation__district=district, id_number__in={row.id_number for row in parsed})}
    entries, dates = _ledger_of([teacher.pk for teacher in teachers.values()])
    ledger = {}
    for entry in entries:
        start, end, _certificate = dates[entry.pk]
        ledger.setdefault(_key(entry.teacher_id, entry.description, start, end), entry)
    seen = {}
    for row in parsed:
        teacher = teachers.get(row.id_number)
        if teacher is None:
            row.kind, row.reason = UNKNOWN, _("no teacher of the district has this ID number")
            preview.rows.append(row)
            continue
        row.teacher = teacher.pk
        key = _key(teacher.pk, row.training, row.start, row.end)
        if key in seen:
            row.kind, row.reason = BAD, _("the same record appears twice in the file (rows %(first)s and %(row)s)") \
                % {"first": seen[key], "row": row.row}
            preview.rows.append(row)
            continue
        seen[key] = row.row
        entry = ledger.get(key)
        if entry is None:
            row.kind = NEW
        else:
            row.entry, row.our_hours, row.our_credits = entry.pk, str(entry.hours), str(entry.credits)
            same = Decimal(row.hours) == entry.hours and Decimal(row.credits) == entry.credits
            row.kind = DUPLICATE if same else CONFLICT
        preview.rows.append(row)
    preview.rows.sort(key=lambda row: row.row)
    return preview


def preview_start(*, user, upload) -> ImportBatch:
    """Read the file and keep its preview (nothing of the ledger changes)."""
    if not may_import(user):
        raise PermissionDenied
    district = user.organisation.district
    checksum = file_checksum(upload)
    preview = parse(district, upload)
    teacher_ids = {row.teacher for row in preview.rows if row.teacher}
    return ImportBatch.objects.create(
        district=district, filename=str(getattr(upload, "name", "") or "")[:200], checksum=checksum,
        rows=[asdict(row) for row in preview.rows], fingerprint=fingerprint(teacher_ids), uploaded_by=user)


def preview_of(batch: ImportBatch) -> Preview:
    return Preview(rows=[PreviewRow(**row) for row in batch.rows])


def may_view(user, batch: ImportBatch) -> bool:
    return may_import(user) and user.organisation.district_id == batch.district_id


@transaction.atomic
def apply(*, user, batch: ImportBatch, decisions: dict[int, str]) -> list[ImportedRecord]:
    """Apply a preview: its new records into the ledger, its conflicts as decided. All or nothing;
    refused when applied already or when the matched teachers' ledger changed since the preview."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)  # two confirmations: one applies
    if not may_view(user, batch):
        raise PermissionDenied
    if batch.status != ImportBatch.Status.PREVIEW:
        raise ValidationError(ERROR_APPLIED)
    preview = preview_of(batch)
    teacher_ids = {row.teacher for row in preview.rows if row.teacher}
    # The teachers' rows locked (ledger_add's own lock, taken first for all), then the ledger compared.
    list(Teacher.objects.select_for_update().filter(pk__in=teacher_ids).order_by("pk").values_list("pk"))
    if fingerprint(teacher_ids) != batch.fingerprint:
        raise ValidationError(ERROR_STALE)
    for row in preview.of(CONFLICT):
        if decisions.get(row.row) not in (KEEP_OURS, TAKE_THEIRS):
            raise ValidationError(ERROR_DECISION % {"row": row.row})
    teachers = Teacher.objects.select_related("organisation__district").in_bulk(teacher_ids)
    records = []
    for row in preview.of(NEW):
        start, end = datetime.date.fromisoformat(row.start), datetime.date.fromisoformat(row.end)
        try:
            entry = ledger_add(teacher=teachers[row.teacher], activity=Activity.CONCENTRATED, level=row.level,
                               hours=Decimal(row.hours), occurred_on=end, description=row.training,
                               source=CreditEntry.Source.PROVINCIAL)[0]
        except ValidationError as error:
            raise ValidationError(_("Row %(row)s: %(reason)s") % {"row": row.row, "reason": "；".join(error.messages)})
        _take(entry, row, _("Credits as registered on the provincial platform (our rules gave %(credits)s)."))
        records.append(ImportedRecord(batch=batch, entry=entry, row=row.row, start_date=start, end_date=end,
                                      certificate_number=row.certificate))
    for row in preview.of(CONFLICT):
        if decisions[row.row] != TAKE_THEIRS:
            continue
        entry = CreditEntry.objects.get(pk=row.entry)
        old_hours, old_credits = entry.hours, entry.credits
        _take(entry, row, _("Corrected to the provincial platform's record (ours: %(hours)s hours, "
                            "%(credits)s credits).") % {"hours": old_hours, "credits": "%(credits)s"})
        previous = ImportedRecord.objects.filter(entry=entry).first()
        if previous is not None:  # an earlier import's record: keep one record per entry, now this batch's
            previous.delete()
        records.append(ImportedRecord(
            batch=batch, entry=entry, row=row.row, start_date=datetime.date.fromisoformat(row.start),
            end_date=datetime.date.fromisoformat(row.end), certificate_number=row.certificate, replaced=True,
            old_hours=old_hours, old_credits=old_credits))
    ImportedRecord.objects.bulk_create(records)
    batch.status, batch.applied_by, batch.applied_at = ImportBatch.Status.APPLIED, user, timezone.now()
    batch.decisions = {str(row.row): decisions[row.row] for row in preview.of(CONFLICT)}
    batch.save(update_fields=["status", "applied_by", "applied_at", "decisions"])
    return records


def _take(entry: CreditEntry, row: PreviewRow, note: str) -> None:
    """The platform's hours and credits on a ledger line (its credits are what the province registered)."""
    theirs = Decimal(row.credits)
    entry.note = (note % {"credits": entry.credits})[:300]
    entry.hours = Decimal(row.hours)
    entry.credits = theirs
    entry.raw_credits = theirs
    entry.save(update_fields=["hours", "credits", "raw_credits", "note"])
