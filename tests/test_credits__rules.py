"""Credits computed from the seed-002 rule sets, against figures worked by hand."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from attendance.models import Attendance, Enrolment, ProjectRun
from credits import services
from credits.models import ConversionRule, CreditEntry, RuleSet
from plans.models import Document
from tests.attendance_helpers import confirm, make_project, make_session, make_teacher

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def rules(db):
    call_command("loaddata", "credit_rules", verbosity=0)


def teacher_in(world, family, **extra):
    world.district.credit_rule_family = family
    world.district.save()
    return make_teacher(world.school, **extra)


def add(teacher, activity, level, hours, day, excellent=False):
    return services.ledger_add(teacher=teacher, activity=activity, level=level, hours=hours,
                               occurred_on=day, description="测试培训", source=CreditEntry.Source.DECLARATION,
                               excellent_trainee=excellent)


# (activity, level, hours, expected credits) — worked by hand from seed 002.
GANSU_CASES = [
    ("concentrated", "county", 24, D("24")),     # 县级 1学时1学分
    ("concentrated", "city", 10, D("20")),       # 市级 1学时2学分
    ("concentrated", "province", 8, D("24")),    # 省级 1学时3学分
    ("concentrated", "national", 6, D("24")),    # 国家级 1学时4学分
    ("school_based", "school", 10, D("3.33")),   # 校本 3学时1学分: 10/3 = 3.333…
    ("school_based", "school", 90, D("30")),     # 90/3 = 30, exactly the yearly cap
    ("teaching", "city", 5, D("15")),            # 承担市级教学 1学时3学分
    ("degree", "any", 200, D("30")),             # 学历提高 每学年30学分, hours ignored
    ("online", "any", 50, D("50")),
]
HUNAN_CASES = [
    ("concentrated", "county", 40, D("40")),     # 1学时1学分 at any level
    ("concentrated", "national", 40, D("40")),
    ("school_based", "school", 25, D("25")),
    # Teaching others' training, by where it is taught (实施办法五、4). These were county 2 / city 3 /
    # province 4 / national 5 (Gansu's 第九条) before issue #12.
    ("teaching", "xcounty_tr", 3, D("12")),      # 外县县级培训或市级培训 1学时计4学分
    ("teaching", "xcity", 3, D("15")),           # 外市州单位或省级培训 1学时计5学分
    ("teaching", "province", 3, D("0")),         # not a level of Hunan's text: no rule, a zero entry says so
    # 五、5: a support teacher's school-based lecturing 1学时计2学分 (was 72 a year: Changsha's 三、6).
    ("support_teaching", "any", 1, D("2")),
]


@pytest.mark.parametrize("activity,level,hours,expected", GANSU_CASES)
def test_gansu_conversion(world, rules, activity, level, hours, expected):
    teacher = teacher_in(world, "gansu")
    entry = add(teacher, activity, level, hours, datetime.date(2014, 5, 10))[0]
    assert entry.credits == expected
    assert entry.rule_set.family == "gansu" and "甘肃" in entry.rule_text


@pytest.mark.parametrize("activity,level,hours,expected", HUNAN_CASES)
def test_hunan_conversion(world, rules, activity, level, hours, expected):
    teacher = teacher_in(world, "hunan")
    assert add(teacher, activity, level, hours, datetime.date(2024, 5, 10))[0].credits == expected


def test_gansu_excellent_trainee_bonus_by_level(world, rules):
    teacher = teacher_in(world, "gansu")
    expected = {"county": D(4), "city": D(6), "province": D(8), "national": D(10)}
    for level, bonus in expected.items():
        entries = add(teacher, "concentrated", level, 1, datetime.date(2014, 6, 1), excellent=True)
        assert [e.source for e in entries] == ["declaration", "bonus"]
        assert entries[1].credits == bonus


def test_gansu_school_based_yearly_cap_cuts_and_says_why(world, rules):
    teacher = teacher_in(world, "gansu")
    first = add(teacher, "school_based", "school", 60, datetime.date(2014, 3, 1))[0]    # 20
    second = add(teacher, "school_based", "school", 45, datetime.date(2014, 10, 1))[0]  # 15 → 10
    assert (first.credits, second.raw_credits, second.credits) == (D(20), D(15), D(10))
    assert "10" in second.note and "5" in second.note
    third = add(teacher, "school_based", "school", 30, datetime.date(2015, 3, 1))[0]    # new year: 10
    assert third.credits == D(10) and third.note == ""


def test_hunan_school_based_cycle_cap_of_120(world, rules):
    teacher = teacher_in(world, "hunan")
    credited = [add(teacher, "school_based", "school", 30, datetime.date(year, 6, 1))[0].credits
                for year in range(2021, 2026)]                       # cycle 2021–2025
    assert credited == [D(30), D(30), D(30), D(30), D(0)]
    last = CreditEntry.objects.filter(teacher=teacher).order_by("-occurred_on").first()
    assert last.raw_credits == D(30) and last.note
    # The next cycle starts afresh.
    assert add(teacher, "school_based", "school", 30, datetime.date(2026, 6, 1))[0].credits == D(30)


def test_hunan_school_based_yearly_cap_of_30(world, rules):
    teacher = teacher_in(world, "hunan")
    add(teacher, "school_based", "school", 25, datetime.date(2024, 3, 1))
    entry = add(teacher, "school_based", "school", 10, datetime.date(2024, 11, 1))[0]
    assert (entry.raw_credits, entry.credits) == (D(10), D(5))


def test_leave_exemption_counts_towards_the_minimum(world, rules):
    teacher = teacher_in(world, "hunan")
    services.exemption_add(teacher=teacher, semester_start=datetime.date(2024, 2, 20), reason="产假")
    add(teacher, "concentrated", "county", 12, datetime.date(2024, 9, 1))
    totals = services.teacher_totals(teacher, 2024)
    assert (totals["year_total"], totals["year_required"], totals["year_missing"]) == (D(42), D(30), D(0))


def test_totals_against_year_and_cycle_minimums(world, rules):
    teacher = teacher_in(world, "hunan", is_new_teacher=True)
    add(teacher, "concentrated", "county", 20, datetime.date(2022, 4, 1))
    add(teacher, "online", "any", 30, datetime.date(2024, 4, 1))
    totals = services.teacher_totals(teacher, 2024)
    assert totals["cycle"] == (2021, 2025)
    assert (totals["year_total"], totals["year_missing"]) == (D(30), D(0))
    # 360 + 150 for a new teacher, 50 earned so far.
    assert (totals["cycle_total"], totals["cycle_required"], totals["cycle_missing"]) == (D(50), D(510), D(460))


def test_a_cycle_that_crosses_a_rule_set_change(world, rules):
    teacher = teacher_in(world, "hunan")
    old = RuleSet.objects.get(family="hunan")
    new = RuleSet.objects.create(family="hunan", name="湖南省办法（2024修订）", valid_from=datetime.date(2024, 1, 1),
                                 cycle_start_year=2021, annual_minimum=30, cycle_minimum=360)
    ConversionRule.objects.create(rule_set=new, activity="concentrated", level="any", hours=2, credits=1,
                                  text="集中培训2学时计1学分")
    before = add(teacher, "concentrated", "county", 40, datetime.date(2023, 12, 31))[0]
    after = add(teacher, "concentrated", "county", 40, datetime.date(2024, 1, 1))[0]
    assert (before.rule_set, before.credits) == (old, D(40))
    assert (after.rule_set, after.credits) == (new, D(20))
    assert services.teacher_totals(teacher, 2024)["cycle_total"] == D(60)


def test_year_running_from_february(world, rules):
    teacher = teacher_in(world, "hunan")
    RuleSet.objects.filter(family="hunan").update(year_start="02-01")
    january = add(teacher, "online", "any", 5, datetime.date(2024, 1, 31))[0]
    february = add(teacher, "online", "any", 5, datetime.date(2024, 2, 1))[0]
    assert (january.credit_year, february.credit_year) == (2023, 2024)


def test_no_rule_for_an_activity_gives_zero_and_says_so(world, rules):
    teacher = teacher_in(world, "gansu")
    entry = add(teacher, "support_teaching", "any", 10, datetime.date(2014, 5, 1))[0]
    assert entry.credits == 0 and entry.note


def test_rule_set_with_cap_below_its_minimum_is_refused(world, rules):
    rule_set = RuleSet(family="test", name="错误规则", valid_from=datetime.date(2024, 1, 1), cycle_start_year=2021,
                       annual_minimum=30, cycle_minimum=360, annual_cap=20)
    with pytest.raises(ValidationError) as error:
        rule_set.full_clean()
    assert "annual_cap" in error.value.message_dict


def test_annual_cap_applies_to_everything(world, rules):
    teacher = teacher_in(world, "hunan")
    RuleSet.objects.filter(family="hunan").update(annual_cap=50)
    add(teacher, "concentrated", "county", 40, datetime.date(2024, 3, 1))
    entry = add(teacher, "online", "any", 30, datetime.date(2024, 4, 1))[0]
    assert entry.credits == D(10) and entry.note


# --- from attendance -------------------------------------------------------------

def test_finished_project_credits_those_who_completed(world, rules):
    teacher_in(world, "hunan")
    project = make_project(world, hours=6, year=2024)
    ProjectRun.objects.create(project=project, min_attendance_percent=80)
    good, poor = make_teacher(world.school, "完成"), make_teacher(world.school, "缺勤")
    confirm(project, good, world), confirm(project, poor, world)
    sessions = [make_session(project, date=datetime.date(2024, 3, d)) for d in (11, 12)]  # 3 h each
    for session in sessions:
        Attendance.objects.create(session=session, teacher=good, status="present", source="roll_call",
                                  marked_by=world.training_officer)
    Attendance.objects.create(session=sessions[0], teacher=poor, status="present", source="roll_call",
                              marked_by=world.training_officer)
    Attendance.objects.create(session=sessions[1], teacher=poor, status="absent", source="roll_call",
                              marked_by=world.training_officer)
    services.credit_finished_project(project)
    services.credit_finished_project(project)  # twice is harmless
    assert CreditEntry.objects.get(teacher=good).credits == D(6)
    failed = CreditEntry.objects.get(teacher=poor)
    assert failed.credits == 0 and "50" in failed.note and "80" in failed.note
    assert Enrolment.objects.count() == 2


def test_school_based_year_forfeited_by_five_hours_absent(world, rules):
    teacher_in(world, "hunan")
    plan = Document.objects.create(kind="school_plan", organisation=world.school, year=2024, title="校本计划",
                                   created_by=world.school_officer, status="approved")
    keen, absent = make_teacher(world.school, "认真"), make_teacher(world.school, "缺席")
    sessions = [make_session(school_plan=plan, organisation=world.school, date=datetime.date(2024, 10, d),
                             hours="2.5") for d in (9, 16, 23)]
    for session in sessions:
        Attendance.objects.create(session=session, teacher=keen, status="present", source="roll_call",
                                  marked_by=world.school_officer)
    Attendance.objects.create(session=sessions[0], teacher=absent, status="present", source="roll_call",
                              marked_by=world.school_officer)
    for session in sessions[1:]:  # 2 × 2.5 = 5.0 hours absent: 以上 includes 5
        Attendance.objects.create(session=session, teacher=absent, status="absent", source="roll_call",
                                  marked_by=world.school_officer)
    services.credit_school_based_year(organisation=world.school, year=2024)
    assert CreditEntry.objects.get(teacher=keen).credits == D("7.5")
    forfeited = CreditEntry.objects.get(teacher=absent)
    assert forfeited.credits == 0 and "5" in forfeited.note
    assert forfeited.credit_year == 2025  # the school year ends on 31 July 2025


def test_admin_refuses_a_rule_set_with_cap_below_minimum(client):
    from accounts.models import User

    client.force_login(User.objects.create_superuser("root", password="x-pass-123"))
    data = {
        "family": "test", "name": "错误规则", "valid_from": "2024-01-01", "year_start": "01-01",
        "cycle_start_year": "2021", "cycle_years": "5", "annual_minimum": "30", "cycle_minimum": "360",
        "annual_cap": "20", "new_teacher_extra": "0", "new_teacher_years": "3",
        "leave_exemption_per_semester": "0",
        "conversions-TOTAL_FORMS": "0", "conversions-INITIAL_FORMS": "0",
        "bonuses-TOTAL_FORMS": "0", "bonuses-INITIAL_FORMS": "0",
        "categories-TOTAL_FORMS": "0", "categories-INITIAL_FORMS": "0",
    }
    response = client.post("/admin/credits/ruleset/add/", data)
    assert response.status_code == 200
    assert "每年最高学分不能低于每年最低学分。" in response.content.decode()
    assert not RuleSet.objects.filter(family="test").exists()


def test_bureau_officer_edits_rule_sets_in_the_admin(world, rules, client_for):
    bureau = client_for(world.bureau_officer)
    assert bureau.get("/admin/credits/ruleset/").status_code == 200
    rule_set = RuleSet.objects.get(family="hunan")
    page = bureau.get(f"/admin/credits/ruleset/{rule_set.pk}/change/")
    assert page.status_code == 200 and "湖南" in page.content.decode()
    assert bureau.get("/admin/attendance/completionrules/").status_code == 200
    # Other roles are not admin users; the bureau cannot reach users or documents there.
    for user in (world.training_officer, world.school_officer, world.teacher):
        assert client_for(user).get("/admin/credits/ruleset/").status_code == 302
    assert bureau.get("/admin/accounts/user/").status_code == 403
