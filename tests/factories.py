"""Plain builders for test data: a district with one user per role."""
from dataclasses import dataclass

from accounts.models import City, District, Organisation, Province, User
from accounts.regions import region_create
from accounts.services import user_create
from plans.models import (
    AnnualPlan, Document, PlannedProject, ProjectProposal, SchoolPlan, SchoolPlanYear,
)

PASSWORD = "test-pass-123"


@dataclass
class DistrictWorld:
    district: District
    bureau: Organisation
    training_school: Organisation
    pool: Organisation
    school: Organisation
    other_school: Organisation
    school_officer: User
    principal: User
    other_school_officer: User
    training_officer: User
    bureau_officer: User
    expert1: User
    expert2: User
    expert3: User
    teacher: User


def make_district(name="建安区", prefix="建教师备", suffix="", city="许昌市") -> DistrictWorld:
    district = District.objects.create(name=name, city=region_create(province="河南省", city=city)[1],
                                       filing_prefix=prefix)

    def org(org_name, kind, stage=""):
        return Organisation.objects.create(district=district, name=org_name, kind=kind, stage=stage)

    bureau = org(f"{name}教育局", "bureau")
    training_school = org(f"{name}教师进修学校", "training_school")
    pool = org(f"{name}评审专家库", "expert_pool")
    school = org(f"{name}实验小学", "school", "primary")
    other_school = org(f"{name}第一初级中学", "school", "junior")

    def user(username, full_name, role, organisation, **extra):
        return user_create(username=username + suffix, password=PASSWORD, full_name=full_name,
                           role=role, organisation=organisation, **extra)

    return DistrictWorld(
        district=district, bureau=bureau, training_school=training_school, pool=pool,
        school=school, other_school=other_school,
        school_officer=user("school_officer", "张晓梅", "school_officer", school),
        principal=user("principal", "杨云武", "principal", school),
        other_school_officer=user("other_officer", "刘建国", "school_officer", other_school),
        training_officer=user("training_officer", "李文静", "training_officer", training_school),
        bureau_officer=user("bureau_officer", "王志强", "bureau_officer", bureau),
        expert1=user("expert1", "赵明", "expert", pool, title="正高级教师", expertise="小学语文"),
        expert2=user("expert2", "钱丽", "expert", pool, title="教研员", expertise="教师培训"),
        expert3=user("expert3", "孙伟", "expert", pool, title="副教授", expertise="教育管理"),
        teacher=user("teacher", "周芳", "teacher", school),
    )


def make_school_plan(world: DistrictWorld, *, school=None, author=None, year=2024, title=None) -> Document:
    school = school or world.school
    author = author or world.school_officer
    document = Document.objects.create(
        kind=Document.Kind.SCHOOL_PLAN, organisation=school, year=year,
        title=title or f"{school.name}{year}学年校本培训计划", created_by=author,
    )
    plan = SchoolPlan.objects.create(
        document=document, significance="提高教师综合素质。", objectives="每位教师每学年不少于50学时。",
        hours_per_teacher=50, group_leader="杨云武（校长）", group_deputies="王顺友", group_members="邓福忠、王振明",
        office="办公室主任由王顺友兼任。", forms=["lecture", "self_study"], topics=["ethics"],
        assessment="累计缺席5个学时以上，不认定当年度学分。", annual_budget="5500.00",
    )
    SchoolPlanYear.objects.create(plan=plan, start_year=year, content="师德师风、现代教育理论", forms="专题讲座式", hours=60)
    return document


def make_annual_plan(world: DistrictWorld, *, year=2024, projects=3) -> Document:
    document = Document.objects.create(
        kind=Document.Kind.ANNUAL_PLAN, organisation=world.training_school, year=year,
        title=f"{world.district.name}{year}年教师培训工作计划", created_by=world.training_officer,
    )
    plan = AnnualPlan.objects.create(
        document=document, guiding_ideology="以提升教师师德水平为核心。", objectives="强化师德、提升能力。",
        target_audience="全区在编在岗教师。", tasks_and_content="共计14个培训项目。",
    )
    for n in range(1, projects + 1):
        PlannedProject.objects.create(
            plan=plan, sequence=n, name=f"培训项目{n}", headcount=None if n == 1 else 50 * n,
            all_staff=n == 1, modes=["concentrated"], month=(n - 1) % 12 + 1, location="进修学校",
        )
    return document


def make_proposal(world: DistrictWorld, *, organisation=None, author=None, year=2024) -> Document:
    organisation = organisation or world.school
    document = Document.objects.create(
        kind=Document.Kind.PROJECT_PROPOSAL, organisation=organisation, year=year,
        title="小学语文学科素养提升培训", created_by=author or world.school_officer,
    )
    ProjectProposal.objects.create(
        document=document, organiser=organisation.name, target_group="小学语文教师", headcount=80,
        modes=["concentrated"], start_month=3, end_month=4, location="本校报告厅", hours=24,
        content_modules=["professional_development"], design="同课异构+专家讲座。", budget="12000.00",
    )
    return document


@dataclass
class RegionWorld:
    """河南省 over 许昌市 and 郑州市: their bureaus, the city's centre and shared expert pool, and one
    officer each (districts are made by make_district(city=...), which files them under these)."""
    province: Province
    city: City
    other_city: City
    province_centre: Organisation
    city_bureau: Organisation
    city_centre: Organisation
    city_pool: Organisation
    other_city_bureau: Organisation
    province_officer: User
    city_officer: User
    other_city_officer: User


def make_region(suffix="") -> RegionWorld:
    province, city = region_create(province="河南省", city="许昌市")
    _province, other_city = region_create(province="河南省", city="郑州市")

    def org(name, kind, **place):
        return Organisation.objects.get_or_create(name=name, kind=kind, **place)[0]

    def user(username, full_name, role, organisation):
        return user_create(username=username + suffix, password=PASSWORD, full_name=full_name,
                           role=role, organisation=organisation)

    province_centre = org("河南省中小学教师继续教育指导中心", "training_centre", province=province)
    city_bureau = org("许昌市教育局", "bureau", city=city)
    other_city_bureau = org("郑州市教育局", "bureau", city=other_city)
    return RegionWorld(
        province=province, city=city, other_city=other_city, province_centre=province_centre,
        city_bureau=city_bureau, city_centre=org("许昌市教师发展中心", "training_centre", city=city),
        city_pool=org("许昌市评审专家库", "expert_pool", city=city), other_city_bureau=other_city_bureau,
        province_officer=user("province_officer", "林国栋", "province_officer", province_centre),
        city_officer=user("city_officer", "孟庆国", "city_officer", city_bureau),
        other_city_officer=user("other_city_officer", "宋雅琴", "city_officer", other_city_bureau),
    )
