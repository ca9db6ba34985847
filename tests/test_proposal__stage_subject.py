"""Issue 13: a project proposal carries 学段 (stage) and 学科 (subject); the
project filed from it carries them too, so the schedule's filters find it."""
import pytest
from django.urls import reverse
from django.utils.translation import gettext

from plans.models import Document, ProjectProposal
from schedule.models import ScheduledProject
from tests.factories import make_annual_plan, make_proposal
from tests.test_forms__bad_input import proposal_data
from tests.test_printing import approve, pdf_of, text_of

pytestmark = pytest.mark.django_db


def test_the_proposal_form_saves_stage_and_subject(world, client_for):
    response = client_for(world.school_officer).post(
        reverse("plans:create", args=["project_proposal"]),
        proposal_data(**{"detail-stage": "primary", "detail-subject": "maths"}))
    assert response.status_code == 302
    proposal = ProjectProposal.objects.get()
    assert (proposal.stage, proposal.subject) == ("primary", "maths")
    page = client_for(world.school_officer).get(reverse("plans:detail", args=[proposal.pk])).content.decode()
    assert gettext("Primary school") in page and gettext("Mathematics") in page


def test_empty_stage_and_subject_mean_every_stage_and_subject(world, client_for):
    response = client_for(world.school_officer).post(reverse("plans:create", args=["project_proposal"]),
                                                     proposal_data())
    assert response.status_code == 302
    proposal = ProjectProposal.objects.get()
    assert (proposal.stage, proposal.subject) == ("", "")
    page = client_for(world.school_officer).get(reverse("plans:detail", args=[proposal.pk])).content.decode()
    assert gettext("Every stage") in page and gettext("Every subject") in page


@pytest.mark.parametrize("field,value", [("detail-stage", "college"), ("detail-subject", "alchemy"),
                                         ("detail-subject", "x" * 500)])
def test_an_unknown_stage_or_subject_is_a_form_error_and_saves_nothing(world, client_for, field, value):
    response = client_for(world.school_officer).post(reverse("plans:create", args=["project_proposal"]),
                                                     proposal_data(**{field: value}))
    assert response.status_code == 200
    assert not Document.objects.exists()


def _with(document, **fields):
    ProjectProposal.objects.filter(document=document).update(**fields)
    return document


def test_the_filed_project_carries_them_and_the_pdf_prints_them(world, client_for):
    document = approve(world, client_for, _with(make_proposal(world), stage="primary", subject="chinese"),
                       "建教师备〔2024〕30号")
    project = ScheduledProject.objects.get(source=document)
    assert (project.stage, project.subject) == ("primary", "chinese")
    text = text_of(pdf_of(client_for(world.school_officer).get(reverse("printing:pdf", args=[document.pk]))))
    assert gettext("Primary school") in text and gettext("Chinese") in text
    page = client_for(world.school_officer).get(reverse("schedule:project", args=[project.pk])).content.decode()
    assert gettext("Chinese") in page


def test_a_training_school_proposal_for_every_stage_stays_every_stage(world, client_for):
    document = make_proposal(world, organisation=world.training_school, author=world.training_officer)
    approve(world, client_for, document, "建教师备〔2024〕31号")
    project = ScheduledProject.objects.get(source=document)
    assert (project.stage, project.subject, project.open_to) == ("", "", None)


def test_the_schedule_filters_find_proposals_by_stage_and_subject(world, client_for):
    approve(world, client_for, make_annual_plan(world, projects=2), "建教师备〔2024〕32号")
    maths = make_proposal(world, organisation=world.training_school, author=world.training_officer)
    Document.objects.filter(pk=maths.pk).update(title="初中数学单元教学设计培训")
    approve(world, client_for, _with(maths, stage="junior", subject="maths"), "建教师备〔2024〕33号")
    chinese = approve(world, client_for, _with(make_proposal(world), stage="primary", subject="chinese"),
                      "建教师备〔2024〕34号")
    bureau = client_for(world.bureau_officer)

    def names(**query):
        response = bureau.get(reverse("schedule:index"), {"year": 2024, **query})
        assert response.status_code == 200
        page = response.content.decode()
        return {p.name for p in ScheduledProject.objects.all() if f">{p.name}<" in page}

    every = {"培训项目1", "培训项目2"}  # the annual plan's rows are for every stage and subject
    assert names(subject="maths") == every | {"初中数学单元教学设计培训"}
    assert names(subject="chinese") == every | {chinese.title}
    assert names(stage="junior", subject="maths") == every | {"初中数学单元教学设计培训"}
    assert names(stage="primary", subject="maths") == every


@pytest.mark.parametrize("query", [{"subject": "alchemy"}, {"stage": "college"}, {"subject": "x" * 300}])
def test_a_bad_schedule_filter_is_a_form_error_not_a_crash(world, client_for, query):
    response = client_for(world.bureau_officer).get(reverse("schedule:index"), {"year": 2024, **query})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["projects"] == []


def test_a_schools_own_project_stays_visible_to_it_whatever_its_stage(world, client_for):
    # 实验小学 (primary) proposes a project for its junior-stage teachers: still its own.
    document = approve(world, client_for, _with(make_proposal(world), stage="junior"), "建教师备〔2024〕35号")
    project = ScheduledProject.objects.get(source=document)
    assert project.stage == "junior"
    assert client_for(world.school_officer).get(reverse("schedule:project", args=[project.pk])).status_code == 200
    assert client_for(world.teacher).get(reverse("schedule:project", args=[project.pk])).status_code == 200
    assert client_for(world.other_school_officer).get(
        reverse("schedule:project", args=[project.pk])).status_code == 404


def test_a_nine_year_school_sees_primary_and_junior_projects(world, client_for):
    from accounts.models import Organisation
    from accounts.services import user_create

    nine = Organisation.objects.create(district=world.district, name="九年一贯制学校", kind="school", stage="nine_year")
    officer = user_create(username="nine_officer", password="pass-12345-x", full_name="韩梅", role="school_officer",
                          organisation=nine)
    junior = make_proposal(world, organisation=world.training_school, author=world.training_officer)
    approve(world, client_for, _with(junior, stage="junior"), "建教师备〔2024〕36号")
    senior = make_proposal(world, organisation=world.training_school, author=world.training_officer)
    approve(world, client_for, _with(senior, stage="senior"), "建教师备〔2024〕37号")
    client = client_for(officer)
    assert client.get(reverse("schedule:project", args=[ScheduledProject.objects.get(source=junior).pk])
                      ).status_code == 200
    assert client.get(reverse("schedule:project", args=[ScheduledProject.objects.get(source=senior).pk])
                      ).status_code == 404
