"""Every numbered figure of seed 002 for Hunan, Gansu, Shaanxi, Chaoyang and Changsha,
worked by hand (issue #12).

Each row cites the seed's sentence it checks (湖南: 《学校教师培训学分登记管理实施办法》
and the provincial 试行办法; 甘肃: 甘教师〔2013〕49号 办法; 陕西: 陕教师〔2013〕31号,
its 单元与学分学时计算 table and 咸政教师字〔2014〕44号; 朝阳: 《朝阳区“十二五”时期教师
培训学分管理办法及标准》; 长沙: 《长沙市中等职业学校教师培训学分统计具体操作办法》).
Rows that need a rule set's data go through credits.services on the database with the
shipped fixture `credit_rules`; the pure rules (category progress, bonuses, the 优秀
threshold, leave, the calendar) are checked without one — those tests take no `db`
fixture, so pytest-django refuses any query they might make.

/work/wt/notes/h9-seed-figures.md maps each seed figure to the test that checks it.
"""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils.translation import gettext

from accounts.regions import region_create
from accounts.models import District, Organisation
from attendance.models import Attendance, ProjectRun
from credits import rules, services
from credits.models import CreditEntry, CycleClosure, RuleSet
from credits.rules import BonusRule, Category, Conversion, Minimums
from tests.attendance_helpers import confirm, make_project, make_session, make_teacher

D = Decimal
day = datetime.date

# A day inside each family's rules (valid_from) and first cycle.
DAY = {
    "hunan": day(2024, 5, 10),      # cycle 2021–2025
    "gansu": day(2014, 5, 10),      # cycle 2011–2015
    "shaanxi": day(2015, 5, 10),    # credit year 2015 (1 Feb 2015 – 31 Jan 2016), cycle 2014–2018
    "chaoyang": day(2013, 5, 10),   # 十二五: 2011–2015
    "changsha": day(2017, 5, 10),   # cycle 2016–2020 (assumed: the text only says it counts 2015–2020)
}


# --- fixtures and helpers ----------------------------------------------------------------------

@pytest.fixture
def school(db):
    """A school of a district; the shipped rule sets loaded. The family is chosen per test."""
    call_command("loaddata", "credit_rules", verbosity=0)
    district = District.objects.create(name="测试区", city=region_create(province="测试省", city="测试市")[1], filing_prefix="测教师备")
    return Organisation.objects.create(district=district, name="测试学校", kind="school", stage="primary")


def teacher_of(school, family, name="李老师", **extra):
    school.district.credit_rule_family = family
    school.district.save()
    return make_teacher(school, name, **extra)


def add(teacher, activity, level, when, **inputs):
    inputs.setdefault("hours", 0)
    return services.ledger_add(teacher=teacher, activity=activity, level=level, occurred_on=when,
                               description=inputs.pop("description", "测试培训"),
                               source=CreditEntry.Source.DECLARATION, **inputs)


def credited(entries) -> list[Decimal]:
    return [entry.credits for entry in entries]


# --- one record: hours (or the rule's other input) → credits --------------------------------------
# (family, activity, level, inputs, expected credits)

