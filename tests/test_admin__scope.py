"""The admin is scoped to a district (issue #10, item 3).

A bureau officer of 魏都区 (district B) tried, as staff in /admin/, to read and change 建安区's
(district A) completion rules and review routes, the Hunan credit rule set both districts share,
and the global step deadlines. Each GET and POST of a change, add or delete page must be refused
(403, or the admin's "does not exist" redirect) with the database unchanged; the officer's own
district works; the superuser sees and changes everything; form choices list only the officer's
district.
"""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.forms.models import model_to_dict

from accounts.admin_scoping import DISTRICT_PATHS
from accounts.models import City, District, Organisation, Province, User
from accounts.services import BUREAU_RULES_GROUP, user_create
from attendance.models import CompletionRules, Teacher
from credits.models import ConversionRule, RuleSet
from tests.attendance_helpers import make_teacher
from tests.factories import make_district, make_school_plan
from workflow.models import ReviewRoute, StepDeadline

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def two(world):
    """District A (world) with its rules and route; district B with its own; shared rules."""
    call_command("loaddata", "credit_rules", verbosity=0)
    b = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    return {
        "a": world, "b": b,
        "a_rules": CompletionRules.objects.create(district=world.district, school_absence_limit_hours=5),
        "b_rules": CompletionRules.objects.create(district=b.district, school_absence_limit_hours=5),
        "a_route": ReviewRoute.objects.create(district=world.district, kind="change_request", expert_review=False),
        "hunan": RuleSet.objects.filter(family="hunan").first(),
        "deadline": StepDeadline.objects.create(step="initial_review", days=7),
    }


@pytest.fixture
def b_bureau(two, client_for):
    return client_for(two["b"].bureau_officer)


@pytest.fixture
def root(client_for):
    return client_for(User.objects.create_superuser("root", password="x-pass-123"))


def url(obj, action="change"):
    meta = obj._meta
    return f"/admin/{meta.app_label}/{meta.model_name}/{obj.pk}/{action}/"


def add_url(model):
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/add/"


def list_url(model):
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def form_data(obj, **changes) -> dict:
    data = {}
    for name, value in {**model_to_dict(obj), **changes}.items():
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else str(value)
    return data


