"""Issue #15, city and province projects with quotas, and shared expert pools.

A city's training centre writes the city's plan and projects; the city bureau does the
initial review and files them (许昌市教师备〔year〕n号), experts of the city's shared pool
review them. A filed city project gives districts places, each district's bureau shares
them among its schools, and a school nominates within its places and its district's.
The city's shared pool is offered to the initial reviewers of every district of the city,
never to another city's.
"""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import user_create
from attendance import quotas, services
from attendance.models import Enrolment
from plans.models import Document
from schedule.models import DistrictQuota, ScheduledProject, SchoolQuota
from tests.attendance_helpers import make_teacher
from tests.factories import PASSWORD, make_district, make_proposal, make_region, make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, open_task, open_tasks, submit, task_url
from workflow import services as workflow_services
from workflow.models import ReviewRoute, TrailEntry

pytestmark = pytest.mark.django_db


class Chain:
    """河南省 · 许昌市 (建安区, 魏都区) and 郑州市 (金水区), the city's centre officer and a city pool expert."""

    def __init__(self):
        self.region = make_region()
        self.jianan = make_district()
        self.weidu = make_district("魏都区", "魏教师备", suffix="_wd")
        self.jinshui = make_district("金水区", "金教师备", suffix="_js", city="郑州市")
        self.centre_officer = user_create(username="city_centre", password=PASSWORD, full_name="范思源",
                                          role="city_officer", organisation=self.region.city_centre)
        self.city_expert = user_create(username="city_expert", password=PASSWORD, full_name="许专家",
                                       role="expert", organisation=self.region.city_pool, title="正高级教师")


@pytest.fixture
def chain():
    return Chain()


def _status(document):
    document.refresh_from_db()
    return document.status


def city_proposal(chain, headcount=10):
    document = make_proposal(None, organisation=chain.region.city_centre, author=chain.centre_officer)
    document.project_proposal.headcount = headcount
    document.project_proposal.save()
    return document


def file_city_project(chain, client_for, headcount=10) -> ScheduledProject:
    document = city_proposal(chain, headcount)
    assert submit(client_for(chain.centre_officer), document).status_code == 302
    claim_and_decide(client_for(chain.region.city_officer), document, "initial_review",
                     {"decision": "approve", "experts": [chain.city_expert.pk], "comment": ""})
    assert expert_answer(client_for(chain.city_expert), document, chain.city_expert, "agree").status_code == 302
    filing = open_task(document, "filing")
    bureau = client_for(chain.region.city_officer)
    bureau.post(task_url(filing, "assign"))
    number = workflow_services.filing_number_suggest(document=document)
    response = bureau.post(task_url(filing, "execute"), {"decision": "approve", "filing_number": number})
    assert response.status_code == 302
    return ScheduledProject.objects.get(source=document)


# --- 1: the city's plan and projects through the review flow ---------------------------------------

