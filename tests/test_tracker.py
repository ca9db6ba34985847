"""The bureau's submission tracker (issue 13, "Oversight the bureau expects"): each
school's school-based plan / project proposals for a year, counts per state, sorting,
and 催交 reminders (recorded, once in 24 hours per school, notice + email)."""
import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import Organisation, User
from accounts.services import user_create
from notices.models import Notice
from plans.models import Document
from tests.factories import PASSWORD, make_district, make_proposal, make_school_plan
from tracker.models import SubmissionReminder
from tracker.selectors import State, tracker_rows
from tracker.services import reminders_send

pytestmark = pytest.mark.django_db
TRACKER = reverse("tracker:index")
REMIND = reverse("tracker:remind")
YEAR = 2026


def school(world, name, kind="school", officer=True):
    organisation = Organisation.objects.create(district=world.district, name=name, kind=kind)
    if officer:
        user_create(username=f"officer_{organisation.pk}", password=PASSWORD, full_name=f"{name}专干",
                    role="school_officer", organisation=organisation, email=f"officer{organisation.pk}@example.com")
    return organisation


def plan_in(world, organisation, status, **extra):
    document = make_school_plan(world, school=organisation, year=YEAR)
    Document.objects.filter(pk=document.pk).update(status=status, **extra)
    return document


@pytest.fixture
def district(world):
    """School A: draft; school B (other_school): nothing; returned, in expert review and filed schools."""
    plan_in(world, world.school, Document.Status.DRAFT)
    world.returned = school(world, "建安区第二小学")
    plan_in(world, world.returned, Document.Status.RETURNED)
    world.reviewing = school(world, "建安区第三小学")
    plan_in(world, world.reviewing, Document.Status.EXPERT_REVIEW)
    world.filed = school(world, "建安区幼儿园", kind="kindergarten")
    world.filed_at = timezone.now()
    plan_in(world, world.filed, Document.Status.APPROVED, filing_number="建教师备〔2026〕7号", filed_at=world.filed_at)
    return world


def states(response):
    return {row.school.pk: row.state for row in response.context["rows"]}


def test_each_school_shows_its_plan_state_with_step_and_filing_number(district, client_for):
    w = district
    response = client_for(w.bureau_officer).get(TRACKER, {"year": YEAR})
    assert response.status_code == 200
    assert states(response) == {
        w.school.pk: State.DRAFT, w.other_school.pk: State.NOT_STARTED, w.returned.pk: State.RETURNED,
        w.reviewing.pk: State.IN_REVIEW, w.filed.pk: State.FILED,
    }  # the bureau, training school and expert pool are not schools
    page = response.content.decode()
    assert "建教师备〔2026〕7号" in page
    assert gettext("In expert review") in page  # which step
    counts = {code: count for code, _label, count in response.context["counts"]}
    assert counts == {State.NOT_STARTED: 1, State.DRAFT: 1, State.RETURNED: 1, State.REJECTED: 0,
                      State.IN_REVIEW: 1, State.FILED: 1}
    assert response.context["late_count"] == 3


def test_sort_by_state_late_first_or_filed_first_and_filter_by_state(district, client_for):
    w = district
    client = client_for(w.bureau_officer)
    rows = client.get(TRACKER, {"year": YEAR, "sort": "state"}).context["rows"]
    assert [row.state for row in rows] == [State.NOT_STARTED, State.DRAFT, State.RETURNED, State.IN_REVIEW,
                                           State.FILED]
    rows = client.get(TRACKER, {"year": YEAR, "sort": "-state"}).context["rows"]
    assert [row.state for row in rows] == [State.FILED, State.IN_REVIEW, State.RETURNED, State.DRAFT,
                                           State.NOT_STARTED]
    rows = client.get(TRACKER, {"year": YEAR, "state": State.RETURNED}).context["rows"]
    assert [row.school for row in rows] == [w.returned]


def test_other_years_documents_do_not_count(district, client_for):
    w = district
    response = client_for(w.bureau_officer).get(TRACKER, {"year": YEAR + 1})
    assert set(states(response).values()) == {State.NOT_STARTED}


def test_proposals_tracker_counts_each_school_by_its_furthest_proposal(world, client_for):
    rejected = make_proposal(world, year=YEAR)
    Document.objects.filter(pk=rejected.pk).update(status=Document.Status.REJECTED)
    filed = make_proposal(world, organisation=world.other_school, year=YEAR)
    draft = make_proposal(world, organisation=world.other_school, year=YEAR)
    Document.objects.filter(pk=filed.pk).update(status=Document.Status.APPROVED, filing_number="建教师备〔2026〕9号")
    response = client_for(world.bureau_officer).get(TRACKER, {"year": YEAR, "kind": "project_proposal"})
    rows = {row.school.pk: row for row in response.context["rows"]}
    assert rows[world.other_school.pk].state == State.FILED and not rows[world.other_school.pk].late
    assert [d.pk for d in rows[world.other_school.pk].documents] == [filed.pk, draft.pk]
    # Only rejected proposals: the school is still expected to send one.
    assert rows[world.school.pk].state == State.REJECTED and rows[world.school.pk].late


