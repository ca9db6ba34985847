"""Recognition up the chain (issue #15, seed 002 陕教师〔2013〕31号): routes per rule family,
provisional credits, each level's confirmation through the review kit."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.services import user_create
from credits import recognition, rules, selectors, services
from credits.flows import RecognitionFlow
from credits.models import CreditEntry, Recognition, RecognitionBatch, RecognitionDecision
from exchange.services import exported_entries
from tests.attendance_helpers import make_teacher
from tests.factories import make_district, make_region
from tests.race_helpers import logged_in, postgres_only, race, race_calls
from workflow.selectors import task_queue

D = Decimal
WHEN = datetime.date(2025, 5, 10)   # Shaanxi credit year 2025 (1 Feb 2025 – 31 Jan 2026)


@pytest.fixture
def chain(db):
    call_command("loaddata", "credit_rules", verbosity=0)
    region = make_region()
    jianan = make_district()                                                  # 许昌市
    weidu = make_district("魏都区", "魏教师备", suffix="_wd", city="许昌市")
    jinshui = make_district("金水区", "金教师备", suffix="_js", city="郑州市")
    for world in (jianan, weidu, jinshui):
        world.district.credit_rule_family = "shaanxi"
        world.district.save()
    return region, jianan, weidu, jinshui


def write(teacher, level, *, source=CreditEntry.Source.PROJECT, hours=8, activity="concentrated", title="测试培训"):
    """Credits written as credit_finished_project / credit_school_based_year write them."""
    entries = services.ledger_add(teacher=teacher, activity=activity, level=level, hours=hours, occurred_on=WHEN,
                                  description=title, source=source)
    batches = recognition.recognition_open(entries, title=title)
    return entries, batches


def school_based(teacher, hours=40):
    return write(teacher, "school", source=CreditEntry.Source.SCHOOL_BASED, activity="school_based", hours=hours,
                 title="校本研修 2024–2025")


def open_task(batch):
    return Task.objects.get(process__recognitionprocess__batch=batch, status__in=[STATUS.NEW, STATUS.ASSIGNED],
                            flow_task_type="HUMAN")


def decide(batch, user, decision="approve", comment="", refused=()):
    recognition.recognition_decide_as(task=open_task(batch), user=user, decision=decision, comment=comment,
                                      refused=refused)
    batch.refresh_from_db()


def statuses(entries):
    return [CreditEntry.objects.get(pk=entry.pk).recognition for entry in entries]


# --- routes per family ----------------------------------------------------------------------------

def test_routes_are_data_per_family():
    assert rules.recognition_route("hunan", "school_based") == ()
    assert rules.recognition_route("shaanxi", "school_based") == ("county", "city")
    assert rules.recognition_route("shaanxi", "provincial") == ("province",)
    assert rules.recognition_route("shaanxi", "city") == ("city", "province")
    assert rules.recognition_route("shaanxi", "county") == ("county", "city", "province")
    # A declaration's county step is the bureau's confirmation in the declaration flow.
    assert rules.recognition_route("shaanxi", "county", declared=True) == ("city", "province")
    assert rules.recognition_origin("school_based", "school") == "school_based"
    assert rules.recognition_origin("project", "national") == "provincial"


def test_hunan_credits_are_final_at_once(chain):
    _region, jianan, _weidu, _jinshui = chain
    jianan.district.credit_rule_family = "hunan"
    jianan.district.save()
    teacher = make_teacher(jianan.school, "湖南老师")
    entries, batches = write(teacher, "county")
    assert batches == [] and statuses(entries) == [Recognition.CONFIRMED]
    assert services.teacher_totals(teacher, 2025)["year_total"] == entries[0].credits > 0


def test_shaanxi_school_based_goes_to_the_county_then_the_city(chain):
    region, jianan, _weidu, _jinshui = chain
    teacher = make_teacher(jianan.school, "陕西老师")
    entries, [batch] = school_based(teacher)
    assert batch.route == ["county", "city"] and statuses(entries) == [Recognition.PROVISIONAL]
    assert open_task(batch).flow_task == RecognitionFlow.county_confirm
    assert services.teacher_totals(teacher, 2025)["cycle_total"] == 0        # provisional: not counted
    decide(batch, jianan.bureau_officer, comment="县级审核通过。")
    assert open_task(batch).flow_task == RecognitionFlow.city_confirm
    assert statuses(entries) == [Recognition.PROVISIONAL]
    decide(batch, region.city_officer)
    assert batch.status == RecognitionBatch.Status.CONFIRMED
    entry = CreditEntry.objects.get(pk=entries[0].pk)
    assert entry.recognition == Recognition.CONFIRMED and entry.recognised_by == region.city_officer
    assert entry.recognised_at is not None
    assert services.teacher_totals(teacher, 2025)["cycle_total"] == entry.credits > 0
    trail = list(RecognitionDecision.objects.filter(batch=batch).values_list("step", "decision", "actor", "comment"))
    assert trail == [("county_confirm", "approve", jianan.bureau_officer.pk, "县级审核通过。"),
                     ("city_confirm", "approve", region.city_officer.pk, "")]
    # The audit trail has each decision, as the other credit changes.
    from audit.models import Action, AuditEvent

    events = AuditEvent.objects.filter(action=Action.CREDIT_RECOGNITION, district_id=jianan.district.pk)
    assert events.count() == 2 and batch.title in events.last().summary


def test_provincial_project_is_confirmed_by_the_province_alone(chain):
    region, jianan, _weidu, _jinshui = chain
    teacher = make_teacher(jianan.school, "省培老师")
    entries, [batch] = write(teacher, "province")
    assert batch.route == ["province"]
    assert open_task(batch).flow_task == RecognitionFlow.province_confirm
    assert recognition.batch_open_task_for(jianan.bureau_officer, batch) == (None, None)
    decide(batch, region.province_officer)
    assert statuses(entries) == [Recognition.CONFIRMED]


def test_county_project_goes_county_city_province(chain):
    region, jianan, _weidu, _jinshui = chain
    teacher = make_teacher(jianan.school, "县培老师")
    entries, [batch] = write(teacher, "county")
    for officer in (jianan.bureau_officer, region.city_officer):
        decide(batch, officer)
        assert statuses(entries) == [Recognition.PROVISIONAL]
    decide(batch, region.province_officer)
    assert statuses(entries) == [Recognition.CONFIRMED]


# --- return and refusal -----------------------------------------------------------------------------

def test_returned_goes_back_to_the_previous_level(chain):
    region, jianan, _weidu, _jinshui = chain
    entries, [batch] = school_based(make_teacher(jianan.school, "退回老师"))
    decide(batch, jianan.bureau_officer)
    with pytest.raises(ValidationError):           # a return needs a comment
        decide(batch, region.city_officer, "return")
    decide(batch, region.city_officer, "return", comment="学时证明不全。")
    assert batch.stage == 0 and open_task(batch).flow_task == RecognitionFlow.county_confirm
    assert statuses(entries) == [Recognition.PROVISIONAL]
    with pytest.raises(ValidationError):           # the first level has no one to return to
        decide(batch, jianan.bureau_officer, "return", comment="退回。")
    decide(batch, jianan.bureau_officer, comment="已补证明。")
    decide(batch, region.city_officer)
    assert statuses(entries) == [Recognition.CONFIRMED]


def test_refused_lines_stay_marked_and_do_not_count(chain):
    region, jianan, _weidu, _jinshui = chain
    kept, dropped = make_teacher(jianan.school, "保留"), make_teacher(jianan.school, "剔除")
    first, _ = school_based(kept)
    second, _ = school_based(dropped)
    # Two calls: two batches; put both lines in one for the refusal of a single line.
    batch = first[0].recognition_batch
    CreditEntry.objects.filter(pk=second[0].pk).update(recognition_batch=batch)
    with pytest.raises(ValidationError):           # refusing lines needs a comment
        decide(batch, jianan.bureau_officer, refused=[second[0].pk])
    decide(batch, jianan.bureau_officer, comment="剔除一人：无考勤记录。", refused=[second[0].pk])
    assert statuses(first + second) == [Recognition.PROVISIONAL, Recognition.REFUSED]
    comment = RecognitionDecision.objects.get(batch=batch).comment
    assert "剔除" in comment and gettext("Refused: %(names)s") % {"names": "剔除"} in comment
    decide(batch, region.city_officer)
    assert statuses(first + second) == [Recognition.CONFIRMED, Recognition.REFUSED]
    assert services.teacher_totals(dropped, 2025)["cycle_total"] == 0
    assert CreditEntry.objects.filter(pk=second[0].pk).exists()       # still in the ledger


def test_refusing_the_batch_refuses_every_line(chain):
    region, jianan, _weidu, _jinshui = chain
    entries, [batch] = school_based(make_teacher(jianan.school, "全拒"))
    decide(batch, jianan.bureau_officer)
    decide(batch, region.city_officer, "reject", comment="不符合校本研修认定条件。")
    assert batch.status == RecognitionBatch.Status.REFUSED
    assert statuses(entries) == [Recognition.REFUSED]
    assert not Task.objects.filter(process__recognitionprocess__batch=batch,
                                   status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()


def test_a_line_of_another_batch_cannot_be_refused(chain):
    _region, jianan, _weidu, _jinshui = chain
    entries, [batch] = school_based(make_teacher(jianan.school, "甲"))
    others, _ = school_based(make_teacher(jianan.school, "乙"))
    with pytest.raises(ValidationError):
        decide(batch, jianan.bureau_officer, comment="剔除。", refused=[others[0].pk])
    assert statuses(entries + others) == [Recognition.PROVISIONAL] * 2


# --- the wrong people -------------------------------------------------------------------------------

def test_wrong_people_cannot_claim_or_decide(chain, client):
    region, jianan, weidu, jinshui = chain
    entries, [batch] = school_based(make_teacher(jianan.school, "把关"))
    task = open_task(batch)
    teacher_user = jianan.teacher
    for stranger in (weidu.bureau_officer, jinshui.bureau_officer, jianan.school_officer, jianan.training_officer,
                     teacher_user, region.city_officer, region.province_officer):
        assert not task.flow_task.can_assign(stranger, task), stranger.username
        with pytest.raises(PermissionDenied):
            decide(batch, stranger)
    decide(batch, jianan.bureau_officer)
    task = open_task(batch)
    for stranger in (region.other_city_officer, region.province_officer, jianan.bureau_officer,
                     weidu.bureau_officer, teacher_user):
        assert not task.flow_task.can_assign(stranger, task), stranger.username
        with pytest.raises(PermissionDenied):
            decide(batch, stranger)
    # Through the web too: another city's officer may not claim.
    client.force_login(region.other_city_officer)
    response = client.post(task.flow_task.reverse("assign", args=[task.process_id, task.pk]))
    assert response.status_code in (403, 404)
    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner_id is None
    assert statuses(entries) == [Recognition.PROVISIONAL]


def test_tasks_appear_in_the_right_queues(chain):
    region, jianan, weidu, _jinshui = chain
    _entries, [batch] = school_based(make_teacher(jianan.school, "收件"))
    assert task_queue(user=jianan.bureau_officer).filter(process__recognitionprocess__batch=batch).exists()
    assert not task_queue(user=weidu.bureau_officer).filter(process__recognitionprocess__batch=batch).exists()
    assert not task_queue(user=region.city_officer).filter(process__recognitionprocess__batch=batch).exists()
    decide(batch, jianan.bureau_officer)
    assert task_queue(user=region.city_officer).filter(process__recognitionprocess__batch=batch).exists()
    assert not task_queue(user=region.other_city_officer).filter(process__recognitionprocess__batch=batch).exists()


def test_batch_pages_are_scoped(chain, client):
    region, jianan, weidu, _jinshui = chain
    _entries, [batch] = school_based(make_teacher(jianan.school, "页面"))
    url = reverse("credits:recognition_detail", args=[batch.pk])
    for user in (jianan.bureau_officer, region.city_officer, region.province_officer):
        client.force_login(user)
        assert client.get(url).status_code == 200
        assert batch.title in client.get(reverse("credits:recognition_list")).content.decode()
    for user in (weidu.bureau_officer, region.other_city_officer):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(jianan.teacher)
    assert client.get(reverse("credits:recognition_list")).status_code == 403


def test_city_officer_confirms_through_the_task_page(chain, client):
    region, jianan, _weidu, _jinshui = chain
    entries, [batch] = school_based(make_teacher(jianan.school, "网页"))
    decide(batch, jianan.bureau_officer)
    task = open_task(batch)
    client.force_login(region.city_officer)
    assert client.post(task.flow_task.reverse("assign", args=[task.process_id, task.pk])).status_code == 302
    execute = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
    page = client.get(execute)
    assert page.status_code == 200 and "网页" in page.content.decode()
    assert client.post(execute, {"decision": "approve", "comment": "同意认定。"}).status_code == 302
    assert statuses(entries) == [Recognition.CONFIRMED]


# --- totals and the export --------------------------------------------------------------------------

def test_totals_show_provisional_apart_and_count_only_confirmed(chain):
    region, jianan, _weidu, _jinshui = chain
    teacher = make_teacher(jianan.school, "合计")
    confirmed, [done] = school_based(teacher, hours=40)
    decide(done, jianan.bureau_officer)
    decide(done, region.city_officer)
    waiting, _ = write(teacher, "province", hours=8)
    report = selectors.school_credits(jianan.school, 2025)
    [row] = report.rows
    assert row.year_total == confirmed[0].credits
    assert row.provisional_year == waiting[0].credits > 0
    assert report.with_provisional == [row]
    ledger = selectors.teacher_ledger(teacher, 2025)
    assert ledger.provisional_year == waiting[0].credits
    assert dict(ledger.years)[2025] == confirmed[0].credits
    # Constant queries: the provisional sums ride in the same query as the totals.
    with CaptureQueriesContext(connection) as before:
        selectors.school_credits(jianan.school, 2025)
    for name in ("再一位", "又一位"):
        write(make_teacher(jianan.school, name), "province", hours=8)
    with CaptureQueriesContext(connection) as after:
        selectors.school_credits(jianan.school, 2025)
    assert len(after) == len(before)


def test_teacher_page_shows_provisional_credits(chain, client):
    _region, jianan, _weidu, _jinshui = chain
    teacher = make_teacher(jianan.school, "周芳页")
    waiting, _ = write(teacher, "province", hours=8)
    client.force_login(jianan.bureau_officer)
    page = client.get(reverse("credits:teacher_credits", args=[teacher.pk]) + "?year=2025").content.decode()
    assert 'data-testid="provisional"' in page and 'data-recognition="provisional"' in page


def test_export_carries_only_confirmed_credits(chain):
    region, jianan, _weidu, _jinshui = chain
    teacher = make_teacher(jianan.school, "导出")
    confirmed, [done] = school_based(teacher)
    decide(done, jianan.bureau_officer)
    decide(done, region.city_officer)
    write(teacher, "province", hours=8)
    refused, [gone] = write(teacher, "county", hours=8, title="县级培训")
    decide(gone, jianan.bureau_officer, "reject", comment="不予认定。")
    assert [entry.pk for entry in exported_entries(jianan.district, 2025)] == [confirmed[0].pk]


# --- one decision per step -------------------------------------------------------------------------

@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_of_one_step_one_wins():
    call_command("loaddata", "credit_rules", verbosity=0)
    region = make_region()
    jianan = make_district()
    jianan.district.credit_rule_family = "shaanxi"
    jianan.district.save()
    second = make_district("魏都区", "魏教师备", suffix="_two", city="许昌市")
    entries, [batch] = school_based(make_teacher(jianan.school, "竞争"))
    decide(batch, jianan.bureau_officer)
    task = open_task(batch)
    other = user_create(username="city_two", password="demo12345", full_name="范思源", role="city_officer",
                        organisation=region.city_centre)
    assert second.district.city_id == jianan.district.city_id
    # Both claim and decide at once: one claim, one decision.
    clients = [logged_in(region.city_officer), logged_in(other)]
    assign = task.flow_task.reverse("assign", args=[task.process_id, task.pk])
    results = race([(c, assign, {}) for c in clients])
    assert sorted(results) in ([302, 403], [302, 404], [302, 302])
    task.refresh_from_db()
    winner = clients[[region.city_officer.pk, other.pk].index(task.owner_id)]
    execute = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
    results = race([(winner, execute, {"decision": "approve", "comment": "一"}),
                    (winner, execute, {"decision": "approve", "comment": "二"})])
    assert 302 in results and all(isinstance(r, int) and r < 500 for r in results)
    assert RecognitionDecision.objects.filter(batch=batch, step="city_confirm").count() == 1
    batch.refresh_from_db()
    assert batch.status == RecognitionBatch.Status.CONFIRMED
    assert statuses(entries) == [Recognition.CONFIRMED]


@pytest.mark.django_db(transaction=True)
def test_two_officers_deciding_one_step_at_once_one_wins():
    """Services, not pages: on PostgreSQL the process row lock, on SQLite the IMMEDIATE transactions."""
    call_command("loaddata", "credit_rules", verbosity=0)
    region = make_region()
    jianan = make_district()
    jianan.district.credit_rule_family = "shaanxi"
    jianan.district.save()
    other = user_create(username="city_three", password="demo12345", full_name="范思源", role="city_officer",
                        organisation=region.city_centre)
    entries, [batch] = school_based(make_teacher(jianan.school, "并发"))
    decide(batch, jianan.bureau_officer)
    task = open_task(batch)
    results = race_calls([
        lambda user=user: recognition.recognition_decide_as(task=Task.objects.get(pk=task.pk), user=user,
                                                            decision="approve", comment=user.username)
        for user in (region.city_officer, other)])
    assert sum(result is None for result in results) == 1, results
    assert all(result is None or isinstance(result, PermissionDenied) for result in results), results
    assert RecognitionDecision.objects.filter(batch=batch, step="city_confirm").count() == 1
    assert statuses(entries) == [Recognition.CONFIRMED]


# --- the demo ----------------------------------------------------------------------------------------

def test_demo_jinshui_credits_wait_for_the_city(db, client):
    """金水区 counts by the Shaanxi family: its school-based year, confirmed by the county,
    and a city project wait in 郑州市's officer's queue; nothing of it counts yet."""
    from accounts.models import User

    call_command("load_demo", verbosity=0)
    city, county = User.objects.get(username="shi_zhengzhou"), User.objects.get(username="jinshui_jiaoyuju")
    waiting = task_queue(user=city).filter(process__recognitionprocess__isnull=False)
    assert {task.flow_task for task in waiting} == {RecognitionFlow.city_confirm}
    assert waiting.count() == 2
    assert task_queue(user=county).filter(flow_task=RecognitionFlow.county_confirm).count() == 1
    assert not task_queue(user=User.objects.get(username="shi_xuchang")).filter(
        process__recognitionprocess__isnull=False).exists()
    # (Other demo data writes 金水区 lines by hand, final as such lines are.)
    jinshui = CreditEntry.objects.filter(teacher__organisation__district__name="金水区", recognition_batch__isnull=False)
    assert jinshui.count() >= 7 and set(jinshui.values_list("recognition", flat=True)) == {Recognition.PROVISIONAL}
    assert not CreditEntry.objects.filter(teacher__organisation__district__name="建安区").exclude(
        recognition=Recognition.CONFIRMED).exists()
    client.force_login(city)
    task = waiting.first()
    assert client.get(task.flow_task.reverse("index", args=[task.process_id, task.pk]), follow=True).status_code == 200
    assert client.get(reverse("credits:recognition_list")).status_code == 200
    assert client.get(reverse("workflow:inbox") + "?tab=queue").status_code == 200


def test_a_declaration_confirmed_by_the_bureau_goes_on_to_the_province(chain):
    """Declared provincial training: the bureau's confirmation is the county's, then the province's."""
    from credits.models import Declaration
    from tests.attendance_helpers import make_teacher_with_login
    from tests.url_world import decl_decide, declare

    region, jianan, _weidu, _jinshui = chain
    teacher = make_teacher_with_login(jianan.school, "declarant_sx", name="申报人")
    declaration = declare(teacher.user, datetime.date(2025, 4, 7))
    for node, user in (("school_verify", jianan.school_officer), ("training_school_register", jianan.training_officer),
                       ("bureau_confirm", jianan.bureau_officer)):
        decl_decide(declaration, node, user)
    assert Declaration.objects.get(pk=declaration.pk).status == Declaration.Status.CONFIRMED
    entries = list(CreditEntry.objects.filter(declaration=declaration))
    batch = entries[0].recognition_batch
    assert batch.route == ["province"] and batch.origin == "declaration"
    assert statuses(entries) == [Recognition.PROVISIONAL]
    decide(batch, region.province_officer)
    assert statuses(entries) == [Recognition.CONFIRMED]


