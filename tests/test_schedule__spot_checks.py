"""Spot checks (抽查, seed 001: 每年至少抽查20%的培训项目): one draw a year, issue #12.

A second draw for the same year is refused with a clear message, unless the
bureau cancels the first with a reason; the cancelled draw is kept (who, when,
why) and both the draw and the cancellation are in the audit log. The draw's
seed and the projects it was drawn from are recorded, so the sample can be
reproduced even after projects are cancelled or added.
"""
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.formats import date_format
from django.utils import timezone

from accounts.services import user_create
from audit.models import Action, AuditEvent
from schedule import services
from schedule.models import ScheduledProject, SpotCheck, SpotCheckItem
from tests.attendance_helpers import make_project
from tests.factories import make_district

LIST = reverse("schedule:spot_checks")
REASON = "抽签范围误含已取消项目，经局务会研究决定重新抽签。"


@pytest.fixture
def projects(world):
    """Ten projects in 2024 (a 20% draw takes two), three in 2025."""
    return {2024: [make_project(world, name=f"项目{n}", year=2024) for n in range(10)],
            2025: [make_project(world, name=f"次年项目{n}", year=2025) for n in range(3)]}


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def form_errors(response):
    form = response.context["form"] if "form" in response.context else response.context["cancel_form"]
    return [str(e) for errors in form.errors.values() for e in errors]


def drawn_message(check):
    return str(services.ERROR_SPOT_CHECK_DRAWN) % {
        "year": check.year, "date": date_format(timezone.localtime(check.created_at), "DATE_FORMAT"),
        "name": check.created_by.display_name}


def detail(check):
    return reverse("schedule:spot_check", args=[check.pk])


# --- one draw a year -------------------------------------------------------------------------------

def test_a_second_draw_for_the_same_year_is_refused(world, client_for, projects):
    bureau = client_for(world.bureau_officer)
    assert bureau.post(LIST, {"year": 2024, "share_percent": 20}).status_code == 302
    first = SpotCheck.objects.get()

    response = bureau.post(LIST, {"year": 2024, "share_percent": 30})

    assert response.status_code == 200
    assert form_errors(response) == [drawn_message(first)]
    assert SpotCheck.objects.count() == 1 and SpotCheckItem.objects.count() == 2
    # Another year is drawn freely.
    assert bureau.post(LIST, {"year": 2025, "share_percent": 20}).status_code == 302
    assert SpotCheck.objects.filter(year=2025).count() == 1


def test_the_service_refuses_a_second_draw_and_another_district_draws_its_own(world, projects):
    services.spot_check_draw(user=world.bureau_officer, year=2024, seed=7)
    with pytest.raises(ValidationError):
        services.spot_check_draw(user=world.bureau_officer, year=2024, seed=8)
    other = make_district(name="长葛市", prefix="长教师备", suffix="_cg")
    make_project(other, name="长葛项目", year=2024)
    services.spot_check_draw(user=other.bureau_officer, year=2024, seed=8)  # one a year per district
    assert sorted(SpotCheck.objects.values_list("district_id", flat=True)) == sorted(
        [world.district.pk, other.district.pk])


def test_cancelling_with_a_reason_allows_a_new_draw_and_keeps_the_old_one(world, client_for, projects):
    bureau = client_for(world.bureau_officer)
    bureau.post(LIST, {"year": 2024, "share_percent": 20})
    first = SpotCheck.objects.get()
    item = first.items.first()
    bureau.post(detail(first), {"item": item.pk, "findings": "签到表齐全。"})

    response = bureau.post(detail(first), {"cancel": "1", "cancel-reason": REASON})

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.cancelled and first.cancelled_by == world.bureau_officer and first.cancel_reason == REASON
    assert bureau.post(LIST, {"year": 2024, "share_percent": 20}).status_code == 302
    second = SpotCheck.objects.exclude(pk=first.pk).get()
    assert not second.cancelled and second.seed != first.seed
    # The cancelled draw keeps its items, findings and seed, and says why on both pages.
    assert first.items.count() == 2 and first.items.get(pk=item.pk).findings == "签到表齐全。"
    listing = bureau.get(LIST).content.decode()
    assert REASON in listing and str(first.seed) in listing and str(second.seed) in listing
    page = bureau.get(detail(first)).content.decode()
    assert REASON in page and 'data-testid="cancel-draw"' not in page and 'name="findings"' not in page
    assert 'data-testid="cancel-draw"' in bureau.get(detail(second)).content.decode()