def test_city_proposal_through_return_resubmit_experts_and_filing(chain, client_for):
    document = city_proposal(chain)
    centre = client_for(chain.centre_officer)
    assert centre.get(reverse("plans:detail", args=[document.pk])).status_code == 200
    assert submit(centre, document).status_code == 302
    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert document.organisation.district_id is None

    # 初审 by the city bureau: return, then the centre resubmits.
    bureau = client_for(chain.region.city_officer)
    response = claim_and_decide(bureau, document, "initial_review", {"decision": "return", "comment": "请补充预算。"})
    assert response.status_code == 302
    assert _status(document) == Document.Status.RETURNED
    revise = open_task(document, "revise")
    assert revise.owner == chain.centre_officer
    assert centre.post(task_url(revise, "execute"), {"comment": "已补充。"}).status_code == 302
    assert _status(document) == Document.Status.INITIAL_REVIEW and document.version == 2

    # Approved to an expert of the city's shared pool.
    response = claim_and_decide(bureau, document, "initial_review",
                                {"decision": "approve", "experts": [chain.city_expert.pk], "comment": ""})
    assert response.status_code == 302, response.content.decode()[:1500]
    assert _status(document) == Document.Status.EXPERT_REVIEW
    expert = client_for(chain.city_expert)
    assert expert.get(reverse("plans:detail", args=[document.pk])).status_code == 200
    assert expert_answer(expert, document, chain.city_expert, "agree").status_code == 302
    assert _status(document) == Document.Status.FILING

    # 备案 by the city bureau: the number carries the city's prefix.
    filing = open_task(document, "filing")
    assert bureau.post(task_url(filing, "assign")).status_code == 302
    year = timezone.localdate().year
    assert f"许昌市教师备〔{year}〕1号" in bureau.get(task_url(filing, "execute")).content.decode()
    response = bureau.post(task_url(filing, "execute"),
                           {"decision": "approve", "filing_number": f"许昌市教师备〔{year}〕1号"})
    assert response.status_code == 302
    assert _status(document) == Document.Status.APPROVED
    trail = TrailEntry.objects.filter(document=document).exclude(decision__in=["claim", "release"])
    assert list(trail.values_list("step", "actor__username")) == [
        ("submit", "city_centre"), ("initial_review", "city_officer"), ("revise", "city_centre"),
        ("initial_review", "city_officer"), ("expert_review", "city_expert"), ("filing", "city_officer")]

    # The schedule: a project of the city, in no district.
    project = ScheduledProject.objects.get(source=document)
    assert project.district_id is None and project.organiser == chain.region.city_centre
    # The printed document names the city's bureau as the filer.
    printed = bureau.get(reverse("printing:preview", args=[document.pk]))
    assert printed.status_code == 200
    assert "许昌市" + gettext("Education Bureau filing (seal)") in printed.content.decode()


def test_city_annual_plan_without_experts_on_a_city_route(chain, client_for):
    ReviewRoute.objects.create(city=chain.region.city, kind=Document.Kind.ANNUAL_PLAN, expert_review=False)
    from tests.factories import make_annual_plan

    class _World:  # make_annual_plan writes for a training school; here the city's centre
        district = chain.region.city
        training_school = chain.region.city_centre
        training_officer = chain.centre_officer

    document = make_annual_plan(_World, projects=2)
    assert submit(client_for(chain.centre_officer), document).status_code == 302
    response = claim_and_decide(client_for(chain.region.city_officer), document, "initial_review",
                                {"decision": "approve", "comment": ""})
    assert response.status_code == 302
    assert _status(document) == Document.Status.FILING  # the city's route skips the experts
    filing = open_task(document, "filing")
    bureau = client_for(chain.region.city_officer)
    bureau.post(task_url(filing, "assign"))
    bureau.post(task_url(filing, "execute"), {
        "decision": "approve", "filing_number": workflow_services.filing_number_suggest(document=document)})
    assert _status(document) == Document.Status.APPROVED
    assert ScheduledProject.objects.filter(source=document, district__isnull=True).count() == 2


def test_permission_boundaries_of_the_city_documents(chain, client_for):
    document = city_proposal(chain)
    detail = reverse("plans:detail", args=[document.pk])
    # District staff and the other city's officer do not see the city's drafts; nobody but the
    # centre's officers edits them; the city bureau officer reads them.
    for user in (chain.jianan.bureau_officer, chain.jianan.training_officer, chain.jianan.school_officer,
                 chain.region.other_city_officer, chain.jinshui.bureau_officer):
        assert client_for(user).get(detail).status_code in (403, 404), user
        assert not user.has_perm("plans.change_document", document)
    assert client_for(chain.region.city_officer).get(detail).status_code == 200
    assert not chain.region.city_officer.has_perm("plans.change_document", document)
    assert chain.centre_officer.has_perm("plans.change_document", document)
    # The centre's officer writes only its own level's documents, never a district's.
    district_plan = make_school_plan(chain.jianan)
    assert not chain.centre_officer.has_perm("plans.change_document", district_plan)
    assert client_for(chain.centre_officer).get(reverse("plans:detail", args=[district_plan.pk])).status_code == 200

    assert submit(client_for(chain.centre_officer), document).status_code == 302
    task = open_task(document, "initial_review")
    # Only the city's bureau claims the city's initial review.
    for user in (chain.centre_officer, chain.region.other_city_officer, chain.jianan.bureau_officer,
                 chain.region.province_officer):
        client_for(user).post(task_url(task, "assign"))
        task.refresh_from_db()
        assert task.owner_id is None, user
    assert client_for(chain.region.city_officer).post(task_url(task, "assign")).status_code == 302
    # The city bureau officer is no reviewer of a district's documents.
    school_plan = make_school_plan(chain.jianan, year=2025)
    assert submit(client_for(chain.jianan.school_officer), school_plan).status_code == 302
    district_task = open_task(school_plan, "initial_review")
    client_for(chain.region.city_officer).post(task_url(district_task, "assign"))
    district_task.refresh_from_db()
    assert district_task.owner_id is None


