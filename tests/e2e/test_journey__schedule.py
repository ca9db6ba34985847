"""Filing an annual plan in the browser puts its projects in the month view."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_annual_plan, make_district
from tests.flow_helpers import claim_and_decide, expert_answer, submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_filed_plan_appears_in_month_view(page):
    from django.test import Client

    world = make_district()
    plan = make_annual_plan(world, projects=4)

    def client(user):
        c = Client()
        c.force_login(user)
        return c

    submit(client(world.training_officer), plan)
    claim_and_decide(client(world.bureau_officer), plan, "initial_review",
                     {"decision": "approve", "experts": [world.expert1.pk]})
    expert_answer(client(world.expert1), plan, world.expert1, "agree")

    # The bureau files it in the browser.
    login(page, "bureau_officer", PASSWORD)
    page.goto("/inbox/?tab=queue")
    page.click("[data-testid=claim]")
    expect(page).to_have_url(re.compile(r"/execute/$"))
    page.check("[name=decision][value=approve]")
    page.click("[data-testid=decide]")

    # A school's teacher opens March of the schedule.
    login(page, "teacher", PASSWORD)
    page.click("text=培训安排")
    page.fill("[name=year]", "2024")
    page.select_option("[name=month]", "3")
    page.click("form.filters button[type=submit]")
    table = page.locator("[data-testid=schedule-table]")
    expect(table).to_contain_text("培训项目3")
    expect(table).not_to_contain_text("培训项目4")
    expect(page.locator("h1")).to_contain_text("2024年3月工作安排")
