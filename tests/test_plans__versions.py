"""Comparing two versions of a document (issue #13: "versions can be read but not compared"): field by
field and row by row, codes read as Chinese labels and months as "11月"; on the document page, the latest
version against the one before by default, any two on request; bad version numbers are a Chinese 400."""
import pytest
from django.template.defaultfilters import yesno
from django.urls import reverse
from django.utils.translation import gettext

from plans.models import (
    AnnualPlan, ContentModule, Document, DocumentVersion, PlannedProject, ProjectProposal, SchoolPlan, SchoolPlanYear,
    SchoolTrainingForm, TrainingMode,
)
from plans.services import document_snapshot
from plans.versions import version_diff
from tests.factories import make_annual_plan, make_proposal, make_school_plan

pytestmark = pytest.mark.django_db


def label(model, name):
    return str(model._meta.get_field(name).verbose_name)


def month(number):
    return gettext("Month %(month)s") % {"month": number}


def annual_snapshot(rows, **detail):
    content = {"title": "建安区2025年教师培训工作计划", "year": 2025,
               "detail": {"guiding_ideology": "以师德为先。", "objectives": "提升能力。", "principles": "",
                          **detail},
               "projects": rows}
    return content


def project(sequence, name, **extra):
    return {"sequence": sequence, "name": name, "headcount": 100, "all_staff": False, "modes": ["concentrated"],
            "month": 4, "location": "进修学校", **extra}


# --- the plain function ------------------------------------------------------------------------------

def test_a_changed_field_shows_old_and_new():
    diff = version_diff("annual_plan", annual_snapshot([]), annual_snapshot([], objectives="强化师德、提升能力。"))
    assert [(c.label, c.old, c.new) for c in diff.fields] == [
        (label(AnnualPlan, "objectives"), "提升能力。", "强化师德、提升能力。")]
    assert diff.tables == [] and diff.has_changes


def test_same_content_has_no_changes():
    content = annual_snapshot([project(1, "骨干教师培训")])
    assert not version_diff("annual_plan", content, content).has_changes


def test_an_added_row():
    old = annual_snapshot([project(1, "骨干教师培训")])
    new = annual_snapshot([project(1, "骨干教师培训"), project(2, "新教师岗前培训", month=8, modes=["online", "away"])])
    (table,) = version_diff("annual_plan", old, new).tables
    assert table.removed == [] and table.changed == []
    ((row, cells),) = table.added
    assert row == f"{label(PlannedProject, 'sequence')} 2"
    cells = dict(cells)
    assert cells[PlannedProject._meta.get_field("name").verbose_name] == "新教师岗前培训"
    assert cells[PlannedProject._meta.get_field("month").verbose_name] == month(8)
    assert cells[PlannedProject._meta.get_field("modes").verbose_name] == "、".join(
        [str(TrainingMode.ONLINE.label), str(TrainingMode.AWAY.label)])


def test_a_removed_row():
    old = annual_snapshot([project(1, "骨干教师培训"), project(2, "师德培训")])
    new = annual_snapshot([project(1, "骨干教师培训")])
    (table,) = version_diff("annual_plan", old, new).tables
    assert table.added == [] and table.changed == []
    assert [(row, dict(cells)[PlannedProject._meta.get_field("name").verbose_name]) for row, cells in table.removed] \
        == [(f"{label(PlannedProject, 'sequence')} 2", "师德培训")]


def test_a_changed_row_lists_its_changed_cells_with_labels_and_months():
    old = annual_snapshot([project(1, "骨干教师培训", month=4, modes=["concentrated"], all_staff=False)])
    new = annual_snapshot([project(1, "骨干教师培训", month=11, modes=["online"], headcount=None, all_staff=True)])
    (table,) = version_diff("annual_plan", old, new).tables
    assert table.added == [] and table.removed == []
    (row,) = table.changed
    assert row.label == f"{label(PlannedProject, 'sequence')} 1"
    changes = {(c.label, c.old, c.new) for c in row.changes}
    assert changes == {
        (label(PlannedProject, "headcount"), "100", "—"),
        (label(PlannedProject, "all_staff"), yesno(False), yesno(True)),
        (label(PlannedProject, "modes"), str(TrainingMode.CONCENTRATED.label), str(TrainingMode.ONLINE.label)),
        (label(PlannedProject, "month"), month(4), month(11)),
    }


