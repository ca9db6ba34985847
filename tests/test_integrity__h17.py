"""Issue #10: what the POST permission test and the parameter fuzz found on the
integrity branch, one focused test each (the families in tests/test_permissions__post.py
and tests/test_fuzz__params.py walk every URL; these say which rule each fix keeps)."""
import pytest
from django.urls import reverse
from django.utils.translation import gettext

from attendance import services
from attendance.models import ProjectRun
from notices.models import Notice
from tests.attendance_helpers import make_project, make_teacher

pytestmark = pytest.mark.django_db


def _project(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, quota=5, self_enrolment=True)
    return project


def test_applying_without_a_roster_row_says_why_and_enrols_nobody(world, client_for):
    project = _project(world)
    response = client_for(world.school_officer).post(reverse("attendance:project", args=[project.pk]),
                                                     {"apply": "1"}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [gettext(str(services.ERROR_APPLY_NOT_ON_ROSTER))]
    assert not project.enrolments.exists()


def test_only_a_school_officer_nominates(world, client_for):
    project = _project(world)
    teacher = make_teacher(world.school, "甲")
    for user in (world.teacher, world.principal, world.training_officer):
        response = client_for(user).post(reverse("attendance:project", args=[project.pk]),
                                         {"nominate": "1", "teachers": [teacher.pk]})
        assert response.status_code == 403, user
    assert not project.enrolments.exists()


@pytest.mark.parametrize("teachers", [["abc"], ["9" * 20], ["²"]])
def test_a_nomination_of_a_malformed_or_huge_id_is_a_form_error(world, client_for, teachers):
    project = _project(world)
    make_teacher(world.school, "甲")
    response = client_for(world.school_officer).post(reverse("attendance:project", args=[project.pk]),
                                                     {"nominate": "1", "teachers": teachers})
    assert response.status_code == 200
    assert response.context["nominate_form"].errors
    assert not project.enrolments.exists()


@pytest.mark.parametrize("next_url", ["abc", "-1", "²", "https://evil.example/", "//evil.example/"])
def test_marking_notices_read_returns_only_to_a_local_path(world, client_for, next_url):
    Notice.objects.create(user=world.school_officer, kind=Notice.Kind.values[0], title="请阅", url="/")
    response = client_for(world.school_officer).post(reverse("notices:read_all"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("notices:list")
    assert not Notice.objects.filter(user=world.school_officer, read_at__isnull=True).exists()


def test_a_local_next_is_followed(world, client_for):
    response = client_for(world.school_officer).post(reverse("notices:read_all"), {"next": "/inbox/?tab=queue"})
    assert response["Location"] == "/inbox/?tab=queue"


@pytest.mark.parametrize("back", ["abc", "-1", "0001-01-01"])
def test_inbox_back_that_is_no_path_returns_to_the_inbox(world, client_for, back):
    response = client_for(world.training_officer).post(reverse("workflow:inbox"),
                                                       {"action": "delete_filter", "filter": "1", "back": back})
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response["Location"] == reverse("workflow:inbox")


def test_a_path_id_beyond_any_column_is_not_found(world, client_for):
    big = 10**20
    client = client_for(world.training_officer)
    assert client.get(f"/workflow/review/{big}/").status_code == 404
    assert client.get(reverse("attendance:project", args=[big])).status_code == 404


@pytest.mark.parametrize("pk", ["", "abc", "9" * 20])
def test_bulk_claim_with_a_malformed_task_id_is_a_bad_request(world, client_for, pk):
    response = client_for(world.training_officer).post(reverse("review:tasks_assign"), {"pk": pk, "_confirm": "1"})
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["²", "9" * 20, "abc"])
def test_credits_school_page_with_a_malformed_organisation_is_not_found(world, client_for, value):
    response = client_for(world.bureau_officer).get(reverse("credits:cycle_close"), {"organisation": value})
    assert response.status_code in (404, 302)