# Who may open it ------------------------------------------------------------------------

def test_only_district_staff_open_the_tracker(world, client_for):
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    for user in (world.school_officer, world.principal, world.teacher, world.expert1):
        assert client_for(user).get(TRACKER).status_code == 403, user
        assert client_for(user).post(REMIND, {"school": world.school.pk, "year": YEAR}).status_code == 403
    assert client_for(world.bureau_officer).get(TRACKER).status_code == 200
    # The training school reads it (it reviews the schools' documents) but does not remind.
    response = client_for(world.training_officer).get(TRACKER)
    assert response.status_code == 200 and 'data-testid="remind-' not in response.content.decode()
    assert client_for(world.training_officer).post(REMIND, {"school": world.school.pk, "year": YEAR}).status_code == 403
    # Another district's bureau sees its own schools only and cannot remind ours.
    response = client_for(elsewhere.bureau_officer).get(TRACKER)
    assert {row.school for row in response.context["rows"]} == {elsewhere.school, elsewhere.other_school}
    page = response.content.decode()
    assert world.school.name not in page and world.other_school.name not in page
    for data in ({"school": world.school.pk, "year": YEAR}, {"school": world.school.pk, "year": YEAR, "all": ""}):
        assert client_for(elsewhere.bureau_officer).post(REMIND, data).status_code == 403
    assert not SubmissionReminder.objects.exists() and not Notice.objects.exists()


def test_tracker_link_in_the_district_staffs_navigation_only(world, client_for):
    assert 'data-testid="nav-tracker"' in client_for(world.bureau_officer).get(TRACKER).content.decode()
    page = client_for(world.school_officer).get(reverse("plans:list")).content.decode()
    assert 'data-testid="nav-tracker"' not in page


@pytest.mark.parametrize("query", [
    "year=abc", "year=1999", "year=99999999999999999999", "kind=annual_plan", "kind=%00", "sort=name",
    "state=late", "year=" + "9" * 3000,
])
def test_malformed_parameters_are_a_chinese_400(world, client_for, query):
    response = client_for(world.bureau_officer).get(f"{TRACKER}?{query}")
    assert response.status_code == 400
    assert "<html" in response.content.decode() and gettext("Bad request") in response.content.decode()


@pytest.mark.parametrize("data", [
    {"school": "abc"}, {"school": "99999999999999999999"}, {"school": "1", "year": "abc"},
    {"school": "1", "kind": "annual_plan"},
])
def test_malformed_remind_parameters_are_refused(world, client_for, data):
    response = client_for(world.bureau_officer).post(REMIND, data)
    assert response.status_code in (400, 403)
    assert not SubmissionReminder.objects.exists()


# 催交 ------------------------------------------------------------------------------------

def test_remind_one_school_sends_notice_and_email_to_its_training_officers_and_records_it(
        district, client_for, django_capture_on_commit_callbacks):
    w = district
    w.school_officer.email = "zhang@example.com"
    w.school_officer.save()
    second = user_create(username="second_officer", password=PASSWORD, full_name="第二专干",
                         role="school_officer", organisation=w.school, email="second@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(w.bureau_officer).post(REMIND, {"school": w.school.pk, "year": YEAR,
                                                              "kind": "school_plan"})
    assert response.status_code == 302
    reminder = SubmissionReminder.objects.get()
    assert (reminder.school, reminder.kind, reminder.year, reminder.sent_by) == (
        w.school, "school_plan", YEAR, w.bureau_officer)
    assert set(reminder.recipients.all()) == {w.school_officer, second}
    notices = Notice.objects.filter(kind=Notice.Kind.SUBMISSION_REMINDER)
    assert {n.user for n in notices} == {w.school_officer, second}  # not the principal, not teachers
    assert w.school.name in notices[0].title and str(YEAR) in notices[0].title
    assert sorted(m.to[0] for m in mail.outbox) == ["second@example.com", "zhang@example.com"]
    page = client_for(w.bureau_officer).get(response["Location"]).content.decode()
    expected = ngettext("Reminded %(count)s time, last on %(last)s", "Reminded %(count)s times, last on %(last)s",
                        1).split("%")[0]
    assert expected in page  # 已催交 1 次，最近 …


