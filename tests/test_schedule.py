"""The schedule follows filing: projects appear when a plan or proposal is filed,
change only through an approved change request, and export faithfully."""
import io

import pytest
from django.urls import reverse

from plans.models import Document
from schedule.models import ScheduleChange, ScheduledProject
from schedule.services import spot_check_sample
from tests.factories import make_annual_plan, make_district, make_proposal
from tests.flow_helpers import claim_and_decide, expert_answer, submit
from tests.test_printing import approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed_plan(world, client_for):
    return approve(world, client_for, make_annual_plan(world, projects=14), "建教师备〔2024〕12号")


def test_filing_an_annual_plan_schedules_exactly_its_projects(world, client_for):
    document = make_annual_plan(world, projects=14)
    submit(client_for(world.training_officer), document)
    assert not ScheduledProject.objects.exists()  # nothing before filing
    claim_and_decide(client_for(world.bureau_officer), document, "initial_review",
                     {"decision": "approve", "experts": [world.expert1.pk]})
    expert_answer(client_for(world.expert1), document, world.expert1, "agree")
    assert not ScheduledProject.objects.exists()
    claim_and_decide(client_for(world.bureau_officer), document, "filing",
                     {"decision": "approve", "filing_number": "建教师备〔2024〕9号"})
    rows = list(ScheduledProject.objects.filter(source=document).order_by("sequence"))
    plan_rows = list(document.annual_plan.projects.order_by("sequence"))
    assert len(rows) == len(plan_rows) == 14
    for scheduled, planned in zip(rows, plan_rows):
        assert (scheduled.name, scheduled.headcount, scheduled.all_staff, scheduled.modes, scheduled.start_month,
                scheduled.end_month, scheduled.location, scheduled.year, scheduled.organiser) == (
            planned.name, planned.headcount, planned.all_staff, planned.modes, planned.month, planned.month,
            planned.location, 2024, world.training_school)
    assert ScheduledProject.objects.count() == 14


def test_filing_a_proposal_schedules_one_project_for_its_school(world, client_for):
    document = approve(world, client_for, make_proposal(world), "建教师备〔2024〕20号")
    project = ScheduledProject.objects.get(source=document)
    assert (project.start_month, project.end_month, project.headcount, project.hours, project.open_to,
            project.stage) == (3, 4, 80, 24, world.school, "primary")


def test_rejected_or_returned_documents_schedule_nothing(world, client_for):
    document = make_proposal(world)
    submit(client_for(world.school_officer), document)
    claim_and_decide(client_for(world.training_officer), document, "initial_review",
                     {"decision": "reject", "comment": "不予通过。"})
    assert not ScheduledProject.objects.exists()


def test_month_and_year_views(world, client_for, filed_plan):
    trainer = client_for(world.training_officer)
    page = trainer.get(reverse("schedule:index"), {"year": 2024}).content.decode()
    for n in range(1, 15):
        assert f"培训项目{n}<" in page
    march = trainer.get(reverse("schedule:index"), {"year": 2024, "month": 3}).content.decode()
    assert "培训项目3<" in march and "培训项目4<" not in march
    assert "2024年3月" in march or "3月" in march


def test_school_sees_projects_open_to_its_teachers(world, client_for, filed_plan):
    own = approve(world, client_for, make_proposal(world), "建教师备〔2024〕21号")
    other = approve(world, client_for, make_proposal(world, organisation=world.other_school,
                                                     author=world.other_school_officer), "建教师备〔2024〕22号")
    page = client_for(world.teacher).get(reverse("schedule:index"), {"year": 2024}).content.decode()
    assert "培训项目1<" in page  # district-wide
    own_project = ScheduledProject.objects.get(source=own)
    other_project = ScheduledProject.objects.get(source=other)
    assert reverse("schedule:project", args=[own_project.pk]) in page
    assert reverse("schedule:project", args=[other_project.pk]) not in page
    assert client_for(world.teacher).get(reverse("schedule:project", args=[other_project.pk])).status_code == 404
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    page = client_for(elsewhere.training_officer).get(reverse("schedule:index"), {"year": 2024}).content.decode()
    assert "培训项目1<" not in page


def test_filters_by_mode_stage_and_organiser(world, client_for, filed_plan):
    approve(world, client_for, make_proposal(world), "建教师备〔2024〕23号")
    ScheduledProject.objects.filter(source=filed_plan, sequence=2).update(modes=["online"], stage="junior")
    trainer = client_for(world.training_officer)

    def names(**query):
        page = trainer.get(reverse("schedule:index"), {"year": 2024, **query}).content.decode()
        return {p.name for p in ScheduledProject.objects.all() if f">{p.name}<" in page}

    assert names(mode="online") == {"培训项目2"}
    assert "培训项目2" in names(stage="junior") and "小学语文学科素养提升培训" not in names(stage="junior")
    assert names(organiser=world.school.pk) == {"小学语文学科素养提升培训"}


