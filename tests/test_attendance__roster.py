"""The school's teacher roster (教师花名册): list, all-or-nothing xlsx import, export, template."""
import datetime
import html
import io
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from attendance import idcard
from attendance.models import Subject, Teacher
from attendance.roster import column_titles
from attendance.roster_views import ERROR_FILE_TYPE, mask_id_number
from core.uploads import ERROR_SIZE

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERROR_ROW = re.compile(r'<tr data-testid="import-error-row"><td>(\d+)</td><td>(.*?)</td></tr>', re.S)


def id_number(birth="19850312", sequence="001", region="410523"):
    """A valid ID number; the last digit of `sequence` odd for men, even for women."""
    first17 = region + birth + sequence
    return first17 + idcard.check_character(first17)


def xlsx_file(rows, *, name="花名册.xlsx", titles=None):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(titles or column_titles())
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def in_english(text):
    with translation.override("en"):
        return str(text)


def error_rows(response) -> dict[int, str]:
    return {int(row): html.unescape(reason) for row, reason in ERROR_ROW.findall(response.content.decode())}


def make_teacher(school, name="王老师", number=None, **extra):
    number = number or id_number(sequence="311")
    return Teacher.objects.create(
        organisation=school, name=name, id_number=number, gender=idcard.gender(number),
        birth_date=idcard.birth_date(number), stage=school.stage, subject=extra.pop("subject", Subject.MATHS),
        **extra)


def chinese_label(subject):
    with translation.override("zh-hans"):
        return str(subject.label)


GOOD_ROWS = [
    # Gender and birth date left empty: both come from the ID number.
    ["李春花", None, None, id_number("19900105", "002"), None, chinese_label(Subject.CHINESE), "一级教师", "是"],
    # Given and consistent with the ID number; subject by its code.
    ["赵大勇", "男", datetime.date(1978, 11, 30), id_number("19781130", "013"), "小学", "maths", "高级教师", None],
    # Subject by its Chinese label.
    ["孙小美", "女", "1999-07-01", id_number("19990701", "024"), None, "英语", None, "否"],
]


# Import: a good file --------------------------------------------------------

def test_good_file_imports_every_row(world, client_for):
    response = client_for(world.school_officer).post(reverse("attendance:teachers_import"),
                                                     {"file": xlsx_file(GOOD_ROWS)})
    assert response.status_code == 302 and response.url == reverse("attendance:teachers")

    teachers = {t.name: t for t in Teacher.objects.all()}
    assert set(teachers) == {"李春花", "赵大勇", "孙小美"}
    assert all(t.organisation == world.school for t in teachers.values())
    li = teachers["李春花"]
    assert (li.gender, li.birth_date) == ("F", datetime.date(1990, 1, 5))
    assert (li.subject, li.stage, li.title, li.is_new_teacher) == (Subject.CHINESE, "primary", "一级教师", True)
    zhao = teachers["赵大勇"]
    assert (zhao.gender, zhao.birth_date, zhao.subject, zhao.is_new_teacher) == (
        "M", datetime.date(1978, 11, 30), Subject.MATHS, False)
    sun = teachers["孙小美"]
    assert (sun.gender, sun.birth_date, sun.subject) == ("F", datetime.date(1999, 7, 1), Subject.ENGLISH)


def test_success_message_gives_the_count(world, client_for):
    client = english(client_for(world.school_officer))
    response = client.post(reverse("attendance:teachers_import"), {"file": xlsx_file(GOOD_ROWS)}, follow=True)
    assert response.status_code == 200
    assert "Imported 3 teachers." in response.content.decode()
    assert response.content.decode().count('data-testid="teacher-row"') == 3


# Import: bad rows -----------------------------------------------------------

def _bad_row_cases():
    good = GOOD_ROWS[0]
    bad_check = id_number("19800101", "015")
    bad_check = bad_check[:17] + ("1" if bad_check[17] != "1" else "2")
    existing = id_number("19700606", "037")
    return {
        "missing name": (
            [good, [None, None, None, id_number("19810202", "011"), None, "maths", None, None]],
            3, lambda: _("the name is missing")),
        "invalid ID checksum": (
            [good, ["钱错号", None, None, bad_check, None, "maths", None, None]],
            3, lambda: _("the ID number %(id)s is not valid (check digit or date)") % {"id": bad_check}),
        "duplicate within the file": (
            [good, GOOD_ROWS[1], [*GOOD_ROWS[1][:1], None, None, GOOD_ROWS[1][3], None, "maths", None, None]],
            4, lambda: _("the ID number appears twice in the file (rows %(first)s and %(row)s)")
            % {"first": 3, "row": 4}),
        "duplicate with an existing teacher": (
            [good, ["周已有", None, None, existing, None, "maths", None, None]],
            3, lambda: _("a teacher with this ID number already exists")),
        "unknown subject": (
            [good, ["吴未知", None, None, id_number("19850808", "051"), None, "烹饪", None, None]],
            3, lambda: _("unknown subject “%(subject)s”") % {"subject": "烹饪"}),
    }, existing