# --- 4: the city's shared expert pool ----------------------------------------------------------------

@pytest.mark.parametrize("district", ["jianan", "weidu"])
def test_city_pool_experts_are_assignable_by_every_district_of_the_city(chain, client_for, district):
    world = getattr(chain, district)
    document = make_school_plan(world)
    assert submit(client_for(world.school_officer), document).status_code == 302
    trainer = client_for(world.training_officer)
    task = open_task(document, "initial_review")
    trainer.post(task_url(task, "assign"))
    page = trainer.get(task_url(task, "execute")).content.decode()
    assert "许专家" in page
    response = trainer.post(task_url(task, "execute"), {
        "decision": "approve", "experts": [chain.city_expert.pk, world.expert1.pk], "comment": ""})
    assert response.status_code == 302
    assert set(open_tasks(document, "expert_review").values_list("owner_id", flat=True)) == {
        chain.city_expert.pk, world.expert1.pk}
    # The city expert gives an opinion; the district's expert still sees none of it (independence).
    assert expert_answer(client_for(chain.city_expert), document, chain.city_expert, "agree").status_code == 302
    page = client_for(world.expert1).get(reverse("plans:detail", args=[document.pk])).content.decode()
    assert "内容完整，可行。" not in page


def test_another_citys_district_may_not_assign_the_city_pool(chain, client_for):
    world = chain.jinshui
    document = make_school_plan(world)
    assert submit(client_for(world.school_officer), document).status_code == 302
    trainer = client_for(world.training_officer)
    task = open_task(document, "initial_review")
    trainer.post(task_url(task, "assign"))
    assert "许专家" not in trainer.get(task_url(task, "execute")).content.decode()
    before = TrailEntry.objects.count()
    response = trainer.post(task_url(task, "execute"), {
        "decision": "approve", "experts": [chain.city_expert.pk], "comment": ""})
    assert response.status_code == 200  # the form again, with an error
    assert response.context["form"].errors["experts"]
    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert TrailEntry.objects.count() == before
    # The service refuses too (a batch, a script), with the pool's message.
    assert not workflow_services.expert_pool(document=document).filter(pk=chain.city_expert.pk).exists()


def test_service_refuses_an_expert_outside_the_pools(chain):
    from workflow.flows import ReviewFlow
    from workflow.submission import document_submit

    world = chain.jinshui
    document = make_school_plan(world)
    document_submit(document=document, user=world.school_officer)
    task = open_task(document, "initial_review")
    with pytest.raises(ValidationError) as error:
        workflow_services.task_perform(task=task, user=world.training_officer,
                                       decide=workflow_services.initial_review_decide,
                                       decision="approve", experts=[chain.city_expert])
    assert error.value.message_dict["experts"] == [gettext(workflow_services.ERROR_EXPERT_NOT_IN_POOL)]
    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert ReviewFlow  # the flow is loaded


# --- 2: quotas per district and per school -------------------------------------------------------------

