"""Each role lands where its work is, after logging in and on "/" (issue #13)."""
import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext

from tests.attendance_helpers import make_teacher_with_login
from tests.factories import PASSWORD, make_school_plan
from tests.flow_helpers import claim_and_decide, open_task, submit, task_url

pytestmark = pytest.mark.django_db

HOME = reverse("home")
INBOX = reverse("workflow:inbox")
QUEUE = f"{INBOX}?tab=queue"


def lands(client_for, user):
    response = client_for(user).get(HOME)
    assert response.status_code == 302
    return response["Location"]


def logs_in_to(user) -> str:
    """Log in through the real login form; follow to the landing page."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    return response.redirect_chain[-1][0]


def test_a_teacher_lands_on_their_training_not_an_inbox(world, client_for):
    teacher = make_teacher_with_login(world.school, "t_land", name="落地老师")
    assert lands(client_for, teacher.user) == reverse("attendance:me")
    page = client_for(teacher.user).get(reverse("attendance:me"))
    assert page.status_code == 200
    client = Client()
    response = client.post(reverse("login"), {"username": "t_land", "password": "test-pass-123"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("attendance:me")


def test_a_teacher_login_without_a_roster_row_lands_on_their_credits_page(world, client_for):
    assert lands(client_for, world.teacher) == reverse("credits:my_credits")
    page = client_for(world.teacher).get(reverse("credits:my_credits")).content.decode()
    assert gettext("Your login is not linked to a teacher on a school's roster.") in page  # says why, in words


def test_a_reviewer_lands_on_the_queue_when_only_the_queue_holds_work(world, client_for):
    document = make_school_plan(world)
    assert lands(client_for, world.training_officer) == INBOX  # nothing anywhere: the inbox
    submit(client_for(world.school_officer), document)
    # 我的待办 is empty, the queue holds the initial review: the queue tab.
    assert lands(client_for, world.training_officer) == QUEUE
    assert logs_in_to(world.training_officer) == QUEUE
    # Claimed: it is in 我的待办 now.
    task = open_task(document, "initial_review")
    client_for(world.training_officer).post(task_url(task, "assign"))
    assert lands(client_for, world.training_officer) == INBOX
    # Another district's staff and the other school do not land on this queue.
    assert lands(client_for, world.other_school_officer) == reverse("plans:list")  # no task: its documents


def test_an_expert_lands_on_their_tasks(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    claim_and_decide(client_for(world.training_officer), document, "initial_review",
                     {"decision": "approve", "experts": [world.expert1.pk], "comment": ""})
    assert lands(client_for, world.expert1) == INBOX
    page = client_for(world.expert1).get(INBOX).content.decode()
    assert task_url(open_task(document, "expert_review"), "execute") in page
    assert logs_in_to(world.expert1) == INBOX


def test_the_bureau_lands_on_its_queue(world, client_for):
    """The case the issue saw: 我的待办 empty while the queue held work."""
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    claim_and_decide(client_for(world.training_officer), document, "initial_review",
                     {"decision": "approve", "experts": [world.expert1.pk], "comment": ""})
    client_for(world.expert1).post(task_url(open_task(document, "expert_review"), "execute"),
                                   {"opinion": "agree", "score": 90, "comment": "可行。"})
    assert lands(client_for, world.bureau_officer) == QUEUE


def test_a_principal_lands_on_the_schools_documents(world, client_for):
    assert lands(client_for, world.principal) == reverse("plans:list")
    assert logs_in_to(world.principal) == reverse("plans:list")


def test_a_school_officer_with_a_returned_document_lands_on_it(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    claim_and_decide(client_for(world.training_officer), document, "initial_review",
                     {"decision": "return", "comment": "请补充。"})
    assert lands(client_for, world.school_officer) == INBOX  # the returned plan is a task


def test_home_asks_a_stranger_to_log_in():
    response = Client().get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_school_officer_with_no_task_lands_on_leave_requests_then_on_the_schools_documents(world, client_for):
    """The demo's 刘晓燕 landed on an empty 我的待办 and 待认领 while a draft and leave requests waited on her."""
    import datetime

    from django.utils import timezone

    from attendance import services
    from tests.attendance_helpers import confirm, make_project, make_session

    assert lands(client_for, world.school_officer) == reverse("plans:list")  # drafts live there
    project = make_project(world)
    teacher = make_teacher_with_login(world.school, "t_leave_land")
    confirm(project, teacher, world)
    session = make_session(project, date=datetime.date(2024, 3, 11), start=datetime.time(9, 0))
    before = timezone.make_aware(datetime.datetime(2024, 3, 10, 8, 0))
    leave = services.leave_request(session=session, user=teacher.user, reason="孩子生病。", now=before)
    assert lands(client_for, world.school_officer) == reverse("attendance:leave")
    assert logs_in_to(world.school_officer) == reverse("attendance:leave")
    assert lands(client_for, world.other_school_officer) == reverse("plans:list")  # not another school's leave
    services.leave_decide(leave=leave, user=world.school_officer, approve=True)
    assert lands(client_for, world.school_officer) == reverse("plans:list")