@pytest.mark.parametrize("case", ["missing name", "invalid ID checksum", "duplicate within the file",
                                  "duplicate with an existing teacher", "unknown subject"])
def test_a_bad_row_is_reported_and_nothing_is_imported(world, client_for, case):
    cases, existing = _bad_row_cases()
    make_teacher(world.other_school, name="周已有", number=existing)
    rows, bad_row, reason = cases[case]
    before = Teacher.objects.count()

    response = english(client_for(world.school_officer)).post(reverse("attendance:teachers_import"),
                                                               {"file": xlsx_file(rows)})

    assert response.status_code == 200
    assert Teacher.objects.count() == before
    assert not Teacher.objects.filter(organisation=world.school).exists()
    with translation.override("en"):
        expected = reason()
    assert error_rows(response) == {bad_row: expected}
    page = response.content.decode()
    assert "Nothing was imported" in page


def test_every_bad_row_is_listed_with_its_number(world, client_for):
    cases, existing = _bad_row_cases()
    make_teacher(world.other_school, name="周已有", number=existing)
    # Good rows between bad ones; the within-file duplicate repeats row 3.
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], cases["missing name"][0][1], cases["invalid ID checksum"][0][1],
            GOOD_ROWS[2], cases["duplicate within the file"][0][2], cases["duplicate with an existing teacher"][0][1],
            [None] * 8,  # an empty row is skipped, not an error
            cases["unknown subject"][0][1]]
    before = Teacher.objects.count()

    response = client_for(world.school_officer).post(reverse("attendance:teachers_import"),
                                                     {"file": xlsx_file(rows)})

    assert response.status_code == 200
    assert Teacher.objects.count() == before
    errors = error_rows(response)
    assert sorted(errors) == [4, 5, 7, 8, 10]
    assert cases["invalid ID checksum"][0][1][3] in errors[5]
    # The page still shows the roster and the form to try again.
    assert 'data-testid="roster-import"' in response.content.decode()


# Import: files that are not a roster ----------------------------------------

def test_a_file_that_is_not_xlsx_is_refused(world, client_for):
    client = english(client_for(world.school_officer))
    csv = SimpleUploadedFile("roster.csv", "姓名,身份证号\n张三,110105194912310021\n".encode(), content_type="text/csv")
    response = client.post(reverse("attendance:teachers_import"), {"file": csv})
    assert response.status_code == 200
    assert html.unescape(response.content.decode()).count(in_english(ERROR_FILE_TYPE)) == 1
    assert Teacher.objects.count() == 0


def test_a_renamed_file_is_refused_by_its_content(world, client_for):
    client = english(client_for(world.school_officer))
    fake = SimpleUploadedFile("roster.xlsx", b"name,id\n", content_type=XLSX)
    response = client.post(reverse("attendance:teachers_import"), {"file": fake})
    assert in_english(ERROR_FILE_TYPE) in html.unescape(response.content.decode())
    assert Teacher.objects.count() == 0


def test_a_zip_that_is_not_a_workbook_is_refused(world, client_for):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    client = english(client_for(world.school_officer))
    response = client.post(reverse("attendance:teachers_import"),
                           {"file": SimpleUploadedFile("roster.xlsx", out.getvalue(), content_type=XLSX)})
    assert response.status_code == 200
    with translation.override("en"):
        expected = _("The file is not an Excel (.xlsx) workbook.")
    assert expected in html.unescape(response.content.decode())
    assert not error_rows(response)
    assert Teacher.objects.count() == 0


def test_an_oversized_file_is_refused(world, client_for):
    client = english(client_for(world.school_officer))
    big = SimpleUploadedFile("roster.xlsx", b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024), content_type=XLSX)
    response = client.post(reverse("attendance:teachers_import"), {"file": big})
    assert response.status_code == 200
    assert in_english(ERROR_SIZE) % {"size": 5} in html.unescape(response.content.decode())
    assert Teacher.objects.count() == 0