def test_quotas_per_district_then_school_and_nominations_within_them(chain, client_for):
    project = file_city_project(chain, client_for, headcount=10)
    places_url = reverse("attendance:quotas", args=[project.pk])
    organiser = client_for(chain.centre_officer)
    jianan, weidu = chain.jianan.district, chain.weidu.district

    # Too many places for the headcount: nothing saved, both numbers told.
    response = organiser.post(places_url, {"districts": "1", f"district_{jianan.pk}": 8,
                                           f"district_{weidu.pk}": 5})
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        gettext(quotas.ERROR_OVER_HEADCOUNT) % {"total": 13, "headcount": 10}]
    assert not DistrictQuota.objects.exists()
    # Another city's district is refused.
    response = organiser.post(places_url, {"districts": "1", f"district_{chain.jinshui.district.pk}": 2})
    assert [str(m) for m in response.context["messages"]] == [gettext(quotas.ERROR_DISTRICT_OUTSIDE)]
    assert not DistrictQuota.objects.exists()
    response = organiser.post(places_url, {"districts": "1", f"district_{jianan.pk}": 3, f"district_{weidu.pk}": 2})
    assert response.status_code == 302
    assert dict(DistrictQuota.objects.values_list("district__name", "places")) == {"建安区": 3, "魏都区": 2}
    # A bad number is a 400, not a 500.
    assert organiser.post(places_url, {"districts": "1", f"district_{jianan.pk}": "x"}).status_code == 400

    # Only the organiser sets district places; only a district's bureau with places splits them.
    for user in (chain.region.city_officer, chain.jianan.bureau_officer, chain.region.other_city_officer):
        client_for(user).post(places_url, {"districts": "1", f"district_{jianan.pk}": 9})
    assert DistrictQuota.objects.get(district=jianan).places == 3
    with pytest.raises(PermissionDenied):
        quotas.school_quotas_set(project=project, user=chain.jinshui.bureau_officer,
                                 places={chain.jinshui.school.pk: 1})

    bureau = client_for(chain.jianan.bureau_officer)
    assert bureau.get(places_url).status_code == 200
    school, other_school = chain.jianan.school, chain.jianan.other_school
    response = bureau.post(places_url, {"schools": "1", f"school_{school.pk}": 3, f"school_{other_school.pk}": 1})
    assert [str(m) for m in response.context["messages"]] == [
        gettext(quotas.ERROR_SPLIT_OVER) % {"total": 4, "places": 3}]
    assert not SchoolQuota.objects.exists()
    # 魏都区's bureau cannot give 建安区's schools places.
    response = client_for(chain.weidu.bureau_officer).post(places_url, {"schools": "1", f"school_{school.pk}": 1})
    assert [str(m) for m in response.context["messages"]] == [gettext(quotas.ERROR_SCHOOL_OUTSIDE)]
    assert bureau.post(places_url, {"schools": "1", f"school_{school.pk}": 2}).status_code == 302
    assert dict(SchoolQuota.objects.values_list("school__name", "places")) == {school.name: 2}

    # The district's places cannot fall below what it shared.
    response = organiser.post(places_url, {"districts": "1", f"district_{jianan.pk}": 1})
    assert [str(m) for m in response.context["messages"]] == [
        gettext(quotas.ERROR_BELOW_SPLIT) % {"district": "建安区", "split": 2, "places": 1}]
    assert DistrictQuota.objects.get(district=jianan).places == 3

    # Nominations: within the school's places; beyond them refused whole, with both numbers.
    officer = client_for(chain.jianan.school_officer)
    project_url = reverse("attendance:project", args=[project.pk])
    teachers = [make_teacher(school, name) for name in ("甲", "乙", "丙")]
    response = officer.post(project_url, {"nominate": "1", "teachers": [t.pk for t in teachers]})
    assert response.status_code == 200
    assert gettext(quotas.ERROR_QUOTA_FULL) % {
        "school_left": 2, "school_places": 2, "district_left": 3, "district_places": 3, "chosen": 3,
    } in [str(m) for m in response.context["messages"]]
    assert not Enrolment.objects.exists()
    assert officer.post(project_url, {"nominate": "1", "teachers": [teachers[0].pk]}).status_code == 302
    assert officer.post(project_url, {"nominate": "1", "teachers": [teachers[1].pk]}).status_code == 302
    with pytest.raises(ValidationError) as error:
        services.enrolment_nominate(project=project, teacher=teachers[2], user=chain.jianan.school_officer)
    assert error.value.messages == [gettext(quotas.ERROR_QUOTA_FULL) % {
        "school_left": 0, "school_places": 2, "district_left": 1, "district_places": 3, "chosen": 1}]
    assert Enrolment.objects.count() == 2
    # Nor may the school's places fall below its nominations.
    with pytest.raises(ValidationError):
        quotas.school_quotas_set(project=project, user=chain.jianan.bureau_officer, places={school.pk: 1})
    assert SchoolQuota.objects.get(school=school).places == 2

    # A school without places cannot nominate at all.
    stranger = make_teacher(other_school, "丁")
    with pytest.raises(ValidationError) as error:
        services.enrolment_nominate(project=project, teacher=stranger, user=chain.jianan.other_school_officer)
    assert error.value.messages == [gettext(services.ERROR_NOT_OPEN_TO_SCHOOL)]

    # A district's staff see their own district's nominations only; the city's officers all of them.
    page = client_for(chain.weidu.bureau_officer).get(project_url).content.decode()
    assert "甲" not in page and "乙" not in page
    assert "甲" in bureau.get(project_url).content.decode()
    assert "甲" in client_for(chain.region.city_officer).get(project_url).content.decode()

    # The organiser confirms the nominations as for any project.
    ids = list(Enrolment.objects.values_list("pk", flat=True))
    assert organiser.post(project_url, {"confirm_selected": "1", "enrolments": ids}).status_code == 302
    assert set(Enrolment.objects.values_list("status", flat=True)) == {"confirmed"}


