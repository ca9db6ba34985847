"""Data exchange with the provincial platform (issue 15): the export in the documented layout
(docs/exchange.md), the import's preview (new, duplicate, conflict, unknown, bad), its
confirmation all or nothing, and who may do what."""
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook

from credits import services as credits
from credits.models import CreditEntry
from exchange import services
from exchange.models import ImportBatch, ImportedRecord
from tests.attendance_helpers import make_teacher
from tests.factories import make_district
from tests.job_helpers import job_result
from tests.race_helpers import logged_in, postgres_only, race

pytestmark = pytest.mark.django_db
D = Decimal
YEAR = 2024


@pytest.fixture
def hunan(world):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()
    return world


def add(teacher, hours, day, description="省级骨干教师培训", level="province"):
    return credits.ledger_add(teacher=teacher, activity="concentrated", level=level, hours=hours, occurred_on=day,
                              description=description, source=CreditEntry.Source.DECLARATION)[0]


@pytest.fixture
def small(hunan):
    """Two teachers of the district with a line each, one of another district with one."""
    li = make_teacher(hunan.school, name="李明")
    wang = make_teacher(hunan.other_school, name="王芳")
    add(li, 24, datetime.date(YEAR, 3, 10))
    add(wang, 12, datetime.date(YEAR, 5, 20), description="=HYPERLINK(\"x\")", level="county")
    add(li, 6, datetime.date(YEAR - 1, 9, 1), description="去年的培训")  # another credit year
    other = make_district("魏都区", prefix="魏教师备", suffix="_w")
    other.district.credit_rule_family = "hunan"
    other.district.save()
    stranger = make_teacher(other.school, name="外区教师")
    add(stranger, 10, datetime.date(YEAR, 4, 1))
    hunan.li, hunan.wang, hunan.other, hunan.stranger = li, wang, other, stranger
    return hunan


def workbook_file(rows, headers=services.HEADERS, name="province.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/octet-stream")


def record(teacher, training="省级骨干教师培训", level="省级", hours=24, credits_=2, start="2024-03-10",
           end="2024-03-10", certificate="HN-2024-001"):
    return [teacher.id_number, teacher.name, teacher.organisation.name, training, level, hours, credits_, start, end,
            certificate]


def upload(client, rows, **kwargs):
    return client.post(reverse("exchange:upload"), {"file": workbook_file(rows, **kwargs)})


def batch_of(response) -> ImportBatch:
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def kinds(batch):
    return {row["row"]: row["kind"] for row in batch.rows}


def ledger(teachers):
    return list(CreditEntry.objects.filter(teacher__in=teachers).order_by("pk").values_list(
        "pk", "hours", "credits", "raw_credits", "note"))


def export_sheet(client, year=YEAR):
    response = job_result(client, client.post(reverse("exchange:export"), {"year": year}))
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- export ---------------------------------------------------------------------------------

def test_export_columns_and_values(small, client_for):
    rows = export_sheet(client_for(small.bureau_officer))
    assert rows[0] == services.HEADERS
    li_entry = CreditEntry.objects.get(teacher=small.li, credit_year=YEAR)
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {small.li.id_number, small.wang.id_number}  # this year only, this district only
    li = by_id[small.li.id_number]
    assert li[1:5] == ["李明", small.school.name, "省级骨干教师培训", "省级"]
    assert D(str(li[5])) == li_entry.hours == D(24) and D(str(li[6])) == li_entry.credits
    assert li[7].date() == li[8].date() == datetime.date(YEAR, 3, 10)
    assert li[9] is None  # the ledger has no certificate number for a declaration's line
    # Text a spreadsheet would run is defused.
    assert by_id[small.wang.id_number][3] == "'=HYPERLINK(\"x\")"


def test_export_scope_of_a_school_officer_is_their_school(small, client_for):
    rows = export_sheet(client_for(small.school_officer))
    assert [row[0] for row in rows[1:]] == [small.li.id_number]