def test_the_audit_log_keeps_the_draw_and_the_cancellation(world, projects):
    check = services.spot_check_draw(user=world.bureau_officer, year=2024, seed=20240601)
    services.spot_check_cancel(check=check, user=world.bureau_officer, reason=REASON)
    events = AuditEvent.objects.filter(object_type="schedule.spotcheck", object_id=str(check.pk)).order_by("pk")
    assert [e.action for e in events] == [Action.SPOT_CHECK_DRAW, Action.SPOT_CHECK_CANCEL]
    drawn, cancelled = events
    assert "20240601" in drawn.summary and drawn.actor == world.bureau_officer
    assert REASON in cancelled.summary and cancelled.district_id == world.district.pk
    # A later save of the cancelled draw writes no second cancellation.
    check.refresh_from_db()
    check.save()
    assert AuditEvent.objects.filter(action=Action.SPOT_CHECK_CANCEL).count() == 1


def test_the_bureau_reads_draws_and_cancellations_in_the_audit_page(world, client_for, projects):
    check = services.spot_check_draw(user=world.bureau_officer, year=2024, seed=3)
    services.spot_check_cancel(check=check, user=world.bureau_officer, reason=REASON)
    page = client_for(world.bureau_officer).get(reverse("audit:list"), {"action": Action.SPOT_CHECK_CANCEL})
    assert page.status_code == 200 and REASON in page.content.decode()


# --- refusals with a message, nothing changed -----------------------------------------------------

@pytest.mark.parametrize("reason,expected", [
    ("", services.ERROR_CANCEL_REASON),
    ("   ", services.ERROR_CANCEL_REASON),
    ("理" * 1001, None),  # Django's max_length message
])
def test_cancelling_needs_a_reason(world, client_for, projects, reason, expected):
    check = services.spot_check_draw(user=world.bureau_officer, year=2024, seed=1)
    response = client_for(world.bureau_officer).post(detail(check), {"cancel": "1", "cancel-reason": reason})
    assert response.status_code == 200
    errors = form_errors(response)
    assert errors == [str(expected)] if expected else "1000" in errors[0]
    check.refresh_from_db()
    assert not check.cancelled and check.cancel_reason == ""
    assert not AuditEvent.objects.filter(action=Action.SPOT_CHECK_CANCEL).exists()


def test_a_cancelled_draw_cannot_be_cancelled_again_or_get_findings(world, client_for, projects):
    check = services.spot_check_draw(user=world.bureau_officer, year=2024, seed=1)
    services.spot_check_cancel(check=check, user=world.bureau_officer, reason=REASON)
    with pytest.raises(ValidationError) as refused:
        services.spot_check_cancel(check=check, user=world.bureau_officer, reason="再次作废")
    assert refused.value.messages == [str(services.ERROR_SPOT_CHECK_CANCELLED)]
    item = check.items.first()
    response = client_for(world.bureau_officer).post(detail(check), {"item": item.pk, "findings": "补记"})
    assert response.status_code == 200 and messages_of(response) == [str(services.ERROR_SPOT_CHECK_CANCELLED)]
    check.refresh_from_db()
    item.refresh_from_db()
    assert check.cancel_reason == REASON and item.findings == ""


@pytest.mark.parametrize("data", [
    {"year": "abc", "share_percent": 20}, {"year": 1999, "share_percent": 20}, {"year": 2101, "share_percent": 20},
    {"year": 2024, "share_percent": 0}, {"year": 2024, "share_percent": 101}, {"year": 2024, "share_percent": "二十"},
    {"year": "", "share_percent": ""}, {"year": 2030, "share_percent": 20},  # no projects that year
])
def test_bad_draw_input_is_a_form_error(world, client_for, projects, data):
    response = client_for(world.bureau_officer).post(LIST, data)
    assert response.status_code == 200 and form_errors(response)
    assert not SpotCheck.objects.exists()


