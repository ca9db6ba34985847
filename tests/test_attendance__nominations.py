"""Issue 13, nominations: a nomination of more teachers than places left is
refused whole, with both numbers; a school withdraws or replaces a nomination
until the organiser confirms it; the organiser confirms several at once under
the project's lock; the lists of teachers filter by subject and stage; the
teacher and the school hear of every step (notices)."""
import datetime

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from attendance import services
from attendance.models import Enrolment, ProjectRun
from notices.models import Notice
from tests.attendance_helpers import make_project, make_teacher, make_teacher_with_login

pytestmark = pytest.mark.django_db


def url(project, **query):
    from urllib.parse import urlencode

    base = reverse("attendance:project", args=[project.pk])
    return f"{base}?{urlencode(query)}" if query else base


def nominate(client, project, teachers, **query):
    return client.post(url(project, **query), {"nominate": "1", "teachers": [t.pk for t in teachers]})


def message_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def snapshot():
    return (sorted(Enrolment.objects.values_list("teacher_id", "status", "decided_by_id", "decided_at")),
            Notice.objects.count())


def enrol(project, teacher, world, status):
    return Enrolment.objects.create(project=project, teacher=teacher, status=status, created_by=world.school_officer)


@pytest.fixture
def project(world):
    return make_project(world)


# --- item 1: more teachers than places left: refused whole, with the count ------------------------

def test_four_teachers_against_three_places_left_nominates_nobody(world, client_for, project):
    ProjectRun.objects.create(project=project, per_school_quota=4)
    enrol(project, make_teacher(world.school, "已提名"), world, "nominated")  # one of the 4 places used
    chosen = [make_teacher(world.school, name) for name in ("甲", "乙", "丙", "丁")]
    before = snapshot()

    response = nominate(client_for(world.school_officer), project, chosen)

    assert response.status_code == 200
    assert message_of(response) == gettext(services.ERROR_TOO_FEW_PLACES) % {"left": 3, "chosen": 4}
    assert snapshot() == before  # nobody nominated, nobody told


def test_as_many_teachers_as_places_left_are_all_nominated(world, client_for, project):
    ProjectRun.objects.create(project=project, per_school_quota=3)
    chosen = [make_teacher_with_login(world.school, f"t_{n}", name=name) for n, name in enumerate("甲乙丙")]
    response = nominate(client_for(world.school_officer), project, chosen)
    assert response.status_code == 302
    assert sorted(project.enrolments.values_list("teacher__name", "status")) == [
        ("丙", "nominated"), ("乙", "nominated"), ("甲", "nominated")]
    for teacher in chosen:  # each teacher hears of it; the school officer, who acted, does not
        notice = Notice.objects.get(user=teacher.user)
        assert notice.kind == "nomination" and project.name in notice.title and world.school.name in notice.title
    assert not Notice.objects.filter(user=world.school_officer).exists()


def test_with_no_place_left_the_message_says_the_quota_is_used(world, client_for, project):
    ProjectRun.objects.create(project=project, per_school_quota=1)
    enrol(project, make_teacher(world.school, "已提名"), world, "nominated")
    response = nominate(client_for(world.school_officer), project, [make_teacher(world.school, "甲")])
    assert message_of(response) == gettext(services.ERROR_SCHOOL_QUOTA) % {"quota": 1}
    assert project.enrolments.count() == 1


def test_the_page_tells_the_school_its_places_left(world, client_for, project):
    ProjectRun.objects.create(project=project, quota=10, per_school_quota=4)
    enrol(project, make_teacher(world.school, "已提名"), world, "nominated")
    make_teacher(world.school, "甲")
    response = client_for(world.school_officer).get(url(project))
    assert response.context["places"] == {"school_left": 3, "project_free": 10}


def test_the_projects_own_quota_does_not_refuse_a_nomination_it_feeds_the_waiting_list(world, client_for, project):
    # Chosen rule: only the school's places refuse a nomination; the organiser's
    # confirmation sends those beyond the project's places to the waiting list.
    ProjectRun.objects.create(project=project, quota=1)
    response = nominate(client_for(world.school_officer), project,
                        [make_teacher(world.school, "甲"), make_teacher(world.school, "乙")])
    assert response.status_code == 302 and project.enrolments.filter(status="nominated").count() == 2


# --- item 2: withdraw or replace until confirmed ------------------------------------------------

