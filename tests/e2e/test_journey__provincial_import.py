"""The bureau imports the provincial platform's records (issue 15): from 省平台 it uploads the
platform's file, sees the preview (a new record, a duplicate, a conflict, an unknown ID number and
a bad row), takes the platform's figures for the conflict, confirms, and the ledger has them."""
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import Workbook
from playwright.sync_api import expect

from credits import services as credits
from credits.models import CreditEntry
from exchange import services
from exchange.models import ImportBatch
from tests.attendance_helpers import id_number, make_teacher
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path("test-artifacts")


def test_upload_preview_decide_and_confirm(page, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    call_command("loaddata", "credit_rules", verbosity=0)
    world = make_district()
    world.district.credit_rule_family = "hunan"
    world.district.save()
    li, wang = make_teacher(world.school, "李明"), make_teacher(world.other_school, "王芳")
    for teacher, training in ((li, "省级骨干教师培训"), (wang, "县级班主任培训")):
        credits.ledger_add(teacher=teacher, activity="concentrated", level="province", hours=24,
                           occurred_on=datetime.date(2024, 3, 10), description=training, source="declaration")
    ours = CreditEntry.objects.get(teacher=li)
    duplicate = CreditEntry.objects.get(teacher=wang)

    book = Workbook()
    book.active.append(services.HEADERS)
    book.active.append([wang.id_number, "王芳", world.other_school.name, "信息技术应用能力提升", "市级", 30, 2.5,
                        "2024-06-01", "2024-06-05", "HN-2024-88"])
    book.active.append([wang.id_number, "王芳", world.other_school.name, "县级班主任培训", "省级", 24,
                        float(duplicate.credits), "2024-03-10", "2024-03-10", ""])
    book.active.append([li.id_number, "李明", world.school.name, "省级骨干教师培训", "省级", 32, 3,
                        "2024-03-10", "2024-03-10", "HN-2024-01"])
    book.active.append([id_number(datetime.date(1990, 1, 1)), "外区教师", "某校", "培训", "县级", 10, 1,
                        "2024-01-01", "2024-01-02", ""])
    book.active.append([li.id_number, "李明", world.school.name, "", "省级", "很多", 1, "2024-01-01", "2024-01-01",
                        ""])
    path = tmp_path / "省平台导出.xlsx"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())

    login(page, "bureau_officer", PASSWORD)
    page.click("[data-testid=nav-exchange]")
    page.set_input_files("[data-testid=import-form] input[type=file]", str(path))
    page.click("[data-testid=import-form] button[type=submit]")

    counts = page.locator("[data-testid=counts]")
    for kind, count in (("new", 1), ("duplicate", 1), ("conflict", 1), ("unknown", 1), ("bad", 1)):
        expect(counts.locator(f"[data-count={kind}]")).to_have_text(str(count))
    expect(page.locator("[data-testid=bad-rows] tr[data-row='6']")).to_be_visible()
    expect(page.locator("[data-testid=conflict-rows] tr[data-row='4']")).to_contain_text("32")
    page.screenshot(path=str(ARTIFACTS / "provincial-import-preview.png"), full_page=True)
    assert CreditEntry.objects.count() == 2  # a preview writes nothing in the ledger

    # Confirming without a decision is refused, nothing applied; then the platform's figures are taken.
    page.click("[data-testid=confirm]")
    expect(page.locator(".messages .error")).to_be_visible()
    assert CreditEntry.objects.count() == 2
    page.check("[data-testid=conflict-rows] tr[data-row='4'] input[value=theirs]")
    page.screenshot(path=str(ARTIFACTS / "provincial-import-decided.png"), full_page=True)
    page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=applied]")).to_be_visible()
    expect(page.locator(".messages .success")).to_be_visible()
    expect(page.locator("[data-testid=conflict-rows] tr[data-row='4'] [data-decision=theirs]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "provincial-import-applied.png"), full_page=True)

    ours.refresh_from_db()
    assert (ours.hours, ours.credits) == (Decimal(32), Decimal(3))
    new = CreditEntry.objects.get(teacher=wang, description="信息技术应用能力提升")
    assert new.source == CreditEntry.Source.PROVINCIAL and new.credits == Decimal("2.5")
    assert CreditEntry.objects.count() == 3
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.APPLIED and batch.applied_by == world.bureau_officer