def refused(response) -> bool:
    """403, 404, or the admin's redirect for an object the user may not see."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"] == "/admin/"


def listed(response) -> list:
    assert response.status_code == 200, response.status_code
    return list(response.context["cl"].result_list)


def snapshot(obj) -> dict:
    return model_to_dict(type(obj).objects.get(pk=obj.pk))


# --- another district's rows --------------------------------------------------------------------

@pytest.mark.parametrize("key, changes", [
    ("a_rules", {"school_absence_limit_hours": "50"}),
    ("a_route", {"expert_review": True}),
])
def test_another_districts_rules_cannot_be_seen_changed_or_deleted(two, b_bureau, key, changes):
    obj = two[key]
    before = snapshot(obj)
    assert obj not in listed(b_bureau.get(list_url(type(obj))))
    for action in ("change", "delete", "history"):
        assert refused(b_bureau.get(url(obj, action))), action
    assert refused(b_bureau.post(url(obj), form_data(obj, **changes)))
    assert refused(b_bureau.post(url(obj, "delete"), {"post": "yes"}))
    # "Save as new" on someone else's row would copy it into district A.
    count = type(obj).objects.count()
    response = b_bureau.post(url(obj), {**form_data(obj, **changes), "_saveasnew": "1"})
    assert response.status_code in (200, 403)
    assert type(obj).objects.count() == count
    # The bulk delete action of the list cannot reach it either.
    b_bureau.post(list_url(type(obj)), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert snapshot(obj) == before


def test_rules_cannot_be_added_for_another_district(two, b_bureau):
    a_district = two["a"].district
    response = b_bureau.post(add_url(ReviewRoute), {"district": a_district.pk, "kind": "annual_plan",
                                                    "expert_review": "on"})
    assert response.status_code == 200 and response.context["adminform"].form.errors["district"]
    assert not ReviewRoute.objects.filter(district=a_district, kind="annual_plan").exists()

    two["a_rules"].delete()
    response = b_bureau.post(add_url(CompletionRules), form_data(two["b_rules"], district=a_district.pk))
    assert response.status_code == 200 and response.context["adminform"].form.errors["district"]
    assert not CompletionRules.objects.filter(district=a_district).exists()


def test_an_own_row_cannot_be_moved_into_another_district(two, b_bureau):
    route = ReviewRoute.objects.create(district=two["b"].district, kind="annual_plan", expert_review=True)
    response = b_bureau.post(url(route), form_data(route, district=two["a"].district.pk))
    assert response.status_code == 200 and response.context["adminform"].form.errors["district"]
    assert ReviewRoute.objects.get(pk=route.pk).district == two["b"].district


# --- own district -------------------------------------------------------------------------------

def test_the_bureau_keeps_its_own_districts_rules_and_routes(two, b_bureau):
    b_district = two["b"].district
    assert listed(b_bureau.get(list_url(CompletionRules))) == [two["b_rules"]]
    response = b_bureau.post(url(two["b_rules"]), form_data(two["b_rules"], school_absence_limit_hours="6"))
    assert response.status_code == 302
    assert CompletionRules.objects.get(pk=b_district.pk).school_absence_limit_hours == D(6)

    # The review route is in the admin now, and scoped.
    assert b_bureau.get(add_url(ReviewRoute)).status_code == 200
    response = b_bureau.post(add_url(ReviewRoute), {"district": b_district.pk, "kind": "change_request",
                                                    "expert_review": "on"})
    assert response.status_code == 302
    route = ReviewRoute.objects.get(district=b_district, kind="change_request")
    assert route.expert_review is True
    assert listed(b_bureau.get(list_url(ReviewRoute))) == [route]
    assert b_bureau.post(url(route), form_data(route, expert_review=False)).status_code == 302
    assert ReviewRoute.objects.get(pk=route.pk).expert_review is False
    assert b_bureau.post(url(route, "delete"), {"post": "yes"}).status_code == 302
    assert not ReviewRoute.objects.filter(pk=route.pk).exists()
    assert ReviewRoute.objects.filter(pk=two["a_route"].pk).exists()


def test_choices_list_only_the_own_district(two, b_bureau):
    for model in (ReviewRoute, CompletionRules):
        form = b_bureau.get(add_url(model)).context["adminform"].form
        assert list(form.fields["district"].queryset) == [two["b"].district]
    # The list filter names no other district either.
    response = b_bureau.get(list_url(ReviewRoute))
    choices = [choice["display"] for spec in response.context["cl"].filter_specs for choice in spec.choices(
        response.context["cl"])]
    assert two["a"].district.name not in choices


def test_staff_with_model_permissions_still_see_only_their_district(two, client_for):
    """Defence in depth: every district-owned admin is scoped, whatever permissions staff hold."""
    a, b = two["a"], two["b"]
    clerk = user_create(username="clerk_wd", password="x-pass-123", full_name="魏都文员", role="",
                        organisation=b.bureau, is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="attendance", content_type__model="teacher"))
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_document", "change_organisation",
                                                                        "view_organisation"]))
    ours, theirs = make_teacher(b.school, name="魏都老师"), make_teacher(a.school, name="建安老师")
    client = client_for(clerk)

    assert listed(client.get(list_url(Teacher))) == [ours]
    assert refused(client.get(url(theirs)))
    assert refused(client.post(url(theirs, "delete"), {"post": "yes"}))
    assert Teacher.objects.filter(pk=theirs.pk).exists()
    form = client.get(add_url(Teacher)).context["adminform"].form
    assert set(form.fields["organisation"].queryset) == set(Organisation.objects.filter(district=b.district))
    data = form_data(ours, organisation=a.school.pk, name="搬走")
    response = client.post(url(ours), data)
    assert response.status_code == 200 and Teacher.objects.get(pk=ours.pk).organisation == b.school

    document = make_school_plan(a)
    assert refused(client.get(url(document)))
    assert document not in listed(client.get("/admin/plans/document/"))
    # guardian's object-permission pages hand rights to anyone: the superuser's alone.
    assert client.get(f"/admin/accounts/organisation/{b.school.pk}/permissions/").status_code == 403
    assert set(listed(client.get(list_url(Organisation)))) == set(Organisation.objects.filter(district=b.district))


# --- shared and global -----------------------------------------------------------------------

def test_shared_rule_sets_are_read_only_for_the_bureau(two, b_bureau):
    hunan = two["hunan"]
    before = snapshot(hunan)
    conversions = list(ConversionRule.objects.filter(rule_set=hunan).values())
    page = b_bureau.get(url(hunan))
    assert page.status_code == 200 and "湖南" in page.content.decode()  # readable
    assert not page.context["has_change_permission"]
    data = {**form_data(hunan, annual_minimum="1", cycle_minimum="1"),
            "conversions-TOTAL_FORMS": "0", "conversions-INITIAL_FORMS": "0",
            "bonuses-TOTAL_FORMS": "0", "bonuses-INITIAL_FORMS": "0"}
    assert b_bureau.post(url(hunan), data).status_code == 403
    assert b_bureau.post(url(hunan), {**data, "_saveasnew": "1", "valid_from": "2030-01-01"}).status_code == 403
    assert b_bureau.get(add_url(RuleSet)).status_code == 403
    assert b_bureau.post(add_url(RuleSet), {**data, "family": "weidu"}).status_code == 403
    assert b_bureau.post(url(hunan, "delete"), {"post": "yes"}).status_code == 403
    assert snapshot(hunan) == before
    assert list(ConversionRule.objects.filter(rule_set=hunan).values()) == conversions
    assert not RuleSet.objects.filter(family="weidu").exists()


def test_global_step_deadlines_are_the_superusers(two, b_bureau, root):
    deadline = two["deadline"]
    assert b_bureau.post(url(deadline), {"step": "initial_review", "days": "1"}).status_code == 403
    assert b_bureau.post(add_url(StepDeadline), {"step": "filing", "days": "1"}).status_code == 403
    assert b_bureau.post(url(deadline, "delete"), {"post": "yes"}).status_code == 403
    assert StepDeadline.objects.get(pk=deadline.pk).days == 7
    assert not StepDeadline.objects.filter(step="filing").exists()

    assert root.post(url(deadline), {"step": "initial_review", "days": "3"}).status_code == 302
    assert StepDeadline.objects.get(pk=deadline.pk).days == 3


def test_the_superuser_sees_and_changes_everything(two, root):
    assert set(listed(root.get(list_url(CompletionRules)))) == {two["a_rules"], two["b_rules"]}
    form = root.get(add_url(ReviewRoute)).context["adminform"].form
    assert set(form.fields["district"].queryset) == set(District.objects.all())
    response = root.post(url(two["a_rules"]), form_data(two["a_rules"], school_absence_limit_hours="4"))
    assert response.status_code == 302
    assert CompletionRules.objects.get(pk=two["a"].district.pk).school_absence_limit_hours == D(4)


# --- how bureau officers get into the admin ---------------------------------------------------

def test_an_old_bureau_group_loses_the_rights_it_no_longer_has(world):
    group = Group.objects.get(name=BUREAU_RULES_GROUP)
    group.permissions.add(*Permission.objects.filter(codename__in=["change_ruleset", "change_stepdeadline",
                                                                   "add_ruleset"]))
    user_create(username="bureau2", password="x-pass-123", full_name="新股长", role="bureau_officer",
                organisation=world.bureau)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_ruleset", "add_ruleset", "change_stepdeadline"}.isdisjoint(codenames)
    assert {"view_ruleset", "view_stepdeadline", "change_completionrules", "add_reviewroute",
            "change_reviewroute"} <= codenames


def test_only_the_superuser_hands_out_admin_rights(two, client_for):
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = two["b"].bureau_officer
    readonly = admin.site._registry[User].get_readonly_fields(request, two["b"].teacher)
    assert {"is_staff", "is_superuser", "groups", "user_permissions"} <= set(readonly)


def test_every_district_owned_model_admin_is_scoped():
    """A new admin of a model that belongs to a district must say how (DistrictScopedAdmin)."""
    from django.contrib import admin

    from accounts.admin_scoping import DistrictScopedAdmin, SuperuserChangesAdmin

    shared = {RuleSet, StepDeadline, Province, City}  # the chain above the districts: the superuser's
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"accounts", "attendance", "audit", "credits", "notices", "plans",
                                         "schedule", "workflow"}:
            continue
        if model in shared:
            assert isinstance(model_admin, SuperuserChangesAdmin), model
        else:
            assert isinstance(model_admin, DistrictScopedAdmin), model
            assert DISTRICT_PATHS[model] == model_admin.district_path


def test_every_admin_list_opens_for_the_superuser_and_for_scoped_staff(two, root, client_for):
    """The scoped lists and their list filters (only the district's choices) answer, never 500."""
    from django.contrib import admin

    b = two["b"]
    viewer = user_create(username="viewer_wd", password="x-pass-123", full_name="魏都查看", role="",
                         organisation=b.bureau, is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    viewer_client = client_for(viewer)
    make_school_plan(b)
    for model in admin.site._registry:
        meta = model._meta
        assert root.get(list_url(model)).status_code == 200, meta.label
        response = viewer_client.get(list_url(model), {"q": "x"} if admin.site._registry[model].search_fields
                                     else {})
        assert response.status_code == 200, meta.label
        assert viewer_client.get(list_url(model)).status_code == 200, meta.label