def test_the_school_withdraws_a_nomination_before_confirmation(world, client_for, project):
    teacher = make_teacher_with_login(world.school, "t_w", name="甲")
    enrolment = enrol(project, teacher, world, "nominated")
    response = client_for(world.school_officer).post(url(project), {"withdraw": "1", "enrolment": enrolment.pk})
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.decided_by) == ("withdrawn", world.school_officer)
    assert Notice.objects.filter(user=teacher.user, kind="nomination").count() == 1


def test_the_school_cannot_withdraw_or_replace_after_confirmation(world, client_for, project):
    enrolment = enrol(project, make_teacher(world.school, "甲"), world, "confirmed")
    other = make_teacher(world.school, "乙")
    school = client_for(world.school_officer)
    before = snapshot()
    for data in ({"withdraw": "1"}, {"replace": "1", "teacher": other.pk}):
        response = school.post(url(project), {"enrolment": enrolment.pk, **data})
        assert response.status_code == 200
        assert message_of(response) == gettext(services.ERROR_SCHOOL_AFTER_CONFIRMATION) % {"name": "甲"}
    assert snapshot() == before


def test_another_school_cannot_withdraw_or_replace(world, client_for, project):
    enrolment = enrol(project, make_teacher(world.school, "甲"), world, "nominated")
    theirs = make_teacher(world.other_school, "丙")
    other = client_for(world.other_school_officer)
    before = snapshot()
    assert other.post(url(project), {"withdraw": "1", "enrolment": enrolment.pk}).status_code == 403
    # Their own teacher in place of ours: 403 (not their nomination).
    assert other.post(url(project), {"replace": "1", "enrolment": enrolment.pk,
                                     "teacher": theirs.pk}).status_code == 403
    assert snapshot() == before


def test_replace_swaps_the_teacher_and_keeps_the_place(world, client_for, project):
    ProjectRun.objects.create(project=project, per_school_quota=2)
    old = make_teacher_with_login(world.school, "t_old", name="甲")
    new = make_teacher_with_login(world.school, "t_new", name="乙")
    first = enrol(project, old, world, "nominated")
    enrol(project, make_teacher(world.school, "丙"), world, "nominated")  # the school's places are full

    response = client_for(world.school_officer).post(url(project), {"replace": "1", "enrolment": first.pk,
                                                                    "teacher": new.pk})
    assert response.status_code == 302
    first.refresh_from_db()
    replacement = project.enrolments.get(teacher=new)
    assert first.status == "withdrawn" and replacement.status == "nominated"
    assert replacement.created_at == first.created_at  # its turn in the organiser's list
    assert project.enrolments.filter(status="nominated").count() == 2
    assert Notice.objects.filter(user=old.user).count() == 1
    assert Notice.objects.filter(user=new.user).count() == 1
    # The organiser confirms the new teacher: the replacement is an ordinary nomination.
    services.enrolment_organiser_decide(enrolment=replacement, user=world.training_officer, confirm=True)
    assert project.enrolments.get(teacher=new).status == "confirmed"


def test_a_waitlisted_nomination_keeps_its_turn_when_replaced(world, project):
    waiting = Enrolment.objects.create(project=project, teacher=make_teacher(world.school, "甲"), status="waitlisted",
                                       created_by=world.school_officer, decided_by=world.training_officer,
                                       decided_at="2024-01-05T09:00:00+08:00")
    replacement = services.enrolment_replace(enrolment=waiting, teacher=make_teacher(world.school, "乙"),
                                             user=world.school_officer)
    turn = datetime.datetime(2024, 1, 5, 1, 0, tzinfo=datetime.timezone.utc)
    assert (replacement.status, replacement.decided_at) == ("waitlisted", turn)  # its turn on the waiting list
    waiting.refresh_from_db()
    assert (waiting.status, waiting.decided_by) == ("withdrawn", world.school_officer)