CONVERSIONS = [
    # 湖南 实施办法五、1: 各级教育行政部门举办或经批准举办的各类培训，凭培训结业证注明的培训学时，每1学时计1个学分
    ("hunan", "concentrated", "county", {"hours": 24}, D(24)),
    ("hunan", "concentrated", "national", {"hours": 40}, D(40)),
    ("hunan", "online", "province", {"hours": 12}, D(12)),
    # 五、2: 学历提升培训，按课程计划中所规定的学科学分，每1学科学分计5个培训学分
    ("hunan", "degree", "any", {"subject_credits": 4}, D(20)),
    ("hunan", "degree", "any", {"subject_credits": "2.5", "hours": 300}, D("12.5")),   # hours do not count
    # 五、3: 校本研训 按1学时计1学分
    ("hunan", "school_based", "school", {"hours": 25}, D(25)),
    # 五、4: 本县外校1学时计2学分、外县学校或县级培训1学时计3学分、外县县级培训或市级培训1学时计4学分、
    #        外市州单位（学校）或省级培训1学时计5学分
    ("hunan", "teaching", "in_county", {"hours": 3}, D(6)),
    ("hunan", "teaching", "xcounty", {"hours": 3}, D(9)),
    ("hunan", "teaching", "xcounty_tr", {"hours": 3}, D(12)),
    ("hunan", "teaching", "xcity", {"hours": 3}, D(15)),
    # 五、5: 全职支教的教师，其校本研训的培训主讲、教学观摩（比武），1学时计2学分
    ("hunan", "support_teaching", "any", {"hours": 6}, D(12)),

    # 甘肃 第六条: 校本研训 每3学时计1学分
    ("gansu", "school_based", "school", {"hours": 3}, D(1)),
    ("gansu", "school_based", "school", {"hours": 10}, D("3.33")),      # 10/3 = 3.333…
    ("gansu", "school_based", "school", {"hours": 90}, D(30)),          # 90/3 = 30, exactly the yearly cap
    # 第七条: 县级集中培训每1学时计1学分，市（州）级2学分，省级3学分，国家级4学分
    ("gansu", "concentrated", "county", {"hours": 24}, D(24)),
    ("gansu", "concentrated", "city", {"hours": 10}, D(20)),
    ("gansu", "concentrated", "province", {"hours": 8}, D(24)),
    ("gansu", "concentrated", "national", {"hours": 6}, D(24)),
    # 第八条: 学历提高培训 学习期间每学年计30学分（hours ignored）；人社部门组织的公修课培训，按5年30学分认定
    ("gansu", "degree", "any", {"hours": 200}, D(30)),
    ("gansu", "public_course", "any", {"hours": 16}, D(30)),
    # 第九条: 担任教师培训教学、辅导工作，县级每1学时计2学分，市（州）级3学分，省级4学分，国家级5学分
    ("gansu", "teaching", "county", {"hours": 5}, D(10)),
    ("gansu", "teaching", "city", {"hours": 5}, D(15)),
    ("gansu", "teaching", "province", {"hours": 5}, D(20)),
    ("gansu", "teaching", "national", {"hours": 5}, D(25)),

    # 陕西 31号: 培训学习时间以“单元”（半天或4小时）计量；省级及以上集中培训每个单元计2学分
    ("shaanxi", "concentrated", "province", {"hours": 8}, D(4)),          # one day = 2 units
    ("shaanxi", "concentrated", "national", {"hours": 4}, D(2)),
    # 市、县级集中培训，每个培训单元（半天或4学时）计1.5学分
    ("shaanxi", "concentrated", "city", {"hours": 4}, D("1.5")),
    ("shaanxi", "concentrated", "county", {"hours": 24}, D(9)),           # 3 days = 6 units × 1.5
    # 单元与学分学时计算: 省级培训1单元=2学分, 市县级培训1单元=1.5学分 (remote training by its level)
    ("shaanxi", "online", "province", {"hours": 4}, D(2)),
    ("shaanxi", "online", "county", {"hours": 8}, D(3)),
    # 校本研修1单元=0.25学分=0.75学时
    ("shaanxi", "school_based", "school", {"hours": 4}, D("0.25")),
    ("shaanxi", "school_based", "school", {"hours": 40}, D("2.5")),       # 10 units

    # 朝阳 一、2: 网上培训按20学时折1分计算，而面授课程按10学时折1分计算
    ("chaoyang", "online", "any", {"hours": 20}, D(1)),
    ("chaoyang", "online", "any", {"hours": 45}, D("2.25")),
    ("chaoyang", "concentrated", "any", {"hours": 10}, D(1)),
    ("chaoyang", "concentrated", "any", {"hours": 60}, D(6)),             # 学科培训 6学分 = 60 h face to face
    # 一、3: 专题选修 按10课时折合1学分计算，每门选修课为2学分 (a 20-hour course)
    ("chaoyang", "concentrated", "any", {"hours": 20, "category": "elective"}, D(2)),
    # 自主选修 按20学时折合1学分计算
    ("chaoyang", "self_study", "any", {"hours": 20}, D(1)),
    # 教研（区以上）每年按1学分计
    ("chaoyang", "teaching_research", "any", {}, D(1)),
    # 科研（区以上）公开课、研究课、评优课：全国2分、市级1分、区级0.5分
    ("chaoyang", "research", "national", {}, D(2)),
    ("chaoyang", "research", "city", {}, D(1)),
    ("chaoyang", "research", "county", {}, D("0.5")),

    # 长沙 三、1: 没有注明学分的，按1学时1学分计
    ("changsha", "concentrated", "any", {"hours": 24}, D(24)),
    ("changsha", "online", "any", {"hours": 10}, D(10)),
    # 三、2: 结业证书上没有登记学时的各类培训 … 原则上每天按6学时（分）计
    ("changsha", "concentrated", "any", {"days": 3}, D(18)),
    ("changsha", "concentrated", "any", {"days": "0.5"}, D(3)),
    # 三、3: 校本培训（按1学时1学分，每年不超过24学分）
    ("changsha", "school_based", "school", {"hours": 20}, D(20)),
    # 三、5: 被评选为“双师型”教师的 … 在评选当年可计72学分
    ("changsha", "dual_qualified", "any", {}, D(72)),
    # 三、6: 支教教师按72学分/年的标准统计
    ("changsha", "support_teaching", "any", {}, D(72)),
    # 三、7: 外聘任教 … 按实际承担的学时数计算学分，每1学时计1分
    ("changsha", "teaching", "any", {"hours": 5}, D(5)),
]


def conversion_id(case) -> str:
    family, activity, level, inputs, expected = case
    units = {"hours": "h", "days": "d", "subject_credits": "sc"}
    given = "-".join(f"{value}{units[key]}" if key in units else f"{key}:{value}"
                     for key, value in inputs.items()) or "record"
    return f"{family}-{activity}-{level}-{given}={expected}"


@pytest.mark.parametrize("family,activity,level,inputs,expected", CONVERSIONS,
                         ids=[conversion_id(case) for case in CONVERSIONS])
def test_conversion(school, family, activity, level, inputs, expected):
    teacher = teacher_of(school, family)
    entry = add(teacher, activity, level, DAY[family], **inputs)[0]
    assert (entry.credits, entry.raw_credits, entry.note) == (expected, expected, "")
    assert entry.rule_set.family == family
    assert entry.rule_text.startswith(entry.rule_set.name)


def test_every_conversion_rule_cites_its_article(school):
    """The rule as written starts with the article of the seed it comes from."""
    articles = {"hunan": ("实施办法",), "gansu": ("第",), "shaanxi": ("31号", "单元与学分学时计算"),
                "chaoyang": ("一、",), "changsha": ("三、",)}
    for rule_set in RuleSet.objects.prefetch_related("conversions", "bonuses", "categories"):
        texts = [r.text for r in rule_set.conversions.all()] + [b.text for b in rule_set.bonuses.all()] + \
            [c.text for c in rule_set.categories.all()]
        assert rule_set.text
        for text in texts:
            assert text.startswith(articles[rule_set.family]), (rule_set.family, text)