def test_malformed_item_and_unknown_draw(world, client_for, projects):
    check = services.spot_check_draw(user=world.bureau_officer, year=2024, seed=1)
    bureau = client_for(world.bureau_officer)
    assert bureau.post(detail(check), {"item": "x", "findings": "a"}).status_code == 400
    assert bureau.get(reverse("schedule:spot_check", args=[check.pk + 1000])).status_code == 404


# --- who may --------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["training_officer", "school_officer", "other_school_officer", "teacher",
                                 "principal", "expert1"])
def test_only_the_bureau_draws_and_cancels(world, client_for, projects, who):
    check = services.spot_check_draw(user=world.bureau_officer, year=2024, seed=1)
    client = client_for(getattr(world, who))
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {"year": 2025, "share_percent": 20}).status_code == 403
    assert client.get(detail(check)).status_code == 403
    assert client.post(detail(check), {"cancel": "1", "cancel-reason": REASON}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.spot_check_cancel(check=check, user=getattr(world, who), reason=REASON)
    with pytest.raises(PermissionDenied):
        services.spot_check_draw(user=getattr(world, who), year=2025)
    check.refresh_from_db()
    assert not check.cancelled and SpotCheck.objects.count() == 1


def test_another_districts_bureau_can_neither_see_nor_cancel(world, client_for, projects):
    check = services.spot_check_draw(user=world.bureau_officer, year=2024, seed=987654321)
    other = make_district(name="长葛市", prefix="长教师备", suffix="_cg")
    client = client_for(other.bureau_officer)
    assert client.get(detail(check)).status_code == 404
    assert client.post(detail(check), {"cancel": "1", "cancel-reason": REASON}).status_code == 404
    assert "987654321" not in client.get(LIST).content.decode()
    with pytest.raises(PermissionDenied):
        services.spot_check_cancel(check=check, user=other.bureau_officer, reason=REASON)
    check.refresh_from_db()
    assert not check.cancelled and not AuditEvent.objects.filter(action=Action.SPOT_CHECK_CANCEL).exists()


# --- the seed reproduces the draw ----------------------------------------------------------------------

def test_the_recorded_seed_and_projects_reproduce_the_draw(world, client_for, projects):
    check = services.spot_check_draw(user=world.bureau_officer, year=2024, share_percent=30, seed=20240601)
    drawn = sorted(check.items.values_list("project_id", flat=True))
    ids = sorted(p.pk for p in projects[2024])
    assert check.population_ids == ids and check.population == 10 and len(drawn) == 3
    assert drawn == services.spot_check_sample(ids, seed=20240601, share_percent=30) == check.reproduce()
    # Projects cancelled or added afterwards do not change what the record reproduces.
    ScheduledProject.objects.filter(pk=ids[0]).update(status=ScheduledProject.Status.CANCELLED)
    make_project(world, name="后加项目", year=2024)
    check.refresh_from_db()
    assert check.reproduce() == drawn
    page = client_for(world.bureau_officer).get(detail(check))
    assert page.context["reproduced"] == page.context["drawn_ids"] == drawn
    # A cancelled draw still reproduces; the new draw records its own seed.
    services.spot_check_cancel(check=check, user=world.bureau_officer, reason=REASON)
    again = services.spot_check_draw(user=world.bureau_officer, year=2024, share_percent=30, seed=5)
    check.refresh_from_db()
    assert check.reproduce() == drawn and again.population == 10  # 9 left + 1 added
    assert sorted(again.items.values_list("project_id", flat=True)) == again.reproduce()


def test_a_draw_recorded_before_the_population_was_kept_says_nothing_about_reproduction(world, client_for, projects):
    check = SpotCheck.objects.create(district=world.district, year=2024, seed=1, population=10,
                                     created_by=world.bureau_officer)
    assert check.reproduce() is None
    page = client_for(world.bureau_officer).get(detail(check))
    assert page.status_code == 200 and 'data-testid="reproduced"' not in page.content.decode()


# --- the database keeps one draw a year ------------------------------------------------------------------

def test_the_database_refuses_two_draws_in_force_for_a_year(world, projects):
    from django.db import IntegrityError, transaction

    SpotCheck.objects.create(district=world.district, year=2024, seed=1, population=1, created_by=world.bureau_officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        SpotCheck.objects.create(district=world.district, year=2024, seed=2, population=1,
                                 created_by=world.bureau_officer)
    with pytest.raises(IntegrityError), transaction.atomic():  # cancelled without a reason
        SpotCheck.objects.filter(year=2024).update(cancelled_at=timezone.now())


# --- racing draws: one draw ----------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_draws_for_a_year_make_one_draw():
    world = make_district()
    for n in range(10):
        make_project(world, name=f"项目{n}", year=2024)
    officers = [world.bureau_officer] + [
        user_create(username=f"bureau{n}", password="x-pass-123", full_name=f"股员{n}", role="bureau_officer",
                    organisation=world.bureau) for n in range(1, 4)]
    barrier = threading.Barrier(len(officers))
    results = [None] * len(officers)

    def run(index, user):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        try:
            barrier.wait()
            results[index] = client.post(LIST, {"year": 2024, "share_percent": 20}).status_code
        except Exception as error:  # a 500 or a lock error is a failure, not a refusal
            results[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, user)) for i, user in enumerate(officers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [200, 200, 200, 302], results
    check = SpotCheck.objects.get()
    assert check.items.count() == 2 and SpotCheckItem.objects.count() == 2
    assert AuditEvent.objects.filter(action=Action.SPOT_CHECK_DRAW).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_draw_racing_a_cancellation_never_leaves_two_draws_in_force():
    world = make_district()
    for n in range(5):
        make_project(world, name=f"项目{n}", year=2024)
    first = services.spot_check_draw(user=world.bureau_officer, year=2024, seed=1)
    colleague = user_create(username="bureau2", password="x-pass-123", full_name="股员", role="bureau_officer",
                            organisation=world.bureau)
    barrier = threading.Barrier(2)
    results = {}

    def run(name, user, url, data):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        try:
            barrier.wait()
            results[name] = client.post(url, data).status_code
        except Exception as error:
            results[name] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=("cancel", world.bureau_officer, detail(first),
                                                  {"cancel": "1", "cancel-reason": REASON})),
               threading.Thread(target=run, args=("draw", colleague, LIST, {"year": 2024, "share_percent": 20}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert results["cancel"] == 302 and results["draw"] in (200, 302), results
    assert SpotCheck.objects.filter(year=2024, cancelled_at__isnull=True).count() == (1 if results["draw"] == 302
                                                                                      else 0)


# --- existing data: the hand-written migration ------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_migration_cancels_second_draws_made_before_the_rule():
    """Draws made twice for a year before the rule are kept, all but the first cancelled with a reason,
    so that the constraint can be added to an existing database."""
    from django.db.migrations.executor import MigrationExecutor

    world = make_district()
    make_project(world, year=2024)
    executor = MigrationExecutor(connection)
    executor.migrate([("schedule", "0003_h11_spot_check_cancel")])
    try:
        old = executor.loader.project_state([("schedule", "0003_h11_spot_check_cancel")]).apps
        OldSpotCheck = old.get_model("schedule", "SpotCheck")
        made = [OldSpotCheck.objects.create(district_id=world.district.pk, year=year, seed=seed, population=1,
                                            created_by_id=world.bureau_officer.pk)
                for year, seed in ((2024, 1), (2024, 2), (2024, 3), (2025, 4))]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    checks = {check.seed: check for check in SpotCheck.objects.all()}
    assert len(made) == len(checks) == 4
    assert not checks[1].cancelled and not checks[4].cancelled
    assert checks[2].cancelled and checks[3].cancelled and "重复抽查" in checks[2].cancel_reason
    assert SpotCheck.objects.filter(year=2024, cancelled_at__isnull=True).count() == 1
