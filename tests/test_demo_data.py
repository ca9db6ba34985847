import math

import pytest
from django.core.management import call_command

from accounts.models import User
from plans.models import Document
from schedule.models import ProjectLogEntry, ScheduledProject, SpotCheck
from workflow.selectors import task_queue

pytestmark = pytest.mark.django_db


def test_demo_district_has_every_state_and_the_seed_plan():
    call_command("load_demo", verbosity=0)
    statuses = set(Document.objects.values_list("status", flat=True))
    assert statuses == set(Document.Status.values)
    annual = Document.objects.get(kind="annual_plan", year=2024)
    assert annual.title == "建安区2024年教师培训工作计划"
    assert annual.annual_plan.projects.count() == 14
    assert annual.filing_number
    assert set(User.objects.exclude(role="").values_list("role", flat=True)) == set(User.Role.values)
    # A second run changes nothing.
    count = Document.objects.count()
    call_command("load_demo", verbosity=0)
    assert Document.objects.count() == count


def test_demo_district_shows_the_schedule():
    call_command("load_demo", verbosity=0)
    approved_proposals = Document.objects.filter(
        kind=Document.Kind.PROJECT_PROPOSAL, status=Document.Status.APPROVED).count()
    assert approved_proposals >= 1
    assert ScheduledProject.objects.count() == 14 + approved_proposals

    # One project adjusted (已调整) by a filed change request, with its history.
    adjusted = ScheduledProject.objects.filter(changes__isnull=False).distinct()
    assert adjusted.count() == 1
    project = adjusted.get()
    assert (project.start_month, project.end_month) == (11, 11)
    assert {c.field for c in project.changes.all()} == {"start_month", "end_month", "location"}

    requests = Document.objects.filter(kind=Document.Kind.CHANGE_REQUEST)
    assert sorted(requests.values_list("status", flat=True)) == ["approved", "initial_review"]
    filed = requests.get(status=Document.Status.APPROVED)
    assert filed.filing_number and filed.change_request.project == project
    assert not filed.trail.filter(step="expert_review").exists()
    pending = requests.get(status=Document.Status.INITIAL_REVIEW)
    bureau = User.objects.get(username="jiaoyuju_gu")
    assert task_queue(user=bureau).filter(process__reviewprocess__document=pending).exists()

    kinds = set(ProjectLogEntry.objects.values_list("kind", flat=True))
    assert {"opened", "session", "problem", "closed"} <= kinds
    assert all(d.year == 2024 for d in ProjectLogEntry.objects.values_list("happened_on", flat=True))
    assert ScheduledProject.objects.filter(status=ScheduledProject.Status.FINISHED).count() == 1

    check = SpotCheck.objects.get(year=2024)
    assert check.seed == 20240601
    projects_2024 = ScheduledProject.objects.filter(year=2024).count()
    assert check.items.count() == math.ceil(projects_2024 * 20 / 100)
    assert check.items.exclude(findings="").count() == 1