# Hours that map to no rule of the family: a zero entry that says why.
NO_RULE = [
    # 湖南 五、4 counts teaching by where it is taught; "province" is not one of its levels.
    ("hunan", "teaching", "province"),
    ("hunan", "teaching", "national"),
    # 甘肃 has no support-teaching rule; 长沙 no degree rule; 陕西 no teaching rule.
    ("gansu", "support_teaching", "any"),
    ("changsha", "degree", "any"),
    ("shaanxi", "teaching", "province"),
]


@pytest.mark.parametrize("family,activity,level", NO_RULE)
def test_no_rule_gives_zero_and_says_so(school, family, activity, level):
    entry = add(teacher_of(school, family), activity, level, DAY[family], hours=10)[0]
    assert (entry.credits, entry.note) == (D(0), gettext("These rules give no credits for this kind of training."))


def test_hunan_degree_needs_its_subject_credits(school):
    # 五、2 counts subject credits, not hours: without them nothing can be counted.
    teacher = teacher_of(school, "hunan")
    with pytest.raises(ValidationError):
        add(teacher, "degree", "any", DAY["hunan"], hours=120)
    assert not CreditEntry.objects.exists()


def test_days_need_a_rule_that_counts_them(school):
    # Only 长沙 三、2 counts a day as 6 hours; Hunan wants the hours.
    with pytest.raises(ValidationError):
        add(teacher_of(school, "hunan"), "concentrated", "county", DAY["hunan"], days=2)


# --- caps and repeats: several records of one teacher → credits of each ----------------------------
# (family, [(activity, level, day, inputs)], expected credits of each record in turn)

def rec(activity, level, when, **inputs):
    return activity, level, when, inputs


SEQUENCES = [
    # 湖南 五、3: 全年校本研训教师个人学分不超过30分
    ("hunan", [rec("school_based", "school", day(2024, 3, 1), hours=25),
               rec("school_based", "school", day(2024, 11, 1), hours=10)], [D(25), D(5)]),
    # 五、3 / 三、1: 五年一周期内校本研训不超过120学分 (cycle 2021–2025)
    ("hunan", [rec("school_based", "school", day(y, 6, 1), hours=30) for y in range(2021, 2026)]
     + [rec("school_based", "school", day(2026, 6, 1), hours=30)], [D(30)] * 4 + [D(0), D(30)]),
    # 五、4: 年度内，承担不同层次同一内容的教学、辅导工作，只计算最高学分
    ("hunan", [rec("teaching", "xcounty", day(2024, 3, 1), hours=4, content="新课标解读"),
               rec("teaching", "xcity", day(2024, 9, 1), hours=4, content="新课标解读")], [D(12), D(8)]),
    ("hunan", [rec("teaching", "xcity", day(2024, 3, 1), hours=4, content="新课标解读"),
               rec("teaching", "xcounty", day(2024, 9, 1), hours=4, content="新课标 解读")], [D(20), D(0)]),
    ("hunan", [rec("teaching", "xcity", day(2024, 3, 1), hours=4, content="新课标解读"),
               rec("teaching", "in_county", day(2024, 9, 1), hours=4, content="作业设计")], [D(20), D(8)]),
    ("hunan", [rec("teaching", "xcity", day(2024, 3, 1), hours=4, content="新课标解读"),     # next year: anew
               rec("teaching", "xcity", day(2025, 3, 1), hours=4, content="新课标解读")], [D(20), D(20)]),
    # 甘肃 第六条: 校本研训 每学年累计不得超过30学分
    ("gansu", [rec("school_based", "school", day(2014, 3, 1), hours=60),
               rec("school_based", "school", day(2014, 10, 1), hours=45),
               rec("school_based", "school", day(2015, 3, 1), hours=30)], [D(20), D(10), D(10)]),
    # 第八条: 学历提高 每学年计30学分 (once a year); 公修课 按5年30学分认定 (once a cycle)
    ("gansu", [rec("degree", "any", day(2014, 3, 1)), rec("degree", "any", day(2014, 9, 1)),
               rec("degree", "any", day(2015, 3, 1))], [D(30), D(0), D(30)]),
    ("gansu", [rec("public_course", "any", day(2012, 3, 1)), rec("public_course", "any", day(2014, 3, 1))],
     [D(30), D(0)]),
    # 朝阳 一、3: 自主选修 … 最多不超过2学分
    ("chaoyang", [rec("self_study", "any", day(2012, 3, 1), hours=40),
                  rec("self_study", "any", day(2013, 3, 1), hours=20)], [D(2), D(0)]),
    # 教研（区以上）：每年按1学分计，累计不超过4学分
    ("chaoyang", [rec("teaching_research", "any", day(y, 6, 1)) for y in range(2011, 2016)], [D(1)] * 4 + [D(0)]),
    ("chaoyang", [rec("teaching_research", "any", day(2012, 3, 1)),
                  rec("teaching_research", "any", day(2012, 9, 1))], [D(1), D(0)]),
    # 科研（区以上）：累计不超过2学分
    ("chaoyang", [rec("research", "national", day(2012, 3, 1)), rec("research", "city", day(2013, 3, 1))],
     [D(2), D(0)]),
    ("chaoyang", [rec("research", "county", day(2011 + i, 3, 1)) for i in range(5)], [D("0.5")] * 4 + [D(0)]),
    # 长沙 三、3: 校本培训按每年不超过24学分的标准统计
    ("changsha", [rec("school_based", "school", day(2017, 3, 1), hours=20),
                  rec("school_based", "school", day(2017, 10, 1), hours=10)], [D(20), D(4)]),
    # 三、6: 支教教师按72学分/年 (once a year)
    ("changsha", [rec("support_teaching", "any", day(2017, 3, 1)), rec("support_teaching", "any", day(2017, 9, 1)),
                  rec("support_teaching", "any", day(2018, 3, 1))], [D(72), D(0), D(72)]),
    # 三、7: 一个年度内多次承担同一项目教学工作，不重复计分
    ("changsha", [rec("teaching", "any", day(2017, 3, 1), hours=5, content="信息技术与课堂融合"),
                  rec("teaching", "any", day(2017, 6, 1), hours=5, content="信息技术与课堂融合"),
                  rec("teaching", "any", day(2018, 3, 1), hours=5, content="信息技术与课堂融合")],
     [D(5), D(0), D(5)]),
]