def test_replace_refuses_another_schools_teacher_and_a_teacher_already_on_the_list(world, client_for, project):
    from django.core.exceptions import ValidationError

    enrolment = enrol(project, make_teacher(world.school, "甲"), world, "nominated")
    on_list = make_teacher(world.school, "乙")
    enrol(project, on_list, world, "confirmed")
    before = snapshot()
    school = client_for(world.school_officer)
    # Another school's teacher is not among the school's own teachers: not found.
    assert school.post(url(project), {"replace": "1", "enrolment": enrolment.pk,
                                      "teacher": make_teacher(world.other_school, "丙").pk}).status_code == 404
    assert school.post(url(project), {"replace": "1", "enrolment": enrolment.pk,
                                      "teacher": on_list.pk}).status_code == 404
    with pytest.raises(ValidationError) as error:
        services.enrolment_replace(enrolment=enrolment, teacher=make_teacher(world.other_school, "丁"),
                                   user=world.school_officer)
    assert error.value.messages == [gettext(services.ERROR_REPLACE_OTHER_SCHOOL)]
    assert school.post(url(project), {"replace": "1", "enrolment": enrolment.pk, "teacher": "abc"}).status_code == 400
    assert Enrolment.objects.filter(pk=enrolment.pk, status="nominated").exists()
    assert snapshot()[0] == before[0]


def test_replace_does_not_bring_back_a_teacher_the_organiser_declined(world, project):
    """Nominating refuses a declined teacher; a replacement must not be the way round it."""
    from django.core.exceptions import ValidationError

    enrolment = enrol(project, make_teacher(world.school, "甲"), world, "nominated")
    declined = make_teacher(world.school, "乙")
    enrol(project, declined, world, "declined")
    with pytest.raises(ValidationError) as error:
        services.enrolment_replace(enrolment=enrolment, teacher=declined, user=world.school_officer)
    assert error.value.messages == [gettext(services.ERROR_ALREADY_ENROLLED)]
    assert Enrolment.objects.get(pk=enrolment.pk).status == "nominated"
    assert Enrolment.objects.get(project=project, teacher=declined).status == "declined"


# --- item 3: the organiser confirms several at once ----------------------------------------------

def test_the_organiser_confirms_ticked_nominations_at_once(world, client_for, project):
    ProjectRun.objects.create(project=project, quota=3)
    teachers = [make_teacher_with_login(world.school, f"t_b{n}", name=name) for n, name in enumerate("甲乙")]
    ticked = [enrol(project, t, world, "nominated") for t in teachers]
    untouched = enrol(project, make_teacher(world.other_school, "丙"), world, "nominated")

    response = client_for(world.training_officer).post(url(project), {
        "confirm_selected": "1", "enrolments": [e.pk for e in ticked]})

    assert response.status_code == 302
    for enrolment in ticked:
        enrolment.refresh_from_db()
        assert (enrolment.status, enrolment.decided_by) == ("confirmed", world.training_officer)
        assert enrolment.decided_at is not None
    untouched.refresh_from_db()
    assert untouched.status == "nominated"
    for teacher in teachers:
        assert Notice.objects.filter(user=teacher.user, kind="nomination").count() == 1
    assert Notice.objects.filter(user=world.school_officer, kind="nomination").count() == 2  # the school hears too
    page = client_for(world.training_officer).get(url(project)).content.decode()
    assert world.training_officer.display_name in page  # who confirmed, on the list


def test_a_batch_larger_than_the_free_places_confirms_nobody(world, client_for, project):
    # Chosen rule: refuse the whole batch with both numbers (never confirm an arbitrary part of it).
    ProjectRun.objects.create(project=project, quota=3)
    enrol(project, make_teacher(world.school, "已确认"), world, "confirmed")
    ticked = [enrol(project, make_teacher(world.school, name), world, "nominated") for name in "甲乙丙"]
    before = snapshot()

    response = client_for(world.training_officer).post(url(project), {
        "confirm_selected": "1", "enrolments": [e.pk for e in ticked]})

    assert response.status_code == 200
    assert message_of(response) == gettext(services.ERROR_CONFIRM_TOO_MANY) % {"free": 2, "chosen": 3}
    assert snapshot() == before


def test_a_batch_with_a_withdrawn_nomination_confirms_nobody(world, client_for, project):
    ticked = [enrol(project, make_teacher(world.school, "甲"), world, "nominated"),
              enrol(project, make_teacher(world.school, "乙"), world, "withdrawn")]
    before = snapshot()
    response = client_for(world.training_officer).post(url(project), {
        "confirm_selected": "1", "enrolments": [e.pk for e in ticked]})
    assert message_of(response) == gettext(services.ERROR_CONFIRM_DECIDED) % {"names": "乙"}
    assert snapshot() == before