def test_a_file_without_teachers_is_refused(world, client_for):
    response = client_for(world.school_officer).post(reverse("attendance:teachers_import"),
                                                     {"file": xlsx_file([])})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert Teacher.objects.count() == 0


def test_missing_file_is_an_error_not_a_crash(world, client_for):
    response = client_for(world.school_officer).post(reverse("attendance:teachers_import"), {})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()


def test_import_needs_post(world, client_for):
    assert client_for(world.school_officer).get(reverse("attendance:teachers_import")).status_code == 405


# The list --------------------------------------------------------------------

def test_list_masks_id_numbers_and_shows_counts(world, client_for):
    make_teacher(world.school, name="杨新来", number="11010519491231002X", is_new_teacher=True)
    make_teacher(world.school, name="林离岗", number=id_number(sequence="023"), active=False)
    client = english(client_for(world.school_officer))
    page = client.get(reverse("attendance:teachers")).content.decode()

    assert "110105********002X" in page and "11010519491231002X" not in page
    assert "杨新来" in page and "林离岗" in page
    assert page.count('data-testid="teacher-row"') == 2
    counts = re.search(r'data-testid="roster-counts">(.*?)</p>', page, re.S).group(1)
    assert "2 teachers, 1 in post, of whom 1 new teachers" in counts
    assert reverse("attendance:teachers_export") in page
    assert 'data-testid="roster-import"' in page and reverse("attendance:teachers_template") in page


def test_mask_keeps_first_six_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_search_by_name(world, client_for):
    make_teacher(world.school, name="张一", number=id_number(sequence="101"))
    make_teacher(world.school, name="张二", number=id_number(sequence="102"))
    make_teacher(world.school, name="李三", number=id_number(sequence="103"))
    page = client_for(world.school_officer).get(reverse("attendance:teachers"), {"q": "张"}).content.decode()
    assert page.count('data-testid="teacher-row"') == 2
    assert "张一" in page and "张二" in page and "李三" not in page
    assert 'value="张"' in page


def test_list_takes_a_constant_number_of_queries(world, client_for):
    client = client_for(world.school_officer)
    make_teacher(world.school, name="第一位", number=id_number(sequence="201"))
    client.get(reverse("attendance:teachers"))  # warm up (session, content types)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("attendance:teachers")).status_code == 200
    for n in range(30):
        make_teacher(world.school, name=f"教师{n:02}", number=id_number(sequence=f"3{n:02}"),
                     subject=Subject.ENGLISH, is_new_teacher=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("attendance:teachers")).content.decode()
    assert page.count('data-testid="teacher-row"') == 31
    assert len(many) == len(one)


# Export and template ----------------------------------------------------------