SEQUENCE_IDS = [
    "hunan-school_based-30-a-year", "hunan-school_based-120-a-cycle", "hunan-same-content-higher-later",
    "hunan-same-content-lower-later", "hunan-other-content", "hunan-same-content-next-year",
    "gansu-school_based-30-a-year", "gansu-degree-30-a-year", "gansu-public-course-30-in-5-years",
    "chaoyang-self-study-at-most-2", "chaoyang-teaching-research-1-a-year-at-most-4",
    "chaoyang-teaching-research-once-a-year", "chaoyang-research-at-most-2", "chaoyang-research-district-0.5",
    "changsha-school_based-24-a-year", "changsha-support-72-a-year", "changsha-same-project-not-twice",
]


@pytest.mark.parametrize("family,records,expected", SEQUENCES, ids=SEQUENCE_IDS)
def test_caps_and_repeats(school, family, records, expected):
    teacher = teacher_of(school, family)
    entries = [add(teacher, activity, level, when, **inputs)[0] for activity, level, when, inputs in records]
    assert credited(entries) == expected
    for entry in entries:
        assert bool(entry.note) == (entry.credits < entry.raw_credits)  # every cut says why


def test_same_content_note_names_the_rule(school):
    teacher = teacher_of(school, "hunan")
    add(teacher, "teaching", "xcity", day(2024, 3, 1), hours=4, content="新课标解读")
    lower = add(teacher, "teaching", "xcounty", day(2024, 9, 1), hours=4, content="新课标解读")[0]
    assert lower.note == gettext("the same content taught at several levels in a year counts once, at the "
                                 "highest: %(cut)s cut") % {"cut": "12"}


# --- assessment results and excellent trainees ---------------------------------------------------

GANSU_BONUS = [
    # 甘肃 第七条: 获得优秀学员的，按国家级、省级、市（州）级、县级各加10分、8分、6分、4分
    ("county", 10, D(10), D(4)),
    ("city", 10, D(20), D(6)),
    ("province", 10, D(30), D(8)),
    ("national", 10, D(40), D(10)),
]


@pytest.mark.parametrize("level,hours,record,bonus", GANSU_BONUS, ids=[case[0] for case in GANSU_BONUS])
def test_gansu_excellent_trainee_bonus(school, level, hours, record, bonus):
    entries = add(teacher_of(school, "gansu"), "concentrated", level, DAY["gansu"], hours=hours,
                  excellent_trainee=True)
    assert [(e.source, e.credits) for e in entries] == [("declaration", record), ("bonus", bonus)]
    assert "第七条" in entries[1].rule_text


CHANGSHA_BONUS = [
    # 长沙 三、2: 优秀学员凭优秀学员证书（表彰文件）学分可上浮20%（四舍五入取整）
    ({"days": 3}, D(18), D(4)),       # 18 × 1.2 = 21.6 → 22
    ({"hours": 13}, D(13), D(3)),     # 15.6 → 16
    ({"hours": 10}, D(10), D(2)),     # 12.0 → 12
    ({"hours": 2}, D(2), D(0)),       # 2.4 → 2: nothing added
    ({"hours": "12.5"}, D("12.5"), D("2.5")),   # 15 → 15: the result is a whole credit
]


@pytest.mark.parametrize("inputs,record,bonus", CHANGSHA_BONUS,
                         ids=["3days-18+4", "13h-13+3", "10h-10+2", "2h-2+0", "12.5h-12.5+2.5"])
def test_changsha_excellent_trainee_plus_20_percent_rounded(school, inputs, record, bonus):
    entries = add(teacher_of(school, "changsha"), "concentrated", "county", DAY["changsha"],
                  excellent_trainee=True, **inputs)
    assert credited(entries) == [record, bonus]
    assert (record + bonus) == (record + bonus).to_integral()


def test_hunan_gives_no_excellent_trainee_bonus(school):
    entries = add(teacher_of(school, "hunan"), "concentrated", "county", DAY["hunan"], hours=10,
                  excellent_trainee=True)
    assert credited(entries) == [D(10), D(0)]
    assert entries[1].note == gettext("These rules give no bonus at this level.")


