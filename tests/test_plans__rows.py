"""Table rows edited in one save (issue #13): any number of new rows, deletions and gaps left by rows
removed in the page; the school plan's five blocks at most; no extra empty row once the table has rows."""
import pytest
from django.urls import reverse

from demo.seed import load
from plans.models import Document, PlannedProject
from tests.factories import make_annual_plan, make_school_plan

pytestmark = pytest.mark.django_db


def management(prefix, total, initial=0, max_num=1000):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": str(max_num)}


def project_fields(index, project, **extra):
    prefix = f"projects-{index}-"
    data = {prefix + "sequence": str(project["sequence"]), prefix + "name": project["name"],
            prefix + "headcount_text": "全员" if project.get("all_staff") else str(project["headcount"]),
            prefix + "modes": project["modes"], prefix + "month": str(project["month"]),
            prefix + "location": project["location"]}
    data.update({prefix + key: value for key, value in extra.items()})
    return data


def edit_token(client, document):
    return client.get(reverse("plans:edit", args=[document.pk])).context["editor"].header["edit_token"].value()


def test_fourteen_new_rows_are_saved_in_one_post(world, client_for):
    projects = load("annual_plan_2024")["projects"]
    data = {"doc-title": "建安区2025年教师培训工作计划", "doc-year": "2025", **management("projects", 14)}
    for index, project in enumerate(projects):
        data.update(project_fields(index, project))
    response = client_for(world.training_officer).post(reverse("plans:create", args=["annual_plan"]), data)
    assert response.status_code == 302
    rows = Document.objects.get().annual_plan.projects.order_by("sequence")
    assert [(r.sequence, r.name, r.all_staff, r.month) for r in rows] == [
        (p["sequence"], p["name"], bool(p.get("all_staff")), p["month"]) for p in projects]


def test_deleted_rows_go_new_rows_come_and_gaps_are_skipped_in_one_post(world, client_for):
    document = make_annual_plan(world, projects=4)
    client = client_for(world.training_officer)
    existing = list(document.annual_plan.projects.order_by("sequence"))
    data = {"doc-title": document.title, "doc-year": str(document.year), "doc-edit_token": edit_token(client, document),
            **management("projects", 7, initial=4)}
    for index, row in enumerate(existing):
        data.update(project_fields(index, {
            "sequence": row.sequence, "name": row.name, "headcount": row.headcount, "all_staff": row.all_staff,
            "modes": row.modes, "month": row.month, "location": row.location,
        }, id=str(row.pk), plan=str(document.pk)))
    data["projects-1-DELETE"] = "on"
    data["projects-2-DELETE"] = "on"
    # Form 4 was added and removed in the page: never sent. Forms 5 and 6 are new.
    data.update(project_fields(5, {"sequence": 5, "name": "新增项目甲", "headcount": 30, "modes": ["online"],
                                   "month": 6, "location": "线上"}))
    data.update(project_fields(6, {"sequence": 6, "name": "新增项目乙", "headcount": 40, "modes": ["away"],
                                   "month": 9, "location": "外省"}))
    response = client.post(reverse("plans:edit", args=[document.pk]), data)
    assert response.status_code == 302, response.context and response.context["editor"].rows.errors
    assert list(document.annual_plan.projects.order_by("sequence").values_list("name", flat=True)) == [
        existing[0].name, existing[3].name, "新增项目甲", "新增项目乙"]
    assert not PlannedProject.objects.filter(pk__in=[existing[1].pk, existing[2].pk]).exists()


def test_a_bad_row_among_many_saves_nothing(world, client_for):
    projects = load("annual_plan_2024")["projects"]
    data = {"doc-title": "建安区2025年教师培训工作计划", "doc-year": "2025", **management("projects", 14)}
    for index, project in enumerate(projects):
        data.update(project_fields(index, project))
    data["projects-9-month"] = "13"
    response = client_for(world.training_officer).post(reverse("plans:create", args=["annual_plan"]), data)
    assert response.status_code == 200
    assert not Document.objects.exists() and not PlannedProject.objects.exists()
    html = response.content.decode()
    assert html.count("data-row>") == 14 + 1   # every typed row is shown again, none lost (+ the template)
    assert projects[13]["name"] in html


def test_the_one_empty_row_is_a_spare_the_script_drops(world, client_for):
    """Without JavaScript the page still offers one empty row; with it, rows come from the template."""
    document = make_annual_plan(world, projects=3)
    client = client_for(world.training_officer)
    response = client.get(reverse("plans:edit", args=[document.pk]))
    rows = response.context["editor"].rows
    assert rows.total_form_count() == 4 and [form.is_spare for form in rows.forms] == [False, False, False, True]
    html = response.content.decode()
    assert html.count("data-spare") == 1 and "<template data-empty-row>" in html and "js/rows.js" in html
    # An empty table: its one empty row is to type into, not a spare.
    response = client.get(reverse("plans:create", args=["annual_plan"]))
    assert response.context["editor"].rows.total_form_count() == 1
    assert "data-spare" not in response.content.decode()


def test_school_plan_takes_at_most_five_blocks(world, client_for):
    document = make_school_plan(world, year=2025)
    client = client_for(world.school_officer)
    block = document.school_plan.years.get()
    data = {"doc-title": document.title, "doc-year": "2025", "doc-edit_token": edit_token(client, document),
            "detail-significance": "意义。", "detail-hours_per_teacher": "50",
            **management("years", 6, initial=1, max_num=5),
            "years-0-id": str(block.pk), "years-0-plan": str(document.pk), "years-0-start_year": "2025",
            "years-0-content": "师德", "years-0-forms": "讲座", "years-0-hours": "60"}
    for index in range(1, 6):
        data.update({f"years-{index}-start_year": str(2025 + index), f"years-{index}-content": "内容",
                     f"years-{index}-forms": "讲座", f"years-{index}-hours": "60"})
    response = client.post(reverse("plans:edit", args=[document.pk]), data)
    assert response.status_code == 200 and document.school_plan.years.count() == 1
    data["years-5-DELETE"] = "on"   # five blocks are fine
    response = client.post(reverse("plans:edit", args=[document.pk]), data)
    assert response.status_code == 302
    assert list(document.school_plan.years.values_list("start_year", flat=True)) == [2025, 2026, 2027, 2028, 2029]


def test_the_school_plan_editor_says_how_many_blocks_it_takes(world, client_for):
    """At five blocks the 添加一行 button is disabled by the script; the page says why."""
    from django.utils.translation import gettext

    document = make_school_plan(world, year=2025)
    page = client_for(world.school_officer).get(reverse("plans:edit", args=[document.pk])).content.decode()
    assert 'data-testid="rows-max"' in page
    assert gettext("At most %(max)s rows, one per school year of the plan.") % {"max": 5} in page