def test_export_round_trips(world, client_for):
    client = client_for(world.school_officer)
    client.post(reverse("attendance:teachers_import"), {"file": xlsx_file(GOOD_ROWS)})
    before = {t.id_number: t for t in Teacher.objects.all()}
    assert len(before) == 3

    response = client.get(reverse("attendance:teachers_export"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == content_disposition_header(
        as_attachment=True, filename=f"{_('Teacher roster')}.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == column_titles()
    assert len(rows) == 4
    by_id = {row[3]: row for row in rows[1:]}
    assert set(by_id) == set(before)
    for number, row in by_id.items():
        teacher = before[number]
        assert row[0] == teacher.name
        assert row[1] == teacher.get_gender_display()
        assert row[2].date() == teacher.birth_date
        assert row[5] == teacher.get_subject_display()
        assert row[7] == (_("Yes") if teacher.is_new_teacher else _("No"))

    # The exported workbook imports again as the same teachers.
    Teacher.objects.all().delete()
    client.post(reverse("attendance:teachers_import"),
                {"file": SimpleUploadedFile("export.xlsx", response.content, content_type=XLSX)})
    after = {t.id_number: t for t in Teacher.objects.all()}
    assert set(after) == set(before)
    for number, teacher in after.items():
        old = before[number]
        assert (teacher.name, teacher.gender, teacher.birth_date, teacher.stage, teacher.subject, teacher.title,
                teacher.is_new_teacher) == (
            old.name, old.gender, old.birth_date, old.stage, old.subject, old.title, old.is_new_teacher)


def test_template_is_the_header_row_only(world, client_for):
    response = client_for(world.school_officer).get(reverse("attendance:teachers_template"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [list(row) for row in rows] == [column_titles()]


def test_the_filled_in_template_imports(world, client_for):
    client = client_for(world.school_officer)
    template = load_workbook(io.BytesIO(client.get(reverse("attendance:teachers_template")).content))
    for row in GOOD_ROWS:
        template.active.append(row)
    out = io.BytesIO()
    template.save(out)
    client.post(reverse("attendance:teachers_import"),
                {"file": SimpleUploadedFile("filled.xlsx", out.getvalue(), content_type=XLSX)})
    assert Teacher.objects.filter(organisation=world.school).count() == 3


# Who may do what ---------------------------------------------------------------

def test_another_schools_officer_never_sees_this_schools_teachers(world, client_for):
    number = id_number(sequence="401")
    make_teacher(world.school, name="实验小学老师", number=number)
    client = client_for(world.other_school_officer)

    page = client.get(reverse("attendance:teachers"), {"q": "实验"}).content.decode()
    assert "实验小学老师" not in page and mask_id_number(number) not in page
    assert 'data-testid="teacher-row"' not in client.get(reverse("attendance:teachers")).content.decode()

    rows = list(load_workbook(io.BytesIO(client.get(reverse("attendance:teachers_export")).content))
                .active.iter_rows(values_only=True))
    assert len(rows) == 1  # the header row only

    # Their import goes to their own school.
    client.post(reverse("attendance:teachers_import"), {"file": xlsx_file(GOOD_ROWS[:1])})
    assert Teacher.objects.get(name="李春花").organisation == world.other_school


def test_principal_views_and_exports_but_may_not_import(world, client_for):
    make_teacher(world.school, name="校长看得见", number=id_number(sequence="501"))
    client = client_for(world.principal)

    page = client.get(reverse("attendance:teachers")).content.decode()
    assert "校长看得见" in page
    assert 'data-testid="roster-import"' not in page
    export = client.get(reverse("attendance:teachers_export"))
    assert export.status_code == 200
    assert len(list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))) == 2

    before = Teacher.objects.count()
    response = client.post(reverse("attendance:teachers_import"), {"file": xlsx_file(GOOD_ROWS)})
    assert response.status_code == 403
    assert Teacher.objects.count() == before


@pytest.mark.parametrize("who", ["training_officer", "bureau_officer", "teacher", "expert1"])
def test_other_roles_are_refused(world, client_for, who):
    make_teacher(world.school)
    client = client_for(getattr(world, who))
    for name in ("teachers", "teachers_export", "teachers_template"):
        assert client.get(reverse(f"attendance:{name}")).status_code == 403, name
    response = client.post(reverse("attendance:teachers_import"), {"file": xlsx_file(GOOD_ROWS)})
    assert response.status_code == 403
    assert Teacher.objects.count() == 1


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("attendance:teachers"))
    assert response.status_code == 302 and reverse("login") in response.url


# ID numbers as typed or pasted ------------------------------------------------

def test_a_look_alike_id_number_is_the_same_teacher(world, client_for):
    """Full-width digits, a zero-width space or a lower-case x are the same number (issue #10, 12)."""
    number = id_number("19800101", "123")
    existing = make_teacher(world.school, number=number)
    fullwidth = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    row = ["钱多多", None, None, fullwidth[:9] + "\u200b" + fullwidth[9:], None, "maths", None, None]
    response = client_for(world.school_officer).post(reverse("attendance:teachers_import"),
                                                     {"file": xlsx_file([row])})
    assert response.status_code == 200
    assert list(error_rows(response)) == [2]
    assert Teacher.objects.get() == existing


@pytest.mark.parametrize("bad", ["41052319800101²23X", "٤١٠٥٢٣١٩٨٠٠١٠١١٢٣X"])
def test_an_id_number_with_other_digits_is_a_row_error_not_a_500(world, client_for, bad):
    row = ["钱多多", None, None, bad, None, "maths", None, None]
    response = client_for(world.school_officer).post(reverse("attendance:teachers_import"),
                                                     {"file": xlsx_file([row])})
    assert response.status_code == 200
    assert list(error_rows(response)) == [2]
    assert not Teacher.objects.exists()


def test_a_full_width_id_number_is_stored_in_ascii(world, client_for):
    number = id_number("19800101", "124")
    fullwidth = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))
    row = ["钱多多", None, None, fullwidth, None, "maths", None, None]
    client_for(world.school_officer).post(reverse("attendance:teachers_import"), {"file": xlsx_file([row])})
    assert Teacher.objects.get().id_number == number