@pytest.mark.parametrize("family,activity,level", [
    ("gansu", "concentrated", "city"),       # 第七条: 成绩不合格者，不认定学分
    ("gansu", "school_based", "school"),     # 第六条: 校本研训经考核合格者 …
    ("changsha", "concentrated", "any"),
    ("hunan", "online", "any"),
])
def test_failed_assessment_gives_a_zero_entry_saying_why(school, family, activity, level):
    entries = add(teacher_of(school, family), activity, level, DAY[family], hours=30, passed=False)
    assert [(e.credits, e.raw_credits) for e in entries] == [(D(0), D(0))]
    assert entries[0].note == gettext("Those who fail the assessment get no credits.")


def test_a_failed_trainee_cannot_be_excellent(school):
    with pytest.raises(ValidationError):
        add(teacher_of(school, "gansu"), "concentrated", "city", DAY["gansu"], hours=10, passed=False,
            excellent_trainee=True)
    assert not CreditEntry.objects.exists()


# --- closing a project with the organiser's results -------------------------------------------------

@pytest.fixture
def closed_project(world):
    """A 6-hour county project, everyone present at both sessions."""
    call_command("loaddata", "credit_rules", verbosity=0)

    def build(family, year):
        world.district.credit_rule_family = family
        world.district.save()
        project = make_project(world, hours=6, year=year)
        ProjectRun.objects.create(project=project, min_attendance_percent=80)
        teachers = [make_teacher(world.school, name) for name in ("合格", "不合格", "优秀")]
        sessions = [make_session(project, date=day(year, 3, d)) for d in (11, 12)]  # 3 h each
        for teacher in teachers:
            confirm(project, teacher, world)
            for session in sessions:
                Attendance.objects.create(session=session, teacher=teacher, status="present", source="roll_call",
                                          marked_by=world.training_officer)
        return project, teachers
    return build


def ledger(teacher):
    return [(e.source, e.credits) for e in CreditEntry.objects.filter(teacher=teacher).order_by("pk")]


def test_project_close_gansu_fail_and_excellent(closed_project):
    project, (passed, failed, excellent) = closed_project("gansu", 2014)
    services.credit_finished_project(project, results={failed.pk: "fail", excellent.pk: "excellent"})
    services.credit_finished_project(project, results={failed.pk: "fail", excellent.pk: "excellent"})  # harmless
    # 第七条: county 1学时计1学分; 不合格 → nothing, saying why; 优秀学员 县级加4分
    assert ledger(passed) == [("project", D(6))]
    assert ledger(failed) == [("project", D(0))]
    assert CreditEntry.objects.get(teacher=failed).note == gettext("Those who fail the assessment get no credits.")
    assert ledger(excellent) == [("project", D(6)), ("bonus", D(4))]


def test_project_close_changsha_excellent_plus_20_percent(closed_project):
    project, (passed, _failed, excellent) = closed_project("changsha", 2017)
    services.credit_finished_project(project, results={excellent.pk: "excellent"})
    assert ledger(passed) == [("project", D(6))]
    assert ledger(excellent) == [("project", D(6)), ("bonus", D(1))]   # 6 × 1.2 = 7.2 → 7


def test_project_close_defaults_to_all_passed(closed_project):
    project, teachers = closed_project("gansu", 2014)
    services.credit_finished_project(project)
    assert [ledger(t) for t in teachers] == [[("project", D(6))]] * 3


@pytest.mark.parametrize("bad", [{"x": "pass"}, "unknown-result", "stranger"])
def test_project_close_refuses_bad_results_and_writes_nothing(closed_project, world, bad):
    project, (passed, _failed, _excellent) = closed_project("gansu", 2014)
    if bad == "unknown-result":
        bad = {passed.pk: "good"}
    elif bad == "stranger":
        bad = {make_teacher(world.other_school, "外校").pk: "pass"}
    with pytest.raises(ValidationError):
        services.credit_finished_project(project, results=bad)
    assert not CreditEntry.objects.exists()


# --- leave ---------------------------------------------------------------------------------------

LEAVE = [
    # 湖南 五、5: 对因产假、病假等特殊原因 … 请假每满一学期，可免修30学分
    ("hunan", None, D(30), ""),
    # 长沙 三、6: 对因产假、病假等特殊原因确实无法完成培训学分的教师，按6学分/月的标准统计
    ("changsha", 3, D(18), ""),
    ("changsha", 12, D(72), ""),
    # counted by a unit the rules do not use: nothing, saying so
    ("hunan", 3, D(0), "These rules exempt no credits for leave counted this way."),
    ("changsha", None, D(0), "These rules exempt no credits for leave counted this way."),
]


@pytest.mark.parametrize("family,months,expected,note", LEAVE,
                         ids=["hunan-semester-30", "changsha-3-months-18", "changsha-12-months-72",
                              "hunan-by-month-none", "changsha-by-semester-none"])
def test_leave_exemption(school, family, months, expected, note):
    entry = services.exemption_add(teacher=teacher_of(school, family), semester_start=DAY[family], reason="产假",
                                   months=months)
    assert (entry.credits, entry.note) == (expected, gettext(note) if note else "")


# --- the calendar -----------------------------------------------------------------------------------