def test_second_reminder_within_24_hours_is_refused_in_chinese_and_changes_nothing(district, client_for):
    w = district
    client = client_for(w.bureau_officer)
    client.post(REMIND, {"school": w.school.pk, "year": YEAR})
    notices = Notice.objects.count()
    response = client.post(REMIND, {"school": w.school.pk, "year": YEAR}, follow=True)
    message = [str(m) for m in response.context["messages"]][-1]
    assert message.startswith(gettext("%(school)s was already reminded at %(time)s. A school can be reminded "
                                      "once in 24 hours; try again after %(next)s.").split("%(time)s")[0]
                              % {"school": w.school.name})
    assert SubmissionReminder.objects.count() == 1 and Notice.objects.count() == notices
    # A day later it may be reminded again; the tracker counts both.
    later = timezone.now() + datetime.timedelta(hours=24, minutes=1)
    reminders_send(user=w.bureau_officer, kind="school_plan", year=YEAR, school=w.school, now=later)
    row = next(r for r in tracker_rows(district_id=w.district.pk, kind="school_plan", year=YEAR)
               if r.school == w.school)
    assert row.reminder_count == 2 and row.last_reminder_at == later


def test_a_school_that_submitted_is_not_reminded(district, client_for):
    w = district
    for organisation in (w.reviewing, w.filed):
        response = client_for(w.bureau_officer).post(REMIND, {"school": organisation.pk, "year": YEAR}, follow=True)
        message = [str(m) for m in response.context["messages"]][0]
        assert message == gettext("%(school)s has already submitted its %(kind)s for %(year)s: there is nothing to "
                                  "remind it of.") % {"school": organisation.name, "kind": gettext(
                                      "School-based training plan"), "year": YEAR}
    assert not SubmissionReminder.objects.exists() and not Notice.objects.exists()


def test_remind_all_late_schools_at_once_skips_the_recently_reminded_and_those_without_officer(
        district, client_for):
    w = district
    client = client_for(w.bureau_officer)
    client.post(REMIND, {"school": w.returned.pk, "year": YEAR})  # reminded a moment ago
    lonely = school(w, "建安区第四小学", officer=False)  # late, but nobody to remind
    response = client.post(REMIND, {"all": "1", "year": YEAR}, follow=True)
    reminded = set(SubmissionReminder.objects.values_list("school", flat=True))
    assert reminded == {w.school.pk, w.other_school.pk, w.returned.pk}
    assert SubmissionReminder.objects.filter(school=w.returned).count() == 1
    assert not SubmissionReminder.objects.filter(school__in=[w.reviewing, w.filed, lonely]).exists()
    messages = " ".join(str(m) for m in response.context["messages"])
    assert w.returned.name in messages and lonely.name in messages
    assert Notice.objects.filter(user=w.other_school_officer, kind=Notice.Kind.SUBMISSION_REMINDER).count() == 1


def test_nothing_late_is_said(world, client_for):
    for organisation in (world.school, world.other_school):
        plan_in(world, organisation, Document.Status.APPROVED)
    response = client_for(world.bureau_officer).post(REMIND, {"all": "1", "year": YEAR}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [gettext("No school is late: nobody was reminded.")]


# Queries do not grow with the district -----------------------------------------------------

def _grow(world, count):
    start = Organisation.objects.count()
    for n in range(count):
        organisation = school(world, f"建安区第{start + n + 10}小学")
        if n % 3 == 0:
            plan_in(world, organisation, Document.Status.RETURNED)
        if n % 2 == 0:
            SubmissionReminder.objects.create(school=organisation, kind="school_plan", year=YEAR,
                                              sent_by=world.bureau_officer)


@pytest.mark.parametrize("kind", ["school_plan", "project_proposal"])
def test_tracker_queries_do_not_grow_with_schools(world, client_for, kind):
    client = client_for(world.bureau_officer)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(TRACKER, {"year": YEAR, "kind": kind}).status_code == 200
        return len(captured.captured_queries)

    _grow(world, 5)
    few = queries()
    _grow(world, 45)
    assert queries() == few


def test_remind_all_queries_per_school_are_bounded(world):
    """Writing each reminder costs a few queries of its own; finding who is late does not grow."""
    _grow(world, 5)
    with CaptureQueriesContext(connection) as captured:
        reminders_send(user=world.bureau_officer, kind="project_proposal", year=YEAR)
    per_school = len(captured.captured_queries) / SubmissionReminder.objects.filter(kind="project_proposal").count()
    assert per_school < 10


# Two reminders at once -------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("data", [{"school": "A"}, {"all": "1"}], ids=["one-school", "all-late"])
def test_two_reminders_at_once_remind_the_school_once(data):
    from tests.race_helpers import logged_in, race

    world = make_district()
    colleague = user_create(username="bureau_colleague", password=PASSWORD, full_name="钱同事",
                            role="bureau_officer", organisation=world.bureau)
    data = {**data, "year": YEAR}
    if data.get("school"):
        data["school"] = world.school.pk
    results = race([(logged_in(world.bureau_officer), REMIND, data), (logged_in(colleague), REMIND, data)])
    assert results == [302, 302]
    schools = 1 if data.get("school") else 2
    assert SubmissionReminder.objects.count() == schools
    assert Notice.objects.filter(kind=Notice.Kind.SUBMISSION_REMINDER).count() == schools
    assert User.objects.filter(role="school_officer").count() == 2
