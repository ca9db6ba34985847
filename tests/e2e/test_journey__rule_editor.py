"""The bureau changes its district's credit rules in the app (issue #12): from 学分规则 it starts a
new version of the rules in force, doubles the county rate, previews the effect on its teachers
(the difference highlighted, nothing written), saves, and the version is listed as its own."""
import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from credits import services
from credits.models import RuleSet
from tests.attendance_helpers import make_teacher
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_bureau_previews_and_saves_a_version_of_its_own(page):
    call_command("loaddata", "credit_rules", verbosity=0)
    world = make_district()
    world.district.credit_rule_family = "gansu"
    world.district.save()
    today = timezone.localdate()
    for name, hours in (("吴慧敏", 24), ("陈雪", 12)):
        services.ledger_add(teacher=make_teacher(world.school, name), activity="concentrated", level="county",
                            hours=hours, occurred_on=today, description="县级集中培训", source="declaration")
    services.ledger_add(teacher=make_teacher(world.other_school, "常晓东"), activity="online", level="any", hours=10,
                        occurred_on=today, description="网络研修", source="declaration")
    next_year = datetime.date(today.year + 1, 1, 1)

    login(page, "bureau_officer", PASSWORD)
    page.goto("/credits/rules/")
    expect(page.locator("[data-testid=versions] tr[data-current]")).to_have_count(1)
    page.click("[data-testid=new-version]")
    page.fill("[name=valid_from]", next_year.isoformat())
    county = page.locator("[data-testid=conversion-rows] tbody tr").filter(
        has=page.locator("select[name$=-level] option[value=county][selected]")).filter(
        has=page.locator("select[name$=-activity] option[value=concentrated][selected]"))
    expect(county).to_have_count(1)
    county.locator("input[name$=-credits]").fill("2")
    page.click("[data-testid=preview-button]")

    preview = page.locator("[data-testid=preview-rows]")
    expect(preview.locator("tr[data-teacher]")).to_have_count(3)
    expect(preview.locator("tr[data-changed]")).to_have_count(2)   # the online line is not touched
    expect(preview.locator("tr[data-teacher='吴慧敏'] [data-new]")).to_have_attribute("data-new", "48.00")
    expect(preview.locator("tr[data-teacher='吴慧敏'] [data-old]")).to_have_attribute("data-old", "24.00")
    page.screenshot(path="test-artifacts/rule-editor-preview.png", full_page=True)
    assert not RuleSet.objects.filter(district=world.district).exists()

    page.click("[data-testid=save]")
    expect(page.locator("[data-testid=valid-from]")).to_be_visible()
    own = RuleSet.objects.get(district=world.district)
    assert own.valid_from == next_year
    assert own.conversions.get(activity="concentrated", level="county").credits == 2
    page.goto("/credits/rules/")
    expect(page.locator(f"[data-testid=versions] tr[data-version='{own.pk}']")).to_contain_text(world.district.name)
    page.screenshot(path="test-artifacts/rule-editor-versions.png", full_page=True)