CALENDAR = [
    # 湖南 三、2: 从当年的1月1日至当年的12月31日完成的培训学分计为当年学分；第一个五年周期2011—2015
    ("hunan", day(2011, 1, 1), 2011, (2011, 2015)),
    ("hunan", day(2015, 12, 31), 2015, (2011, 2015)),
    ("hunan", day(2016, 1, 1), 2016, (2016, 2020)),
    # 甘肃 第三条: 五年一周期（本周期为2011—2015年）
    ("gansu", day(2014, 1, 1), 2014, (2011, 2015)),
    # 陕西 31号: 由当年2月1日至次年1月30日为一个学分登记年度; 五年（2014—2018年）
    ("shaanxi", day(2015, 1, 30), 2014, (2014, 2018)),
    ("shaanxi", day(2015, 1, 31), 2014, (2014, 2018)),   # the text's 30 January read as the end of January
    ("shaanxi", day(2015, 2, 1), 2015, (2014, 2018)),
    ("shaanxi", day(2019, 1, 31), 2018, (2014, 2018)),
    ("shaanxi", day(2019, 2, 1), 2019, (2019, 2023)),
    # 朝阳: “十二五”时期 = 2011–2015
    ("chaoyang", day(2015, 12, 31), 2015, (2011, 2015)),
    # 长沙 三、4: 培训结业证书均以颁发日期确定其有效期 (the day of the record decides its year)
    ("changsha", day(2017, 12, 31), 2017, (2016, 2020)),
]


@pytest.mark.parametrize("family,when,credit_year,cycle", CALENDAR,
                         ids=[f"{family}-{when}" for family, when, _year, _cycle in CALENDAR])
def test_credit_year_and_cycle(school, family, when, credit_year, cycle):
    entry = add(teacher_of(school, family), "online", "province", when, hours=4)[0]
    assert entry.credit_year == credit_year
    assert entry.rule_set.cycle_of(entry.credit_year) == cycle


# --- minimums of the year and the cycle ----------------------------------------------------------------

MINIMUMS = [
    # (family, new teacher, yearly minimum, cycle requirement, 优秀 threshold)
    # 湖南 试行办法第三条 / 实施办法三、1: 每年不少于30学分，五年不少于360学分，新任教师另须150学分；七: 72
    ("hunan", False, D(30), D(360), D(72)),
    ("hunan", True, D(30), D(510), D(72)),
    # 甘肃 第四条: 每年不得少于30学分，累计不得少于360学分；新任教师另需100学时以上
    ("gansu", False, D(30), D(360), None),
    ("gansu", True, D(30), D(460), None),
    # 陕西 31号: 五年须修满不少于360学时120学分 (no yearly minimum in the text)
    ("shaanxi", False, D(0), D(120), None),
    # 朝阳 一: 36学分达标 (no yearly minimum in the text)
    ("chaoyang", False, D(0), D(36), None),
    # 长沙: 72 a year implied by 支教 72学分/年 and 6学分/月 × 12 (not written as a minimum); 5 × 72
    ("changsha", False, D(72), D(360), None),
]


@pytest.mark.parametrize("family,new,annual,cycle,excellent", MINIMUMS,
                         ids=[f"{family}-{'new' if new else 'serving'}" for family, new, *_rest in MINIMUMS])
def test_minimums(school, family, new, annual, cycle, excellent):
    teacher = teacher_of(school, family, is_new_teacher=new)
    totals = services.teacher_totals(teacher, DAY[family].year)
    assert (totals["year_required"], totals["cycle_required"], totals["excellent_minimum"]) == \
        (annual, cycle, excellent)


@pytest.mark.parametrize("hours,allowed", [
    (71, False), ("71.5", False), (72, True), (80, True),   # 湖南 七: 少于72学分者 … 不能评为优秀等第
])
def test_hunan_fewer_than_72_credits_cannot_be_rated_excellent(school, hours, allowed):
    teacher = teacher_of(school, "hunan")
    add(teacher, "concentrated", "county", DAY["hunan"], hours=hours)
    totals = services.teacher_totals(teacher, DAY["hunan"].year)
    assert totals["may_be_rated_excellent"] is allowed


# --- category minimums per cycle -----------------------------------------------------------------------

def progress_of(totals) -> dict:
    return {c.code: (c.earned, c.received, c.missing, c.met) for c in totals["categories"]}


def test_shaanxi_categories_with_the_concentrated_surplus_counted_as_remote(school):
    """31号: 集中培训必修30学分，远程培训选修40学分，校本研修必修50学分；集中培训实际超出部分可冲抵远程培训选修学分."""
    teacher = teacher_of(school, "shaanxi")
    when = day(2015, 5, 10)
    add(teacher, "concentrated", "province", when, hours=90)     # 22.5 units × 2 = 45
    add(teacher, "online", "province", when, hours=60)           # 15 units × 2 = 30
    add(teacher, "school_based", "school", when, hours=640)      # 160 units × 0.25 = 40
    totals = services.teacher_totals(teacher, 2015)
    assert totals["cycle_total"] == D(115)
    assert progress_of(totals) == {
        "concentrated": (D(45), D(0), D(0), True),
        "remote": (D(30), D(10), D(0), True),           # 10 of the 15 beyond 30 make up the 40
        "school_based": (D(40), D(0), D(10), False),
    }
    assert [c.code for c in totals["categories_missing"]] == ["school_based"]
    assert not totals["completes_cycle"]