def test_school_plan_choices_read_as_labels_and_blocks_are_named_by_school_year():
    def content(forms, hours):
        return {"title": "校本培训计划", "year": 2025, "detail": {"forms": forms, "topics": ["ethics"]},
                "years": [{"start_year": 2025, "content": "师德", "forms": "讲座", "hours": hours}]}
    diff = version_diff("school_plan", content(["lecture"], 50), content(["lecture", "case_study"], 60))
    assert [(c.label, c.old, c.new) for c in diff.fields] == [(
        label(SchoolPlan, "forms"), str(SchoolTrainingForm.LECTURE.label),
        "、".join([str(SchoolTrainingForm.LECTURE.label), str(SchoolTrainingForm.CASE_STUDY.label)]))]
    (table,) = diff.tables
    (row,) = table.changed
    assert row.label == str(SchoolPlanYear(start_year=2025).label)
    assert [(c.label, c.old, c.new) for c in row.changes] == [(label(SchoolPlanYear, "hours"), "50", "60")]
    for text in (str(row.label), *(c.new for c in diff.fields)):
        assert "case_study" not in text and "lecture" not in text


def test_proposal_months_and_modules():
    def content(start, modules):
        return {"title": "小学语文培训", "year": 2025, "detail": {"start_month": start, "end_month": 4,
                                                            "content_modules": modules, "budget": "12000.00"}}
    diff = version_diff("project_proposal", content(3, ["ethics"]), content(4, ["ethics", "mental_health"]))
    assert [(c.label, c.old, c.new) for c in diff.fields] == [
        (label(ProjectProposal, "start_month"), month(3), month(4)),
        (label(ProjectProposal, "content_modules"), str(ContentModule.ETHICS.label),
         "、".join([str(ContentModule.ETHICS.label), str(ContentModule.MENTAL_HEALTH.label)])),
    ]


# --- the document page ------------------------------------------------------------------------------

def freeze(document, user):
    number = document.versions.count() + 1
    return DocumentVersion.objects.create(document=document, number=number, submitted_by=user,
                                          content=document_snapshot(document=document))


@pytest.fixture
def three_versions(world):
    document = make_annual_plan(world, projects=3)
    freeze(document, world.training_officer)
    plan = document.annual_plan
    plan.projects.filter(sequence=2).delete()
    PlannedProject.objects.create(plan=plan, sequence=4, name="新增项目", headcount=30, modes=["online"], month=11)
    freeze(document, world.training_officer)
    AnnualPlan.objects.filter(pk=document.pk).update(objectives="强化师德。")
    document = Document.objects.get(pk=document.pk)
    freeze(document, world.training_officer)
    return document


def page(client, document, **params):
    return client.get(reverse("plans:detail", args=[document.pk]), params)


def compare_card(response):
    html = response.content.decode()
    assert 'data-testid="compare"' in html
    return html.split('data-testid="compare"', 1)[1]


def test_page_compares_the_latest_version_with_the_one_before_by_default(world, client_for, three_versions):
    html = compare_card(page(client_for(world.bureau_officer), three_versions))
    assert gettext("Changes from version %(old)s to version %(new)s") % {"old": 2, "new": 3} in html
    assert "强化师德。" in html and "新增项目" not in html


def test_page_compares_two_chosen_versions_row_by_row(world, client_for, three_versions):
    response = page(client_for(world.bureau_officer), three_versions, old="1", new="2")
    assert response.status_code == 200
    html = compare_card(response)
    assert 'data-change="added"' in html and "新增项目" in html and month(11) in html
    assert 'data-change="removed"' in html and "培训项目2" in html
    assert str(TrainingMode.ONLINE.label) in html and ">online<" not in html


@pytest.mark.parametrize("params", [{"old": "abc", "new": "2"}, {"old": "1", "new": "9"}, {"old": "0", "new": "1"},
                                    {"old": "1"}, {"old": "1", "new": "99999999999999999999"}])
def test_bad_version_numbers_are_a_chinese_400(world, client_for, three_versions, params):
    response = page(client_for(world.bureau_officer), three_versions, **params)
    assert response.status_code == 400
    html = response.content.decode()
    assert any(message in html for message in (
        gettext("This document has no such version."), gettext("A number was expected."),
        gettext("The number is out of range.")))


def test_another_schools_document_is_still_refused(world, client_for):
    document = make_school_plan(world)
    freeze(document, world.school_officer)
    SchoolPlan.objects.filter(pk=document.pk).update(assessment="新的考核办法。")
    freeze(Document.objects.get(pk=document.pk), world.school_officer)
    assert page(client_for(world.school_officer), document, old="1", new="2").status_code == 200
    response = page(client_for(world.other_school_officer), document, old="1", new="2")
    assert response.status_code == 404
    assert "新的考核办法" not in response.content.decode()


def test_one_version_has_nothing_to_compare(world, client_for):
    document = make_proposal(world)
    freeze(document, world.school_officer)
    assert 'data-testid="compare"' not in page(client_for(world.school_officer), document).content.decode()