def test_the_district_quota_bounds_the_schools_nominations(chain, client_for):
    """Places shared, then the district's taken back down: the district's number refuses."""
    project = file_city_project(chain, client_for)
    quotas.district_quotas_set(project=project, user=chain.centre_officer, places={chain.jianan.district.pk: 2})
    quotas.school_quotas_set(project=project, user=chain.jianan.bureau_officer,
                             places={chain.jianan.school.pk: 1, chain.jianan.other_school.pk: 1})
    services.enrolment_nominate(project=project, teacher=make_teacher(chain.jianan.school, "甲"),
                                user=chain.jianan.school_officer)
    # A quota row edited outside the services (the admin) cannot lift the district's bound.
    SchoolQuota.objects.filter(school=chain.jianan.school).update(places=5)
    DistrictQuota.objects.filter(district=chain.jianan.district).update(places=1)
    with pytest.raises(ValidationError) as error:
        services.enrolment_nominate(project=project, teacher=make_teacher(chain.jianan.school, "乙"),
                                    user=chain.jianan.school_officer)
    assert error.value.messages == [gettext(quotas.ERROR_QUOTA_FULL) % {
        "school_left": 4, "school_places": 5, "district_left": 0, "district_places": 1, "chosen": 1}]


# --- 3: the school's schedule shows every project open to it ---------------------------------------------