def test_shaanxi_rule_page_names_categories_not_codes(chain, client):
    """The crawl as 金水区's bureau officer (now on the Shaanxi rules) read the codes
    "concentrated" and "school_based" on the rule set's page."""
    from credits.models import RuleSet

    _region, jianan, _weidu, _jinshui = chain
    shaanxi = RuleSet.objects.get(family="shaanxi")
    client.force_login(jianan.bureau_officer)
    page = client.get(reverse("credits:rule_detail", args=[shaanxi.pk])).content.decode()
    import re

    text = re.sub(r"<[^>]+>", " ", page)   # the visible text: codes may stay in attributes
    assert "school_based" not in text and "concentrated" not in text.split()
    assert "集中培训" in page and "校本研修" in page


def test_refusing_a_line_that_is_no_line_of_the_batch_is_a_form_error(chain, client):
    """The fuzz test's refused=99999999999999999999 was a 500 (an id too large for SQLite)."""
    region, jianan, _weidu, _jinshui = chain
    entries, [batch] = school_based(make_teacher(jianan.school, "越界"))
    task = open_task(batch)
    client.force_login(jianan.bureau_officer)
    client.post(task.flow_task.reverse("assign", args=[task.process_id, task.pk]))
    execute = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
    for bad in ("99999999999999999999", "abc", str(entries[0].pk + 1000)):
        response = client.post(execute, {"decision": "approve", "comment": "剔除。", "refused": [bad]})
        assert response.status_code == 200, bad          # the form again, with its error
    assert statuses(entries) == [Recognition.PROVISIONAL]
    response = client.post(execute, {"decision": "approve", "comment": "剔除。", "refused": [str(entries[0].pk)]})
    assert response.status_code == 302
    assert statuses(entries) == [Recognition.REFUSED]


