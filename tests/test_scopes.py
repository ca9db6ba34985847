"""One home for "who may see this one" and "what this user may see" (accounts.permissions):
every registered scope answers user.has_perm(perm, obj) through the auth backend, refuses
the user of another school or district, and its two halves agree object by object."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from guardian.shortcuts import assign_perm

from accounts import permissions
from accounts.models import Organisation, User
from credits.models import Declaration
from tests.attendance_helpers import make_project, make_session, make_teacher
from tests.factories import make_district, make_school_plan

pytestmark = pytest.mark.django_db

SCOPED = {
    "plans.view_document", "plans.change_document", "schedule.view_scheduledproject",
    "attendance.view_teacher", "attendance.view_session", "attendance.view_project_report",
    "attendance.view_school_report", "credits.view_teacher", "credits.view_declaration",
}


def _things(world) -> dict:
    """One object of each scoped kind in a district, keyed by the permission asked of it."""
    document = make_school_plan(world)
    project = make_project(world)
    teacher = make_teacher(world.school, name="周芳", user=world.teacher)
    declaration = Declaration.objects.create(
        teacher=teacher, provider="省教育厅", title="国培计划", activity="online", level="province",
        start_date=datetime.date(2024, 5, 6), end_date=datetime.date(2024, 5, 7), hours=Decimal("12"),
        certificate="certificates/c.pdf", status=Declaration.Status.SCHOOL)
    return {
        "plans.view_document": document, "plans.change_document": document,
        "schedule.view_scheduledproject": project, "attendance.view_project_report": project,
        "attendance.view_teacher": teacher, "credits.view_teacher": teacher,
        "attendance.view_session": make_session(project), "attendance.view_school_report": world.school,
        "credits.view_declaration": declaration,
    }


@pytest.fixture
def two(world):
    other = make_district(name="长葛市", prefix="长教师备", suffix="_b")
    return world, other, _things(world), _things(other)


def test_every_scoped_model_is_registered():
    assert set(permissions.registered()) == SCOPED


# perm → (who in the object's district may, who may not: by attribute of the district world;
# "b." is the same role in another district).
CASES = {
    "plans.view_document": (["school_officer", "principal", "training_officer", "bureau_officer"],
                            ["other_school_officer", "teacher", "expert1", "b.school_officer", "b.bureau_officer"]),
    "plans.change_document": (["school_officer"],
                              ["principal", "training_officer", "bureau_officer", "b.school_officer"]),
    "schedule.view_scheduledproject": (["teacher", "principal", "other_school_officer", "bureau_officer"],
                                       ["expert1", "b.teacher", "b.training_officer"]),
    "attendance.view_teacher": (["teacher", "school_officer", "principal", "bureau_officer"],
                                ["other_school_officer", "expert1", "b.school_officer", "b.bureau_officer"]),
    "credits.view_teacher": (["teacher", "school_officer", "principal", "training_officer"],
                             ["other_school_officer", "expert1", "b.teacher", "b.training_officer"]),
    "attendance.view_session": (["training_officer", "bureau_officer"],
                                ["school_officer", "teacher", "b.training_officer"]),
    "attendance.view_project_report": (["training_officer", "bureau_officer"],
                                       ["school_officer", "teacher", "b.training_officer", "b.bureau_officer"]),
    "attendance.view_school_report": (["school_officer", "principal", "bureau_officer"],
                                      ["other_school_officer", "teacher", "b.principal", "b.bureau_officer"]),
    "credits.view_declaration": (["teacher", "school_officer", "principal", "training_officer"],
                                 ["other_school_officer", "expert1", "b.school_officer", "b.bureau_officer"]),
}


def _user(world, other, name) -> User:
    return getattr(other, name[2:]) if name.startswith("b.") else getattr(world, name)


@pytest.mark.parametrize("perm", sorted(SCOPED))
def test_has_perm_answers_from_the_scope_and_refuses_strangers(two, perm):
    world, other, things, _ = two
    obj = things[perm]
    allowed, refused = CASES[perm]
    for name in allowed:
        user = _user(world, other, name)
        assert user.has_perm(perm, obj), name
        assert permissions.visible(user, perm).filter(pk=obj.pk).exists(), name
    for name in refused:
        user = _user(world, other, name)
        assert not user.has_perm(perm, obj), name  # never guardian's WrongAppError either
        assert not permissions.visible(user, perm).filter(pk=obj.pk).exists(), name


def test_a_teachers_credits_are_asked_like_a_document(two):
    world, other, things, _ = two
    teacher = things["credits.view_teacher"]
    assert world.school_officer.has_perm("credits.view_teacher", teacher)
    assert not other.school_officer.has_perm("credits.view_teacher", teacher)
    # A permission no app scopes, named after another app than the object's: a plain no.
    assert not world.school_officer.has_perm("credits.change_teacher", teacher)


def test_the_two_halves_of_each_scope_agree(two):
    """has_perm(perm, obj) holds exactly for the objects visible(user) returns: for every
    user of both districts, the superuser, and an expert granted one document (guardian)."""
    world, other, mine, theirs = two
    assign_perm("plans.view_document", world.expert2, mine["plans.view_document"])
    root = User.objects.create_superuser(username="root", password="x-pass-123")
    users = [root] + [u for w in (world, other) for u in vars(w).values() if isinstance(u, User)]
    for perm in sorted(SCOPED):
        for user in users:
            visible = set(permissions.visible(user, perm).values_list("pk", flat=True))
            for obj in (mine[perm], theirs[perm]):
                assert user.has_perm(perm, obj) == (obj.pk in visible), (perm, user.username, obj)
    assert world.expert2.has_perm("plans.view_document", mine["plans.view_document"])


def test_a_permission_is_scoped_once():
    scope = permissions.registered()["plans.view_document"]
    permissions.register(scope.perm, model=scope.model, may=scope.may, visible=scope.visible)  # the same: fine
    with pytest.raises(ImproperlyConfigured):
        permissions.register(scope.perm, model=Organisation, may=scope.may, visible=scope.visible)