def test_school_schedule_lists_the_city_project_only_for_schools_with_places(chain, client_for):
    project = file_city_project(chain, client_for)
    year = project.year
    schedule = reverse("schedule:index") + f"?year={year}"

    def listed(user):
        return project.name in client_for(user).get(schedule).content.decode()

    def may_open(user):
        return client_for(user).get(reverse("attendance:project", args=[project.pk])).status_code == 200

    everyone = [chain.jianan.school_officer, chain.jianan.other_school_officer, chain.weidu.school_officer,
                chain.jinshui.school_officer, chain.jianan.teacher]
    assert not any(listed(u) for u in everyone)  # filed, but no places yet
    assert not listed(chain.jianan.bureau_officer)
    quotas.district_quotas_set(project=project, user=chain.centre_officer, places={chain.jianan.district.pk: 3})
    assert listed(chain.jianan.bureau_officer) and not listed(chain.weidu.bureau_officer)
    assert not any(listed(u) for u in everyone)
    quotas.school_quotas_set(project=project, user=chain.jianan.bureau_officer, places={chain.jianan.school.pk: 2})
    assert listed(chain.jianan.school_officer) and listed(chain.jianan.teacher) and may_open(chain.jianan.school_officer)
    for user in (chain.jianan.other_school_officer, chain.weidu.school_officer, chain.jinshui.school_officer):
        assert not listed(user) and not may_open(user), user
    # The organiser filter offers the city's centre to the school, and filters by it; a city officer's
    # filter names no other city's organisations.
    response = client_for(chain.jianan.school_officer).get(schedule + f"&organiser={chain.region.city_centre.pk}")
    assert response.status_code == 200 and project.name in response.content.decode()
    page = client_for(chain.region.city_officer).get(schedule).content.decode()
    assert "许昌市教师发展中心" in page and "郑州市教育局" not in page
    # The city's officers see their own project; the other city's do not.
    assert listed(chain.centre_officer) and listed(chain.region.city_officer) and listed(chain.region.province_officer)
    assert not listed(chain.region.other_city_officer)


def test_school_schedule_queries_do_not_grow_with_city_projects(chain, client_for):
    first = file_city_project(chain, client_for)
    quotas.district_quotas_set(project=first, user=chain.centre_officer, places={chain.jianan.district.pk: 3})
    quotas.school_quotas_set(project=first, user=chain.jianan.bureau_officer, places={chain.jianan.school.pk: 2})
    client = client_for(chain.jianan.school_officer)
    url = reverse("schedule:index") + f"?year={first.year}"
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(3):
        extra = ScheduledProject.objects.create(
            district=None, source=first.source, sequence=10 + n, year=first.year, name=f"市级项目{n}",
            organiser=first.organiser, headcount=10, modes=["concentrated"], start_month=5, end_month=5)
        DistrictQuota.objects.create(project=extra, district=chain.jianan.district, places=3)
        SchoolQuota.objects.create(project=extra, school=chain.jianan.school, places=1)
    with CaptureQueriesContext(connection) as four:
        response = client.get(url)
    assert "市级项目2" in response.content.decode()
    assert len(four) == len(one)


def test_regional_officers_are_authors_only_at_a_training_centre(chain):
    assert chain.centre_officer.is_regional_author and chain.centre_officer.writes_documents
    assert not chain.centre_officer.is_author and not chain.centre_officer.is_district_reviewer
    assert not chain.region.city_officer.writes_documents
    assert chain.region.city_officer.has_perm("accounts.file_document", chain.region.city_bureau)
    assert not chain.centre_officer.has_perm("accounts.review_initial", chain.region.city_centre)
    assert not User.objects.get(pk=chain.region.city_officer.pk).has_perm(
        "accounts.file_document", chain.jianan.bureau)


# --- 5: the demo's city project ---------------------------------------------------------------------------

def test_demo_city_project_is_filed_with_places_shared_and_one_nomination(client):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    project = ScheduledProject.objects.get(organiser__name="许昌市教师发展中心")
    assert project.district_id is None and project.source.status == Document.Status.APPROVED
    assert project.source.filing_number.startswith("许昌市教师备〔")
    assert dict(project.district_quotas.values_list("district__name", "places")) == {"建安区": 3, "魏都区": 2}
    assert dict(project.school_quotas.values_list("school__name", "places")) == {
        "建安区实验小学": 2, "建安区第一初级中学": 1, "魏都区实验小学": 2}
    assert list(project.enrolments.values_list("teacher__name", "status")) == [("周建军", "nominated")]
    url = reverse("schedule:index") + f"?year={project.year}"
    for username, sees in (("shiyan_zhuangan", True), ("jiaoyuju_gu", True), ("weidu_jiaoyuju", True),
                           ("shi_xuchang", True), ("jinshui_jiaoyuju", False), ("shi_zhengzhou", False),
                           ("sanzhong_zhuangan", False)):
        client.force_login(User.objects.get(username=username))
        assert (project.name in client.get(url).content.decode()) is sees, username