@pytest.mark.parametrize("family", ["hunan", "shaanxi"])   # the school page's totals: in SQL, and in Python
def test_school_page_totals_count_only_confirmed(chain, monkeypatch, family):
    _region, jianan, _weidu, _jinshui = chain
    jianan.district.credit_rule_family = family
    jianan.district.save()
    # A route for a family without category minimums, so the page's totals are counted in SQL.
    monkeypatch.setitem(rules.RECOGNITION_ROUTES, "hunan", {"county": ("county",)})
    done, waiting = make_teacher(jianan.school, "已认定"), make_teacher(jianan.school, "待认定")
    day = WHEN if family == "shaanxi" else datetime.date(2025, 5, 10)
    for teacher in (done, waiting):
        entries = services.ledger_add(teacher=teacher, activity="concentrated", level="county", hours=400,
                                      occurred_on=day, description="县级培训", source=CreditEntry.Source.PROJECT)
        [batch] = recognition.recognition_open(entries, title=f"县级培训（{teacher.name}）")
        if teacher is done:
            decide(batch, jianan.bureau_officer)
            if family == "shaanxi":
                decide(batch, make_region_officer("city"))
                decide(batch, make_region_officer("province"))
    totals, page = selectors.school_credit_page(jianan.school, 2025, 1, 25)
    assert totals.teachers == 2 and totals.with_provisional == 1
    assert (totals.meeting_year if family == "hunan" else totals.meeting_cycle) == 1
    rows = {row.teacher.name: row for row in page.object_list}
    assert rows["待认定"].year_total == 0 and rows["待认定"].provisional_year > 0
    assert rows["已认定"].year_total > 0 and rows["已认定"].provisional_year == 0