def test_export_of_another_district_has_none_of_ours(small, client_for):
    rows = export_sheet(client_for(small.other.bureau_officer))
    assert [row[0] for row in rows[1:]] == [small.stranger.id_number]


@pytest.mark.parametrize("role", ["teacher", "training_officer", "principal"])
def test_export_refused_to_others(small, client_for, role):
    assert client_for(getattr(small, role)).post(reverse("exchange:export"), {"year": YEAR}).status_code == 403


def test_export_needs_a_year(small, client_for):
    assert client_for(small.bureau_officer).post(reverse("exchange:export"), {"year": "x"}).status_code == 400


# --- import: preview and confirmation -------------------------------------------------------

def test_import_happy_path(small, client_for):
    client = client_for(small.bureau_officer)
    new = record(small.wang, training="信息技术应用能力提升", level="市级", hours=30, credits_=D("2.5"),
                 start="2024-06-01", end="2024-06-05", certificate="HN-88")
    batch = batch_of(upload(client, [new]))
    assert kinds(batch) == {2: services.NEW}
    page = client.get(reverse("exchange:preview", args=[batch.pk]))
    assert page.status_code == 200 and "信息技术应用能力提升" in page.content.decode()
    before = CreditEntry.objects.count()
    response = client.post(reverse("exchange:confirm", args=[batch.pk]))
    assert response.status_code == 302
    assert CreditEntry.objects.count() == before + 1
    entry = CreditEntry.objects.get(teacher=small.wang, description="信息技术应用能力提升")
    assert entry.source == CreditEntry.Source.PROVINCIAL and entry.level == "city"
    assert (entry.hours, entry.credits, entry.occurred_on) == (D(30), D("2.5"), datetime.date(2024, 6, 5))
    imported = ImportedRecord.objects.get(entry=entry)
    assert (imported.start_date, imported.certificate_number, imported.batch_id) == \
        (datetime.date(2024, 6, 1), "HN-88", batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED and batch.applied_by == small.bureau_officer
    assert batch.applied_at and len(batch.checksum) == 64
    # The export carries the imported record's own dates and certificate number.
    row = [r for r in export_sheet(client) if r[3] == "信息技术应用能力提升"][0]
    assert (row[7].date(), row[9]) == (datetime.date(2024, 6, 1), "HN-88")


def test_duplicates_are_skipped(small, client_for):
    client = client_for(small.bureau_officer)
    ours = CreditEntry.objects.get(teacher=small.li, credit_year=YEAR)
    batch = batch_of(upload(client, [record(small.li, hours=24, credits_=ours.credits)]))
    assert kinds(batch) == {2: services.DUPLICATE}
    before = ledger([small.li])
    assert client.post(reverse("exchange:confirm", args=[batch.pk])).status_code == 302
    assert ledger([small.li]) == before and not ImportedRecord.objects.exists()


@pytest.mark.parametrize("decision", [services.KEEP_OURS, services.TAKE_THEIRS])
def test_conflict_decided_either_way(small, client_for, decision):
    client = client_for(small.bureau_officer)
    ours = CreditEntry.objects.get(teacher=small.li, credit_year=YEAR)
    batch = batch_of(upload(client, [record(small.li, hours=32, credits_=3)]))
    assert kinds(batch) == {2: services.CONFLICT}
    response = client.post(reverse("exchange:confirm", args=[batch.pk]), {"decision-2": decision})
    assert response.status_code == 302
    ours_after = CreditEntry.objects.get(pk=ours.pk)
    if decision == services.KEEP_OURS:
        assert (ours_after.hours, ours_after.credits) == (ours.hours, ours.credits)
        assert not ImportedRecord.objects.exists()
    else:
        assert (ours_after.hours, ours_after.credits) == (D(32), D(3))
        imported = ImportedRecord.objects.get(entry=ours)
        assert imported.replaced and (imported.old_hours, imported.old_credits) == (ours.hours, ours.credits)
    assert CreditEntry.objects.filter(teacher=small.li).count() == 2  # no line added
    assert ImportBatch.objects.get(pk=batch.pk).decisions == {"2": decision}


def test_unknown_id_numbers_and_other_districts_teachers(small, client_for):
    client = client_for(small.bureau_officer)
    from tests.attendance_helpers import id_number

    nobody = [id_number(datetime.date(1990, 1, 1)), "无名", "某校", "培训", "县级", 10, 1, "2024-01-01", "2024-01-02",
              ""]
    batch = batch_of(upload(client, [nobody, record(small.stranger, start="2024-04-01", end="2024-04-01")]))
    assert kinds(batch) == {2: services.UNKNOWN, 3: services.UNKNOWN}
    before = CreditEntry.objects.count()
    client.post(reverse("exchange:confirm", args=[batch.pk]))
    assert CreditEntry.objects.count() == before
    assert small.stranger.credit_entries.count() == 1


def test_bad_rows_have_their_number_and_a_reason(small, client_for):
    client = client_for(small.bureau_officer)
    bad_id = record(small.li)
    bad_id[0] = small.li.id_number[:-1] + ("0" if small.li.id_number[-1] != "0" else "1")
    rows = [
        bad_id,
        record(small.li, training="", start="2024-02-01", end="2024-02-01"),
        record(small.li, level="银河级", start="2024-02-02", end="2024-02-02"),
        record(small.li, hours="很多", start="2024-02-03", end="2024-02-03"),
        record(small.li, credits_=-1, start="2024-02-04", end="2024-02-04"),
        record(small.li, start="2024-02-09", end="2024-02-05"),
        record(small.li, start="明天", end="2024-02-05"),
        record(small.wang, training="重复", start="2024-02-06", end="2024-02-06"),
        record(small.wang, training="重复", start="2024-02-06", end="2024-02-06"),
    ]
    batch = batch_of(upload(client, rows))
    assert kinds(batch) == {2: "bad", 3: "bad", 4: "bad", 5: "bad", 6: "bad", 7: "bad", 8: "bad", 9: "new", 10: "bad"}
    reasons = {row["row"]: row["reason"] for row in batch.rows}
    assert gettext("the ID number %(id)s is not valid (check digit or date)") % {"id": bad_id[0]} in reasons[2]
    assert reasons[3] == gettext("the training name is missing")
    assert reasons[4] == gettext("unknown training level “%(level)s”") % {"level": "银河级"}
    assert reasons[7] == gettext("the last day is before the first day")
    assert reasons[10] == gettext("the same record appears twice in the file (rows %(first)s and %(row)s)") % {
        "first": 9, "row": 10}
    page = client.get(reverse("exchange:preview", args=[batch.pk])).content.decode()
    assert gettext("the training name is missing") in page


def _refused_file(client, upload_file):
    before = (ImportBatch.objects.count(), CreditEntry.objects.count())
    response = client.post(reverse("exchange:upload"), {"file": upload_file})
    assert response.status_code == 400
    assert (ImportBatch.objects.count(), CreditEntry.objects.count()) == before
    return response.content.decode()


def test_malformed_files_are_refused_with_nothing_saved(small, client_for, settings):
    client = client_for(small.bureau_officer)
    body = _refused_file(client, SimpleUploadedFile("a.xlsx", b"not a zip at all", content_type="text/plain"))
    assert gettext("Choose an Excel workbook (.xlsx) in the provincial layout.") in body
    body = _refused_file(client, SimpleUploadedFile("a.csv", b"a,b", content_type="text/csv"))
    assert gettext("Choose an Excel workbook (.xlsx) in the provincial layout.") in body
    body = _refused_file(client, workbook_file([record(small.li)], headers=["ID", "name"]))
    assert escape(gettext("The first row is not the provincial layout's header row: it must read %(headers)s.") % {
        "headers": "、".join(services.HEADERS)}) in body
    body = _refused_file(client, workbook_file([]))
    assert gettext("The file contains no records below the header row.") in body
    formula = record(small.li)
    formula[6] = "=1+1"
    body = _refused_file(client, workbook_file([formula]))
    assert gettext("The file contains formulas: save it with values only (paste as values) and upload it again.") \
        in body
    settings.SPREADSHEET_IMPORT_MAX_BYTES = 1000
    body = _refused_file(client, workbook_file([record(small.li)]))
    assert "MB" in body


def test_one_bad_decision_applies_nothing(small, client_for):
    client = client_for(small.bureau_officer)
    rows = [record(small.wang, training="新培训", start="2024-07-01", end="2024-07-01"),
            record(small.li, hours=32, credits_=3)]
    batch = batch_of(upload(client, rows))
    assert kinds(batch) == {2: services.NEW, 3: services.CONFLICT}
    before = ledger([small.li, small.wang])
    for data in ({}, {"decision-3": "maybe"}):
        response = client.post(reverse("exchange:confirm", args=[batch.pk]), data)
        assert response.status_code == 400
        assert escape(gettext("Row %(row)s: choose whether to keep our record or take the platform's.")
                      % {"row": 3}) in response.content.decode()
        assert ledger([small.li, small.wang]) == before and not ImportedRecord.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW


def test_a_failing_row_at_confirmation_rolls_back_the_others(small, client_for):
    """ledger_add refuses a record dated before any rules: the new record before it is undone too."""
    client = client_for(small.bureau_officer)
    rows = [record(small.wang, training="新培训", start="2024-07-01", end="2024-07-01"),
            record(small.li, training="很早的培训", start="1991-07-01", end="1991-07-01")]
    batch = batch_of(upload(client, rows))
    assert kinds(batch) == {2: services.NEW, 3: services.NEW}
    before = ledger([small.li, small.wang])
    response = client.post(reverse("exchange:confirm", args=[batch.pk]))
    assert response.status_code == 400
    assert ledger([small.li, small.wang]) == before and not ImportedRecord.objects.exists()
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.PREVIEW


def test_stale_preview_is_refused(small, client_for):
    client = client_for(small.bureau_officer)
    batch = batch_of(upload(client, [record(small.li, hours=32, credits_=3)]))
    add(small.li, 8, datetime.date(YEAR, 10, 1), description="预览之后的培训")  # the ledger moved on
    before = ledger([small.li])
    response = client.post(reverse("exchange:confirm", args=[batch.pk]), {"decision-2": services.TAKE_THEIRS})
    assert response.status_code == 400
    assert gettext("The ledger of these teachers changed since the preview: upload the file again for a new "
                   "preview.") in response.content.decode()
    assert ledger([small.li]) == before


def test_an_applied_import_is_not_applied_again(small, client_for):
    client = client_for(small.bureau_officer)
    batch = batch_of(upload(client, [record(small.wang, training="新培训", start="2024-07-01", end="2024-07-01")]))
    assert client.post(reverse("exchange:confirm", args=[batch.pk])).status_code == 302
    count = CreditEntry.objects.count()
    response = client.post(reverse("exchange:confirm", args=[batch.pk]))
    assert response.status_code == 400 and gettext("This import has already been applied.") in \
        response.content.decode()
    assert CreditEntry.objects.count() == count


@pytest.mark.parametrize("role", ["school_officer", "teacher", "training_officer"])
def test_import_refused_to_others_of_the_district(small, client_for, role):
    client = client_for(getattr(small, role))
    batch = batch_of(upload(client_for(small.bureau_officer), [record(small.li, hours=32, credits_=3)]))
    count = ImportBatch.objects.count()
    assert upload(client, [record(small.li)]).status_code == 403
    assert ImportBatch.objects.count() == count
    assert client.get(reverse("exchange:preview", args=[batch.pk])).status_code == 403
    before = ledger([small.li])
    assert client.post(reverse("exchange:confirm", args=[batch.pk]), {"decision-2": "theirs"}).status_code == 403
    assert ledger([small.li]) == before


def test_another_districts_bureau_cannot_see_or_confirm(small, client_for):
    batch = batch_of(upload(client_for(small.bureau_officer), [record(small.li, hours=32, credits_=3)]))
    client = client_for(small.other.bureau_officer)
    assert client.get(reverse("exchange:preview", args=[batch.pk])).status_code == 404
    before = ledger([small.li])
    assert client.post(reverse("exchange:confirm", args=[batch.pk]), {"decision-2": "theirs"}).status_code == 404
    assert ledger([small.li]) == before
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.PREVIEW


def test_round_trip_gives_only_duplicates(small, client_for):
    """The export, imported again, is all duplicates: back into the district, and into a fresh
    district the same teachers moved to (their ledger goes with them)."""
    rows = export_sheet(client_for(small.bureau_officer))[1:]
    rows = [[value.date().isoformat() if isinstance(value, datetime.datetime) else value for value in row]
            for row in rows]
    batch = batch_of(upload(client_for(small.bureau_officer), rows))
    assert set(kinds(batch).values()) == {services.DUPLICATE} and len(batch.rows) == 2
    fresh = make_district("新区", prefix="新教师备", suffix="_n")
    fresh.district.credit_rule_family = "hunan"
    fresh.district.save()
    type(small.li).objects.filter(pk__in=[small.li.pk, small.wang.pk]).update(organisation=fresh.school)
    before = CreditEntry.objects.count()
    client = client_for(fresh.bureau_officer)
    batch = batch_of(upload(client, rows))
    assert set(kinds(batch).values()) == {services.DUPLICATE} and len(batch.rows) == 2
    assert client.post(reverse("exchange:confirm", args=[batch.pk])).status_code == 302
    assert CreditEntry.objects.count() == before


def test_home_page(small, client_for):
    page = client_for(small.bureau_officer).get(reverse("exchange:home"))
    assert page.status_code == 200 and 'data-testid="import-form"' in page.content.decode()
    page = client_for(small.school_officer).get(reverse("exchange:home"))
    assert page.status_code == 200 and 'data-testid="import-form"' not in page.content.decode()
    assert client_for(small.teacher).get(reverse("exchange:home")).status_code == 403


# --- races ----------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_racing_confirmations_of_one_preview_apply_it_once(small, client_for):
    """Three confirmations of one preview at the same moment: one applies it, the others are
    refused (already applied), and the ledger has the new record and the taken conflict once.
    PostgreSQL: the batch's row lock; SQLite: IMMEDIATE transactions."""
    rows = [record(small.wang, training="新培训", start="2024-07-01", end="2024-07-01"),
            record(small.li, hours=32, credits_=3)]
    batch = batch_of(upload(client_for(small.bureau_officer), rows))
    before = CreditEntry.objects.count()
    url = reverse("exchange:confirm", args=[batch.pk])
    results = race([(logged_in(small.bureau_officer), url, {"decision-3": services.TAKE_THEIRS}) for _n in range(3)])
    assert sorted(results) == [302, 400, 400], results
    assert CreditEntry.objects.count() == before + 1
    assert ImportedRecord.objects.filter(batch=batch).count() == 2
    li = CreditEntry.objects.get(teacher=small.li, credit_year=YEAR)
    assert (li.hours, li.credits) == (D(32), D(3))
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.APPLIED


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_confirmations_on_postgresql_never_fail(small, client_for):
    """On PostgreSQL the losers wait for the winner's lock and then see it applied (400), never a 500."""
    batch = batch_of(upload(client_for(small.bureau_officer),
                            [record(small.wang, training="新培训", start="2024-07-01", end="2024-07-01")]))
    before = CreditEntry.objects.count()
    results = race([(logged_in(small.bureau_officer), reverse("exchange:confirm", args=[batch.pk]), {})
                    for _n in range(4)])
    assert sorted(results) == [302, 400, 400, 400], results
    assert CreditEntry.objects.count() == before + 1