def test_gansu_needs_30_credits_of_it_training_in_the_cycle(school):
    """第四条: 在五年一周内期信息技术应用能力培训学分不少于30学分."""
    teacher = teacher_of(school, "gansu")
    add(teacher, "concentrated", "city", day(2012, 4, 1), hours=100)                      # 200, not IT
    add(teacher, "concentrated", "city", day(2013, 4, 1), hours=10, category="it")        # 20 of IT
    add(teacher, "online", "any", day(2014, 4, 1), hours=150)                             # 150
    totals = services.teacher_totals(teacher, 2015)
    assert totals["cycle_total"] == D(370) and totals["cycle_missing"] == D(0)
    assert progress_of(totals) == {"it": (D(20), D(0), D(10), False)}
    assert not totals["completes_cycle"]
    add(teacher, "online", "any", day(2015, 4, 1), hours=10, category="it")
    assert services.teacher_totals(teacher, 2015)["completes_cycle"]


def test_chaoyang_categories_and_the_professional_surplus_counted_as_elective(school):
    """一: 公共必修6学分，专业必修不低于10学分，选修课程10学分；自主选修最多不超过2学分，
    也可以用多余的专业必修学分来折抵."""
    teacher = teacher_of(school, "chaoyang")
    add(teacher, "online", "any", day(2012, 3, 1), hours=120, category="public")             # 6
    add(teacher, "concentrated", "any", day(2012, 6, 1), hours=150, category="professional")  # 15
    add(teacher, "concentrated", "any", day(2013, 6, 1), hours=60, category="elective")       # 6
    add(teacher, "teaching_research", "any", day(2013, 9, 1))                                # 1 (elective)
    totals = services.teacher_totals(teacher, 2015)
    assert totals["cycle_total"] == D(28)
    assert progress_of(totals) == {
        "public": (D(6), D(0), D(0), True),
        "professional": (D(15), D(0), D(0), True),
        "elective": (D(7), D(2), D(1), False),          # at most 2 of the 5 beyond 10 count
    }
    assert totals["cycle_missing"] == D(8)              # 36学分达标


def test_an_unknown_category_is_refused(school):
    with pytest.raises(ValidationError):
        add(teacher_of(school, "hunan"), "online", "any", DAY["hunan"], hours=4, category="it")


def test_cycle_close_checks_the_category_minimums(world):
    """准予结业 (湖南 三、1: 五年周期内累计学分达到规定要求的教师准予结业): with category minimums,
    the total alone is not enough (陕西)."""
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "shaanxi"
    world.district.save()
    complete, short = make_teacher(world.school, "齐全"), make_teacher(world.school, "缺远程")
    when = day(2016, 5, 10)
    # (concentrated, remote, school-based hours): 40 + 40 + 50 = 130 and 60 + 0 + 70 = 130 credits
    for teacher, (concentrated, remote, school_based) in ((complete, (80, 80, 800)), (short, (120, 0, 1120))):
        add(teacher, "concentrated", "province", when, hours=concentrated)
        add(teacher, "online", "province", when, hours=remote)
        add(teacher, "school_based", "school", when, hours=school_based)
    from credits import selectors

    report = selectors.school_credits(world.school, 2018)
    rows = {row.teacher: row for row in report.rows}
    assert (rows[complete].cycle_total, rows[short].cycle_total) == (D(130), D(130))
    assert rows[short].meets_cycle and not rows[short].completes_cycle   # remote: 30 of 40 from the surplus
    figures = services.cycle_fingerprint(report.rows)
    with pytest.raises(PermissionDenied):
        services.cycle_close(organisation=world.school, year=2018, user=world.training_officer, figures=figures)
    with pytest.raises(ValidationError):
        services.cycle_close(organisation=world.school, year=2018, user=world.bureau_officer, figures="stale")
    assert not CycleClosure.objects.exists()
    services.cycle_close(organisation=world.school, year=2016, user=world.bureau_officer, figures=figures)
    closures = {c.teacher: c for c in CycleClosure.objects.all()}
    assert closures[complete].passed and closures[complete].missing == ""
    assert not closures[short].passed
    assert closures[short].missing == gettext("%(category)s: %(missing)s missing") % {
        "category": "远程培训", "missing": "10"}
    with pytest.raises(ValidationError):   # once per school and cycle
        services.cycle_close(organisation=world.school, year=2018, user=world.bureau_officer, figures=figures)


# --- the pure rules with the seed's figures, no database ------------------------------------------------

SHAANXI = [Category("concentrated", "集中培训", D(30), surplus_to="remote"), Category("remote", "远程培训", D(40)),
           Category("school_based", "校本研修", D(50))]
CHAOYANG = [Category("public", "公共必修", D(6)),
            Category("professional", "专业必修", D(10), surplus_to="elective", surplus_limit=D(2)),
            Category("elective", "选修课程", D(10))]