def make_region_officer(level):
    from accounts.models import User

    return User.objects.get(username=f"{level}_officer")


def _page_before_and_after_three_more_batches(client, jianan, url):
    """The page as jianan's bureau officer sees it with one recognition batch, then with
    three more: (HTML, queries) each time."""
    school_based(make_teacher(jianan.school, "一号"))
    client.force_login(jianan.bureau_officer)
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        first = client.get(url).content.decode()
    for name in ("二号", "三号", "四号"):
        school_based(make_teacher(jianan.school, name))
    with CaptureQueriesContext(connection) as after:
        second = client.get(url).content.decode()
    return (first, len(before)), (second, len(after))


def test_inbox_rows_of_recognitions_cost_no_query_each(chain, client):
    """The inbox's recognition rows name each batch's bureau: one query a page, not one a row
    (RecognitionProcess.load_subjects)."""
    _region, jianan, _weidu, _jinshui = chain
    (before, queries_before), (after, queries_after) = _page_before_and_after_three_more_batches(
        client, jianan, reverse("workflow:inbox") + "?tab=queue")
    assert before.count(f"<td>{jianan.bureau.name}</td>") == 1
    assert after.count(f"<td>{jianan.bureau.name}</td>") == 4
    assert queries_after == queries_before


def test_process_board_rows_of_recognitions_cost_no_query_each(chain, client):
    """The process board names each recognition batch's bureau as the inbox does: one query
    a page, not one a row (kit.load_subjects)."""
    _region, jianan, _weidu, _jinshui = chain
    (before, queries_before), (after, queries_after) = _page_before_and_after_three_more_batches(
        client, jianan, reverse("process_board:index") + "?kind=recognition")
    shown = before.count(jianan.bureau.name)
    assert shown >= 1
    assert after.count(jianan.bureau.name) == shown + 3
    assert queries_after == queries_before