def _change(client, project, **data):
    payload = {"change-new_start_month": "", "change-new_end_month": "", "change-new_location": "",
               "change-new_headcount": "", "change-reason": "与期中考试冲突。"}
    payload.update({f"change-{k}": v for k, v in data.items()})
    return client.post(reverse("schedule:project", args=[project.pk]), payload)


def test_change_request_changes_nothing_until_filed_then_exactly_its_fields(world, client_for, filed_plan):
    project = ScheduledProject.objects.get(source=filed_plan, sequence=5)
    before = {f: getattr(project, f) for f in ("start_month", "end_month", "location", "headcount", "name")}
    trainer = client_for(world.training_officer)
    response = _change(trainer, project, new_start_month=6, new_end_month=7, new_location="区电教中心")
    assert response.status_code == 302
    request = Document.objects.get(kind="change_request")
    assert request.status == Document.Status.INITIAL_REVIEW
    project.refresh_from_db()
    assert {f: getattr(project, f) for f in before} == before

    # Change requests go 初审 → 备案 here: the district needs no experts for them.
    claim_and_decide(client_for(world.bureau_officer), request, "initial_review", {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == Document.Status.FILING
    project.refresh_from_db()
    assert project.start_month == 5
    claim_and_decide(client_for(world.bureau_officer), request, "filing",
                     {"decision": "approve", "filing_number": "建教师备〔2024〕40号"})
    project.refresh_from_db()
    assert (project.start_month, project.end_month, project.location) == (6, 7, "区电教中心")
    assert (project.headcount, project.name) == (before["headcount"], before["name"])
    assert set(ScheduleChange.objects.values_list("field", "old_value", "new_value")) == {
        ("start_month", "5", "6"), ("end_month", "5", "7"), ("location", "进修学校", "区电教中心")}
    page = trainer.get(reverse("schedule:index"), {"year": 2024}).content.decode()
    assert 'data-testid="adjusted"' in page


def test_rejected_change_request_changes_nothing(world, client_for, filed_plan):
    project = ScheduledProject.objects.get(source=filed_plan, sequence=5)
    _change(client_for(world.training_officer), project, new_location="外地")
    request = Document.objects.get(kind="change_request")
    claim_and_decide(client_for(world.bureau_officer), request, "initial_review",
                     {"decision": "reject", "comment": "不同意调整。"})
    project.refresh_from_db()
    assert project.location == "进修学校" and not ScheduleChange.objects.exists()


@pytest.mark.parametrize("data,message", [
    ({"new_start_month": 13}, "月份须在1至12之间。"),
    ({"new_start_month": 9, "new_end_month": 8}, "结束月份不能早于开始月份。"),
    ({"new_end_month": 1}, "结束月份不能早于开始月份。"),  # before the current first month (5)
    ({}, "请至少填写一项调整内容。"),
])
def test_bad_change_requests_are_refused(world, client_for, filed_plan, data, message):
    project = ScheduledProject.objects.get(source=filed_plan, sequence=5)
    response = _change(client_for(world.training_officer), project, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Document.objects.filter(kind="change_request").exists()


def test_no_change_request_on_finished_project_or_twice(world, client_for, filed_plan):
    trainer = client_for(world.training_officer)
    project = ScheduledProject.objects.get(source=filed_plan, sequence=6)
    assert _change(trainer, project, new_location="新地点").status_code == 302
    response = _change(trainer, project, new_location="另一地点")
    assert "该项目已有一项调整申请正在审批中。" in response.content.decode()
    finished = ScheduledProject.objects.get(source=filed_plan, sequence=7)
    finished.status = ScheduledProject.Status.FINISHED
    finished.save()
    response = _change(trainer, finished, new_location="新地点")
    assert "该项目已结束或已取消，不能再调整。" in response.content.decode()
    assert Document.objects.filter(kind="change_request").count() == 1


def test_only_the_organiser_may_ask_for_a_change(world, client_for, filed_plan):
    project = ScheduledProject.objects.get(source=filed_plan, sequence=5)
    for user in (world.school_officer, world.bureau_officer):
        response = _change(client_for(user), project, new_location="别处")
        assert response.status_code == 403
    assert not Document.objects.filter(kind="change_request").exists()


def test_xlsx_export_opens_with_openpyxl(world, client_for, filed_plan):
    from openpyxl import load_workbook

    response = client_for(world.training_officer).get(reverse("schedule:export", args=["xlsx"]), {"year": 2024})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:6] == ("序号", "培训项目名称", "拟培训人数", "培训方式", "拟培训时间", "培训地点")
    assert len(rows) == 2 + 14
    assert rows[2][:6] == (1, "培训项目1", "全员", "集中培训", "1月", "进修学校")
    assert next(r for r in rows if r[1] == "培训项目2")[2] == "100人"


def test_ics_feed_parses_and_is_scoped(world, client_for, filed_plan):
    from icalendar import Calendar

    response = client_for(world.training_officer).get(reverse("schedule:export", args=["ics"]), {"year": 2024})
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 14
    first = next(e for e in events if str(e["summary"]) == "培训项目3")
    assert first.decoded("dtstart").isoformat() == "2024-03-01" and first.decoded("dtend").isoformat() == "2024-04-01"

    from schedule.exports import feed_token

    feed = client_for(world.teacher).get(reverse("schedule:feed", args=[feed_token(world.teacher)]))
    assert feed.status_code == 200 and len(list(Calendar.from_ical(feed.content).walk("VEVENT"))) == 14
    assert client_for(world.teacher).get(reverse("schedule:feed", args=["1-forged"])).status_code == 404


def test_pdf_export_has_every_row(world, client_for, filed_plan):
    from pypdf import PdfReader

    response = client_for(world.training_officer).get(reverse("schedule:export", args=["pdf"]), {"year": 2024})
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "2024年度培训工作安排表" in text or "培训工作安排表" in text
    for n in range(1, 15):
        assert f"培训项目{n}" in text


def test_spot_check_sample_is_twenty_percent_rounded_up_and_reproducible():
    ids = list(range(1, 15))
    sample = spot_check_sample(ids, seed=20240601, share_percent=20)
    assert len(sample) == 3  # 14 × 20% = 2.8 → 3
    assert sample == spot_check_sample(list(reversed(ids)), seed=20240601, share_percent=20)
    assert len(spot_check_sample(list(range(10)), seed=1, share_percent=20)) == 2


def test_bureau_draws_spot_checks_and_records_findings(world, client_for, filed_plan):
    bureau = client_for(world.bureau_officer)
    response = bureau.post(reverse("schedule:spot_checks"), {"year": 2024, "share_percent": 20})
    assert response.status_code == 302
    from schedule.models import SpotCheck

    check = SpotCheck.objects.get()
    items = list(check.items.values_list("project_id", flat=True))
    assert len(items) == 3 and check.population == 14
    ids = list(ScheduledProject.objects.filter(year=2024).values_list("pk", flat=True))
    assert sorted(items) == spot_check_sample(ids, seed=check.seed, share_percent=20)
    item = check.items.first()
    bureau.post(reverse("schedule:spot_check", args=[check.pk]), {"item": item.pk, "findings": "签到表齐全。"})
    item.refresh_from_db()
    assert item.findings == "签到表齐全。" and item.checked_by == world.bureau_officer
    for user in (world.training_officer, world.school_officer):
        assert client_for(user).get(reverse("schedule:spot_checks")).status_code == 403


def test_project_log(world, client_for, filed_plan):
    project = ScheduledProject.objects.get(source=filed_plan, sequence=1)
    trainer = client_for(world.training_officer)
    response = trainer.post(reverse("schedule:project", args=[project.pk]),
                            {"log-kind": "opened", "log-happened_on": "2024-01-10", "log-text": "开班。"})
    assert response.status_code == 302
    # Closing has its own page (the assessment results): the log form does not offer it.
    response = trainer.post(reverse("schedule:project", args=[project.pk]),
                            {"log-kind": "closed", "log-happened_on": "2024-01-30", "log-text": "结业。"})
    assert response.status_code == 200 and response.context["log_form"].errors["kind"]
    response = trainer.post(reverse("schedule:close", args=[project.pk]),
                            {"close": "1", "happened_on": "2024-01-30", "text": "结业。"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == "finished" and project.log.get(kind="closed").text == "结业。"
    response = client_for(world.teacher).post(reverse("schedule:project", args=[project.pk]),
                                              {"log-kind": "other", "log-happened_on": "2024-01-30", "log-text": "x"})
    assert response.status_code == 403


def test_schedule_query_count_is_constant(world, client_for, filed_plan, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    trainer = client_for(world.training_officer)
    with CaptureQueriesContext(connection) as few:
        trainer.get(reverse("schedule:index"), {"year": 2024})
    baseline = len(few.captured_queries)
    approve(world, client_for, make_annual_plan(world, year=2025, projects=30), "建教师备〔2025〕1号")
    ScheduledProject.objects.filter(year=2025).update(year=2024)
    with django_assert_max_num_queries(baseline):
        trainer.get(reverse("schedule:index"), {"year": 2024})