@pytest.mark.parametrize("categories,credits,expected", [
    # 陕西: (earned, received, given, missing) per category
    (SHAANXI, {"concentrated": D(30), "remote": D(40), "school_based": D(50)},
     [(30, 0, 0, 0), (40, 0, 0, 0), (50, 0, 0, 0)]),                               # exactly the minimums
    (SHAANXI, {"concentrated": D(70), "remote": D(0), "school_based": D(50)},
     [(70, 0, 40, 0), (0, 40, 0, 0), (50, 0, 0, 0)]),                              # 40 beyond 30 make up remote
    (SHAANXI, {"concentrated": D(50), "remote": D(10), "school_based": D(50)},
     [(50, 0, 20, 0), (10, 20, 0, 10), (50, 0, 0, 0)]),                            # all 20 of the surplus count
    (SHAANXI, {"concentrated": D(25), "remote": D(60), "school_based": D(60)},
     [(25, 0, 0, 5), (60, 0, 0, 0), (60, 0, 0, 0)]),                               # remote never offsets concentrated
    (SHAANXI, {}, [(0, 0, 0, 30), (0, 0, 0, 40), (0, 0, 0, 50)]),
    # 朝阳: the professional surplus counts as elective, at most 2
    (CHAOYANG, {"public": D(6), "professional": D(20), "elective": D(5)},
     [(6, 0, 0, 0), (20, 0, 2, 0), (5, 2, 0, 3)]),
    (CHAOYANG, {"public": D(4), "professional": D(11), "elective": D(9)},
     [(4, 0, 0, 2), (11, 0, 1, 0), (9, 1, 0, 0)]),
])
def test_category_progress(categories, credits, expected):
    progress = rules.category_progress(categories, credits)
    assert [(p.earned, p.received, p.given, p.missing) for p in progress] == \
        [tuple(D(x) for x in row) for row in expected]


@pytest.mark.parametrize("base,percent,bonus", [
    # 长沙 三、2: 上浮20%（四舍五入取整）
    (D(18), D(20), D(4)), (D(13), D(20), D(3)), (D(2), D(20), D(0)), (D("2.5"), D(20), D("0.5")),
    (D(0), D(20), D(0)),
])
def test_percentage_bonus(base, percent, bonus):
    assert rules.bonus_credits(BonusRule(percent=percent), base) == bonus


@pytest.mark.parametrize("total,minimum,allowed", [
    (D(0), D(72), False), (D("71.99"), D(72), False), (D(72), D(72), True), (D(100), D(72), True),
    (D(10), None, None),    # rules without the threshold say nothing
])
def test_excellent_rating_threshold(total, minimum, allowed):
    assert rules.may_be_rated_excellent(total, minimum) is allowed


def test_standing_carries_the_threshold_and_the_categories():
    figures = rules.standing(year=2024, cycle=(2021, 2025), credits_by_year={2024: D(60), 2023: D(400)},
                             minimums=Minimums(annual=D(30), cycle=D(360), excellent_rating=D(72)),
                             is_new_teacher=False, categories=SHAANXI[:1], credits_by_category={"concentrated": D(10)})
    assert figures.below_excellent and figures.meets_cycle and figures.short_category
    assert not figures.completes_cycle


@pytest.mark.parametrize("inputs,credits", [
    ({"per_semester": D(30)}, D(30)),                              # 湖南 五、5
    ({"per_semester": D(30), "semesters": 2}, D(60)),
    ({"per_month": D(6), "months": 5}, D(30)),                     # 长沙 三、6
    ({"per_semester": D(30), "months": 5}, D(0)),
    ({"per_month": D(6)}, D(0)),
])
def test_leave_exemption_rule(inputs, credits):
    assert rules.leave_exemption(**inputs).credits == credits


def test_days_without_hours():
    assert rules.hours_from_days(3, D(6)) == D(18)                 # 长沙 三、2
    assert rules.hours_from_days("0.5", D(6)) == D(3)


@pytest.mark.parametrize("same_content,credits", [
    (None, D(20)), (D(0), D(20)), (D(12), D(8)), (D(20), D(0)), (D(25), D(0)),
])
def test_same_content_counts_once_at_the_highest(same_content, credits):
    # 湖南 五、4: 4 hours 外市州或省级 = 20 credits, against what the same content already got this year
    assert rules.award(4, Conversion(D(5)), same_content=same_content).credits == credits


def test_failed_assessment_gives_nothing_whatever_the_rule():
    result = rules.award(30, Conversion(D(4)), passed=False)
    assert (result.raw, result.credits, result.note) == (D(0), D(0), gettext("Those who fail the assessment get no credits."))


@pytest.mark.django_db(transaction=True)
def test_racing_cycle_confirmations_one_wins():
    """Four bureau officers confirm the same school's cycle at once: one set of closures,
    no error page (PostgreSQL: the school's teachers are locked; SQLite: IMMEDIATE)."""
    import threading

    from django.db import connection
    from django.test import Client

    from accounts.services import user_create
    from tests.factories import make_district

    call_command("loaddata", "credit_rules", verbosity=0)
    world = make_district()
    world.district.credit_rule_family = "shaanxi"
    world.district.save()
    for name in ("甲", "乙", "丙"):
        add(make_teacher(world.school, name), "concentrated", "province", day(2016, 5, 10), hours=240)   # 120
    officers = [world.bureau_officer] + [
        user_create(username=f"bureau{n}", password="x-pass-123", full_name=f"股员{n}", role="bureau_officer",
                    organisation=world.bureau) for n in range(1, 4)]
    from django.urls import reverse

    page = reverse("credits:cycle_close") + f"?organisation={world.school.pk}&year=2018"
    clients = []
    for officer in officers:
        client = Client(raise_request_exception=False)
        client.force_login(officer)
        clients.append(client)
    import re

    figures = re.search(r'name="figures" value="(\w+)"', clients[0].get(page).content.decode()).group(1)
    barrier, results = threading.Barrier(len(clients)), [None] * len(clients)

    def run(index, client):
        try:
            barrier.wait()
            results[index] = client.post(page, {"figures": figures}).status_code
        except Exception as error:  # a 500 or a lock error is a failure, not a refusal
            results[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [302] * len(clients), results
    assert CycleClosure.objects.count() == 3
    assert CycleClosure.objects.values("confirmed_by").distinct().count() == 1
