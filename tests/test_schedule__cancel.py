"""Cancelling a project of a filed plan (issue 13: "a project's change or cancellation" reaches
its teachers): only the district's bureau cancels, with a reason, once; the project then takes
no enrolment, sign-in or leave, and every teacher on its lists and their schools are told."""
import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from attendance import services as attendance
from attendance.models import Enrolment, LeaveRequest
from notices import events
from notices.models import Notice
from schedule import services
from schedule.models import ProjectLogEntry, ScheduledProject
from tests.attendance_helpers import make_project, make_session, make_teacher, make_teacher_with_login
from tests.factories import make_district
from tests.race_helpers import logged_in, race

REASON = "场地改作考点，本学期不再举办。"


@pytest.fixture
def project(world):
    return make_project(world, name="送教下乡")


@pytest.fixture
def on_list(world, project):
    teacher = make_teacher_with_login(world.school, "t_cancel", name="甲老师")
    teacher.user.email = "jia@example.cn"
    teacher.user.save(update_fields=["email"])
    Enrolment.objects.create(project=project, teacher=teacher, status="confirmed", created_by=world.school_officer)
    return teacher


def page(project):
    return reverse("schedule:project", args=[project.pk])


def state(project):
    project.refresh_from_db()
    return (project.status, list(project.log.values_list("kind", "text")), Notice.objects.count())


def test_the_bureau_cancels_with_a_reason_and_everyone_on_the_lists_is_told(
        world, client_for, project, on_list, django_capture_on_commit_callbacks):
    bureau = client_for(world.bureau_officer)
    assert 'data-testid="cancel-project"' in bureau.get(page(project)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = bureau.post(page(project), {"cancel-reason": REASON})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ScheduledProject.Status.CANCELLED
    entry = project.log.get()
    assert (entry.kind, entry.text, entry.author) == (ProjectLogEntry.Kind.CANCELLED, REASON, world.bureau_officer)
    title = gettext(str(events.PROJECT_CANCELLED)) % {"project": "送教下乡", "reason": REASON}
    assert Notice.objects.get(user=on_list.user).title == title
    assert Notice.objects.get(user=world.school_officer).url == page(project)
    assert [m.to for m in mail.outbox if m.subject == title][:1] == [["jia@example.cn"]]
    # The page says it, in words, and offers no second cancel.
    text = bureau.get(page(project)).content.decode()
    assert pgettext("project status", "Cancelled") in text and 'data-testid="cancel-project"' not in text


@pytest.mark.parametrize("who", ["training_officer", "school_officer", "principal", "teacher", "expert1"])
def test_only_the_districts_bureau_cancels(world, client_for, project, on_list, who):
    before = state(project)
    client = client_for(getattr(world, who))
    shown = client.get(page(project))
    assert shown.status_code in (200, 404)
    assert 'data-testid="cancel-project"' not in shown.content.decode()
    assert client.post(page(project), {"cancel-reason": REASON}).status_code in (403, 404)
    assert state(project) == before


def test_another_districts_bureau_cannot_cancel(world, project, on_list):
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    before = state(project)
    with pytest.raises(PermissionDenied):
        services.project_cancel(project=project, user=elsewhere.bureau_officer, reason=REASON)
    assert logged_in(elsewhere.bureau_officer).post(page(project), {"cancel-reason": REASON}).status_code in (403, 404)
    assert state(project) == before


def test_a_cancel_needs_a_reason_and_a_running_project(world, client_for, project, on_list):
    bureau = client_for(world.bureau_officer)
    before = state(project)
    response = bureau.post(page(project), {"cancel-reason": "   "})
    assert response.status_code == 200 and state(project) == before
    assert gettext("This field is required.") in response.content.decode()
    with pytest.raises(ValidationError) as error:
        services.project_cancel(project=project, user=world.bureau_officer, reason="")
    assert error.value.message_dict == {"reason": [gettext(str(services.ERROR_CANCEL_REASON))]}
    ScheduledProject.objects.filter(pk=project.pk).update(status=ScheduledProject.Status.FINISHED)
    with pytest.raises(ValidationError) as error:
        services.project_cancel(project=project, user=world.bureau_officer, reason=REASON)
    assert error.value.messages == [gettext(str(services.ERROR_PROJECT_CLOSED))]
    # The page of a finished project: a forged cancel is told no, nothing changes.
    response = bureau.post(page(project), {"cancel-reason": REASON}, follow=True)
    assert gettext(str(services.ERROR_PROJECT_CLOSED)) in response.content.decode()
    project.refresh_from_db()
    assert project.status == ScheduledProject.Status.FINISHED and not project.log.exists()


def test_a_cancelled_project_takes_no_enrolment_sign_in_or_leave(world, project, on_list):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    session = make_session(project, date=tomorrow)
    services.project_cancel(project=project, user=world.bureau_officer, reason=REASON)
    message = gettext(str(attendance.ERROR_PROJECT_CANCELLED))
    with pytest.raises(ValidationError) as error:
        attendance.enrolment_nominate(project=project, teacher=make_teacher(world.school, "乙"),
                                      user=world.school_officer)
    assert error.value.messages == [message]
    with pytest.raises(ValidationError) as error:
        attendance.leave_request(session=session, user=on_list.user, reason="生病")
    assert error.value.messages == [message]
    assert not LeaveRequest.objects.exists()
    now = timezone.make_aware(datetime.datetime.combine(tomorrow, session.start_time))
    with pytest.raises(ValidationError) as error:
        attendance.sign_in(session=session, user=on_list.user, code="000000", now=now)
    assert error.value.messages == [message]
    assert project.enrolments.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_cancels_at_once_cancel_once(world, on_list):
    project = make_project(world, name="送教下乡")
    Enrolment.objects.create(project=project, teacher=on_list, status="confirmed", created_by=world.school_officer)
    results = race([(logged_in(world.bureau_officer), page(project), {"cancel-reason": REASON})
                    for _ in range(3)])
    assert all(status in (200, 302) for status in results), results
    project.refresh_from_db()
    assert project.status == ScheduledProject.Status.CANCELLED
    assert project.log.filter(kind=ProjectLogEntry.Kind.CANCELLED).count() == 1
    assert Notice.objects.filter(user=on_list.user).count() == 1