@pytest.mark.parametrize("who,ids,status", [
    ("school_officer", "mine", 403), ("training_officer", "other_project", 404), ("training_officer", "abc", 400),
    ("training_officer", "none", 200),
])
def test_batch_confirm_refusals(world, client_for, project, who, ids, status):
    mine = enrol(project, make_teacher(world.school, "甲"), world, "nominated")
    other_project = enrol(make_project(world, name="另一项目"), make_teacher(world.school, "乙"), world, "nominated")
    ids = {"mine": [mine.pk], "other_project": [mine.pk, other_project.pk], "abc": ["abc"], "none": []}[ids]
    before = snapshot()
    response = client_for(getattr(world, who)).post(url(project), {"confirm_selected": "1", "enrolments": ids})
    assert response.status_code == status
    if status == 200:
        assert message_of(response) == gettext(services.ERROR_CONFIRM_NOBODY)
    assert snapshot() == before


def test_organiser_decline_and_single_confirm_tell_the_teacher_and_the_school(world, project):
    ProjectRun.objects.create(project=project, quota=1)
    teachers = [make_teacher_with_login(world.school, f"t_d{n}", name=name) for n, name in enumerate("甲乙丙")]
    first, second, third = (enrol(project, t, world, "nominated") for t in teachers)
    services.enrolment_organiser_decide(enrolment=first, user=world.training_officer, confirm=True)
    services.enrolment_organiser_decide(enrolment=second, user=world.training_officer, confirm=True)  # waiting list
    services.enrolment_organiser_decide(enrolment=third, user=world.training_officer, confirm=False)
    titles = [Notice.objects.get(user=t.user).title for t in teachers]
    assert [("甲" in titles[0]), ("乙" in titles[1]), ("丙" in titles[2])] == [True, True, True]
    assert len(set(titles)) == 3  # confirmed, waiting list, declined: three different messages
    assert Notice.objects.filter(user=world.school_officer).count() == 3
    assert not Notice.objects.filter(user__in=[world.other_school_officer, world.training_officer]).exists()


# --- item 4: lists of teachers filter by subject and stage ---------------------------------------

def test_the_nomination_picker_filters_by_subject_and_stage(world, client_for, project):
    chinese = make_teacher(world.school, "语文老师")  # subject "chinese", stage "primary" (the school's)
    maths = make_teacher(world.school, "数学老师", subject="maths")
    school = client_for(world.school_officer)

    def offered(**query):
        response = school.get(url(project, **query))
        assert response.status_code == 200
        return {t.name for t in response.context["nominate_form"].fields["teachers"].queryset}

    assert offered() == {"语文老师", "数学老师"}
    assert offered(subject="maths") == {"数学老师"}
    assert offered(subject="maths", stage="junior") == set()
    assert offered(stage="primary") == {"语文老师", "数学老师"}
    # A teacher outside the filter cannot be slipped into the filtered form.
    response = school.post(url(project, subject="maths"), {"nominate": "1", "teachers": [chinese.pk]})
    assert response.status_code == 200 and response.context["nominate_form"].errors
    assert not project.enrolments.exists()
    response = school.post(url(project, subject="maths"), {"nominate": "1", "teachers": [maths.pk]})
    assert response.status_code == 302 and response["Location"].endswith("?subject=maths")


@pytest.mark.parametrize("query", [{"subject": "alchemy"}, {"stage": "college"}, {"subject": "x" * 500},
                                   {"stage": "小学"}])
def test_a_bad_teacher_filter_is_a_chinese_400(world, client_for, project, query):
    from urllib.parse import urlencode

    make_teacher(world.school, "甲")
    school = client_for(world.school_officer)
    value = next(iter(query.values()))
    expected = gettext("“%(value)s” is not one of the values this filter offers.") % {"value": value[:20]}
    for target in (url(project, **query), reverse("attendance:teachers") + "?" + urlencode(query)):
        response = school.get(target)
        assert response.status_code == 400
        assert expected in response.content.decode()


def test_the_roster_filters_by_subject_and_stage(world, client_for):
    make_teacher(world.school, "语文老师")
    make_teacher(world.school, "初中老师", stage="junior")
    school = client_for(world.school_officer)

    def listed(**query):
        response = school.get(reverse("attendance:teachers"), query)
        assert response.status_code == 200
        return {row[0].name for row in response.context["rows"]}

    assert listed() == {"语文老师", "初中老师"}
    assert listed(stage="junior") == {"初中老师"}
    assert listed(subject="maths") == set()
    assert listed(subject="chinese", stage="primary") == {"语文老师"}