def test_province_project_is_filed_by_the_province_and_open_to_every_city(chain, client_for):
    """The province's centre writes, the province's bureau files (河南省教师备), and its places may go
    to the districts of every city of the province."""
    from accounts.models import Organisation

    province_bureau = Organisation.objects.create(name="河南省教育厅", kind="bureau", province=chain.region.province)
    filer = user_create(username="province_bureau", password=PASSWORD, full_name="省厅", role="province_officer",
                        organisation=province_bureau)
    author = chain.region.province_officer  # of the province's training centre
    ReviewRoute.objects.create(province=chain.region.province, kind=Document.Kind.PROJECT_PROPOSAL,
                               expert_review=False)
    document = make_proposal(None, organisation=chain.region.province_centre, author=author)
    assert submit(client_for(author), document).status_code == 302
    # Not the city's bureau: the province's.
    task = open_task(document, "initial_review")
    client_for(chain.region.city_officer).post(task_url(task, "assign"))
    task.refresh_from_db()
    assert task.owner_id is None
    assert claim_and_decide(client_for(filer), document, "initial_review",
                            {"decision": "approve", "comment": ""}).status_code == 302
    filing = open_task(document, "filing")
    client = client_for(filer)
    client.post(task_url(filing, "assign"))
    number = workflow_services.filing_number_suggest(document=document)
    assert number == f"河南省教师备〔{timezone.localdate().year}〕1号"
    assert client.post(task_url(filing, "execute"), {"decision": "approve", "filing_number": number}).status_code == 302
    project = ScheduledProject.objects.get(source=document)
    quotas.district_quotas_set(project=project, user=author, places={
        chain.jianan.district.pk: 10, chain.jinshui.district.pk: 10})
    assert set(project.district_quotas.values_list("district__name", flat=True)) == {"建安区", "金水区"}
    # A city's centre officer is no organiser of the province's project.
    with pytest.raises(PermissionDenied):
        quotas.district_quotas_set(project=project, user=chain.centre_officer, places={chain.weidu.district.pk: 1})


def test_city_routes_are_kept_by_the_superuser_not_by_a_district_bureau(chain, client_for):
    from accounts.models import User as Account

    url = reverse("admin:workflow_reviewroute_add")
    bureau = client_for(chain.jianan.bureau_officer)
    form = bureau.get(url).content.decode()
    assert 'name="city"' not in form and 'name="province"' not in form
    # A route without a district (a city's, by the back door) is refused.
    response = bureau.post(url, {"kind": "project_proposal", "expert_review": "on", "city": chain.region.city.pk})
    assert response.status_code == 200
    assert not ReviewRoute.objects.exists()
    root = Account.objects.create_superuser("root", password=PASSWORD)
    response = client_for(root).post(url, {"city": chain.region.city.pk, "kind": "project_proposal"})
    assert response.status_code == 302
    assert ReviewRoute.objects.get().city == chain.region.city
    # Two places at once: the form error, not a 500.
    response = client_for(root).post(url, {"city": chain.region.city.pk, "district": chain.jianan.district.pk,
                                           "kind": "annual_plan"})
    assert response.status_code == 200 and ReviewRoute.objects.count() == 1


def test_the_city_bureau_cancels_the_city_project_and_no_district_bureau_does(chain, client_for):
    from schedule import services as schedule_services

    project = file_city_project(chain, client_for)
    quotas.district_quotas_set(project=project, user=chain.centre_officer, places={chain.jianan.district.pk: 3})
    for user in (chain.jianan.bureau_officer, chain.region.other_city_officer, chain.centre_officer):
        assert not schedule_services.may_cancel(user, project), user
        with pytest.raises(PermissionDenied):
            schedule_services.project_cancel(project=project, user=user, reason="经费未落实。")
    project.refresh_from_db()
    assert project.status == ScheduledProject.Status.SCHEDULED
    schedule_services.project_cancel(project=project, user=chain.region.city_officer, reason="经费未落实。")
    project.refresh_from_db()
    assert project.status == ScheduledProject.Status.CANCELLED
