"""The bureau edits its district's credit rules in the app (issue #12): a new version of its own,
copied from the version in force, previewed on a sample of its teachers (recounted with the pure
rules, nothing written), then saved. Versions apply from their valid_from; older ledger lines keep
the version that made them; other districts are untouched. Role boundaries, bad input with Chinese
messages and nothing saved."""
import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.forms import BooleanField
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from audit.models import Action, AuditEvent
from credits import recount, rule_versions
from credits import rules as credit_rules
from credits import services
from credits.models import Bonus, CategoryRequirement, ConversionRule, CreditEntry, RuleSet
from tests.attendance_helpers import make_teacher
from tests.factories import make_district

NEW = reverse("credits:rule_new")
YEAR = timezone.localdate().year   # the preview counts the current credit year (Gansu: the calendar year)


def day(month, dom, year=YEAR):
    return datetime.date(year, month, dom)


def add(teacher, activity, level, hours, **extra):
    return services.ledger_add(teacher=teacher, activity=activity, level=level, hours=hours, occurred_on=day(3, 1),
                               description=f"{activity}-{level}", source="declaration", **extra)


@pytest.fixture
def gansu(world):
    """Gansu's rules; four teachers with credits this year (worked by hand under 甘肃办法):
    甲 county 24 h = 24 and 优秀学员 +4 → 28; 乙 school-based 90 h = 30, then 30 h more cut by
    the 30 a year (第六条) → 30; 丙 city 10 h = 20 and a failed assessment → 20; 丁 degree 30."""
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "gansu"
    world.district.save()
    teachers = {name: make_teacher(world.school if name in "甲乙" else world.other_school, name)
                for name in ("甲", "乙", "丙", "丁")}
    add(teachers["甲"], "concentrated", "county", 24, excellent_trainee=True)
    add(teachers["乙"], "school_based", "school", 90)
    add(teachers["乙"], "school_based", "school", 30)
    add(teachers["丙"], "concentrated", "city", 10)
    add(teachers["丙"], "concentrated", "county", 6, passed=False)
    add(teachers["丁"], "degree", "any", 200)
    return teachers


def form_data(editor, **header) -> dict:
    """What the browser posts for the page as it was shown, with header fields changed."""
    data = {}

    def put(form, name, field, value):
        key = form.add_prefix(name)
        if isinstance(field, BooleanField):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = value.isoformat() if isinstance(value, datetime.date) else str(value)
        else:
            data[key] = ""

    for name, field in editor.header.fields.items():
        put(editor.header, name, field, editor.header.initial.get(name, field.initial))
    for formset in (editor.conversions, editor.bonuses, editor.categories):
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management.initial.get(name, management[name].value()) or 0)
        for form in formset.forms:  # the blank rows too, as the page shows them
            for name, field in form.fields.items():
                if name != "DELETE":
                    put(form, name, field, form.initial.get(name, field.initial))
    data.update({key: value.isoformat() if isinstance(value, datetime.date) else str(value)
                 for key, value in header.items()})
    return data


def row_key(data, prefix, activity, level=None, field="activity"):
    """The form index of the copied row for (activity, level)."""
    index = 0
    while f"{prefix}-{index}-{field}" in data:
        if data[f"{prefix}-{index}-{field}"] == activity and \
                (level is None or data[f"{prefix}-{index}-level"] == level):
            return f"{prefix}-{index}-"
        index += 1
    raise KeyError(activity)


def shown(client, source=None):
    response = client.get(NEW, {"from": source} if source else {})
    assert response.status_code == 200
    return response.context["editor"]


def edited(client, **header):
    """The current version as the page shows it, with Gansu's county rate doubled, the county
    bonus raised to 5 and school-based capped at 40 a year."""
    data = form_data(shown(client), valid_from=day(1, 1, YEAR + 1), **header)
    county = row_key(data, "conversion", "concentrated", "county")
    data[county + "credits"] = "2"
    data[row_key(data, "conversion", "school_based") + "cap_per_year"] = "40"
    data[row_key(data, "bonus", "county", field="level") + "credits"] = "5"
    return data


def counts():
    return (RuleSet.objects.count(), ConversionRule.objects.count(), Bonus.objects.count(),
            CategoryRequirement.objects.count(), CreditEntry.objects.count(),
            AuditEvent.objects.filter(action=Action.CREDIT_RULES_VERSION).count())


# --- the pages ---------------------------------------------------------------------------------------

def test_the_bureau_sees_its_districts_versions_and_a_copy_of_the_one_in_force(world, client_for, gansu):
    client = client_for(world.bureau_officer)
    response = client.get(reverse("credits:rules"))
    assert response.status_code == 200
    assert [v.family for v in response.context["versions"]] == ["gansu"]
    assert response.context["current"].family == "gansu"
    editor = shown(client)
    shared = RuleSet.objects.get(family="gansu")
    assert editor.header.initial["valid_from"] is None
    assert world.district.name in editor.header.initial["name"]
    assert len(editor.conversions.initial) == shared.conversions.count() == 12
    assert len(editor.bonuses.initial) == 4 and len(editor.categories.initial) == 1
    assert client.get(reverse("credits:rule_detail", args=[shared.pk])).status_code == 200


@pytest.mark.parametrize("family", ["hunan", "gansu", "shaanxi", "chaoyang", "changsha"])
def test_every_shipped_family_copies_unchanged_and_validates(world, client_for, family):
    """A copy of each family's rules, untouched, passes every check of the editor."""
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = family
    world.district.save()
    client = client_for(world.bureau_officer)
    response = client.post(NEW, form_data(shown(client), valid_from=day(1, 1, YEAR + 1), preview="1"))
    assert response.status_code == 200
    editor = response.context["editor"]
    assert all(not part.errors for part in (editor.header,)), editor.header.errors
    assert not any(editor.conversions.errors) and not any(editor.bonuses.errors) and not any(editor.categories.errors)
    assert response.context["preview"] is not None and response.context["fingerprint"]


# --- the preview ------------------------------------------------------------------------------------

def test_the_preview_recounts_the_sample_under_both_versions(world, client_for, gansu):
    client = client_for(world.bureau_officer)
    response = client.post(NEW, edited(client, preview="1"))
    assert response.status_code == 200
    preview = response.context["preview"]
    rows = {row.teacher.name: row for row in preview.rows}
    assert preview.year == YEAR and set(rows) == {"甲", "乙", "丙", "丁"}
    # Under the rules in force the recount gives what the ledger has.
    assert {name: (row.ledger, row.old) for name, row in rows.items()} == {
        "甲": (D(28), D(28)), "乙": (D(30), D(30)), "丙": (D(20), D(20)), "丁": (D(30), D(30))}
    # Under the new version: 甲 24 h × 2 + 5 = 53; 乙 30 + 10 (room up to 40); 丙's refusal stays a refusal.
    assert {name: row.new for name, row in rows.items()} == {"甲": D(53), "乙": D(40), "丙": D(20), "丁": D(30)}
    assert {name: row.difference for name, row in rows.items() if row.changed} == {"甲": D(25), "乙": D(10)}
    page = response.content.decode()
    assert page.count('data-changed="1"') == 2 and 'data-testid="save"' in page


def test_the_preview_writes_nothing(world, client_for, gansu):
    client = client_for(world.bureau_officer)
    data = edited(client, preview="1")
    before = counts()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(NEW, data)
    assert response.status_code == 200 and response.context["preview"].rows
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
              and "django_session" not in q["sql"]]
    assert writes == []
    assert counts() == before


def test_the_sample_is_at_most_20_teachers_of_the_district_only(world, client_for, gansu):
    for n in range(20):
        add(make_teacher(world.school, f"教师{n:02d}"), "online", "any", 2)
    elsewhere = make_district(name="临颍县", prefix="临教师备", suffix="_x")
    elsewhere.district.credit_rule_family = "gansu"
    elsewhere.district.save()
    add(make_teacher(elsewhere.school, "外县"), "online", "any", 2)
    client = client_for(world.bureau_officer)
    preview = client.post(NEW, edited(client, preview="1")).context["preview"]
    assert preview.teachers_with_credits == 24 and len(preview.rows) == 20
    assert "外县" not in {row.teacher.name for row in preview.rows}


def test_sample_spreads_over_the_list():
    assert rule_versions.sample(list(range(5))) == [0, 1, 2, 3, 4]
    chosen = rule_versions.sample(list(range(39)))
    assert len(chosen) == len(set(chosen)) == 20 and chosen[0] == 0 and chosen[-1] == 38


def test_a_preview_without_credits_this_year_says_so(world, client_for):
    call_command("loaddata", "credit_rules", verbosity=0)
    client = client_for(world.bureau_officer)
    response = client.post(NEW, form_data(shown(client), valid_from=day(1, 1, YEAR + 1), preview="1"))
    assert response.context["preview"].rows == []
    assert gettext("No teacher of the district has credits this year yet: there is nothing to compare.") \
        in response.content.decode()


def test_recount_of_caps_and_bonuses_by_hand():
    """Pure: the recount applies the book's caps in the ledger's order (甘肃 第六条 30 a year)."""
    book = recount.RuleBook(conversions={
        ("school_based", "any"): recount.ConversionSpec(credit_rules.Conversion(D(1), D(3)), cap_per_year=D(30)),
        ("concentrated", "county"): recount.ConversionSpec(credit_rules.Conversion(D(1))),
    }, bonuses={"county": credit_rules.BonusRule(D(4))}, annual_cap=D(50))
    lines = [recount.Line(recount.RECORD, "school_based", "school", D(60)),      # 20
             recount.Line(recount.RECORD, "school_based", "school", D(45)),      # 15 → 10 (30 a year)
             recount.Line(recount.REFUSED, "concentrated", "county", D(6)),      # failed: 0
             recount.Line(recount.RECORD, "concentrated", "county", D(18)),      # 18 → 20 left of 50
             recount.Line(recount.BONUS, "concentrated", "county"),              # +4 → 0 left
             recount.Line(recount.EXEMPTION, "leave", "any", credits=D(30)),     # kept
             recount.Line(recount.RECORD, "research", "any", D(4))]              # no rule: 0
    assert recount.recount_year(lines, book) == [D(20), D(10), D(0), D(18), D(2), D(30), D(0)]


def test_a_provincial_record_keeps_the_provinces_credits_and_uses_the_year():
    """A record imported from the provincial platform is the province's figure: a recount under
    our rules keeps it, and it counts against the year's caps of what follows."""
    book = recount.RuleBook(conversions={
        ("concentrated", "county"): recount.ConversionSpec(credit_rules.Conversion(D(1))),
    }, bonuses={}, annual_cap=D(50))
    lines = [recount.Line(recount.PROVINCIAL, "concentrated", "province", D(8), credits=D(40)),  # kept
             recount.Line(recount.RECORD, "concentrated", "county", D(18))]                     # 10 left of 50
    assert recount.recount_year(lines, book) == [D(40), D(10)]


# --- saving and applying ---------------------------------------------------------------------------

def test_saving_needs_the_preview_of_exactly_what_is_saved(world, client_for, gansu):
    client = client_for(world.bureau_officer)
    before = counts()
    response = client.post(NEW, edited(client, save="1"))  # no preview yet
    assert response.status_code == 200 and counts() == before
    assert gettext("The rules changed since the preview: check the new preview, then save.") in \
        " ".join(str(m) for m in response.context["messages"])
    fingerprint = response.context["fingerprint"]
    changed = edited(client, save="1", previewed=fingerprint)
    changed[row_key(changed, "conversion", "online") + "credits"] = "3"   # changed after the preview
    assert client.post(NEW, changed).status_code == 200 and counts() == before


def test_the_bureau_saves_a_version_of_its_own(world, client_for, gansu):
    client = client_for(world.bureau_officer)
    fingerprint = client.post(NEW, edited(client, preview="1")).context["fingerprint"]
    response = client.post(NEW, edited(client, save="1", previewed=fingerprint))
    assert response.status_code == 302
    shared = RuleSet.objects.get(family="gansu", district=None)
    own = RuleSet.objects.get(district=world.district)
    assert (own.family, own.valid_from) == ("gansu", day(1, 1, YEAR + 1))
    assert own.conversions.count() == shared.conversions.count()
    assert own.conversions.get(activity="concentrated", level="county").credits == 2
    assert own.conversions.get(activity="school_based").cap_per_year == 40
    assert own.bonuses.get(level="county").credits == 5 and own.categories.get().code == "it"
    assert shared.conversions.get(activity="concentrated", level="county").credits == 1   # the shared one untouched
    event = AuditEvent.objects.get(action=Action.CREDIT_RULES_VERSION)
    assert event.actor == world.bureau_officer and event.district_id == world.district.pk
    assert own.name in event.summary
    assert response.url == reverse("credits:rule_detail", args=[own.pk])


def test_saving_starts_a_recount_of_every_teacher_as_a_job(world, client_for, gansu):
    """After the save, a background job recounts every teacher (not a sample) under the version
    before and the new one, into a workbook the officer downloads from the job."""
    import io

    from openpyxl import load_workbook

    from credits import tasks
    from jobs.models import Job

    client = client_for(world.bureau_officer)
    fingerprint = client.post(NEW, edited(client, preview="1")).context["fingerprint"]
    client.post(NEW, edited(client, save="1", previewed=fingerprint))
    job = Job.objects.get(kind=tasks.RECOUNT_KIND)
    assert (job.owner, job.state, job.done, job.total) == (world.bureau_officer, Job.State.DONE, 4, 4)
    download = client.get(reverse("jobs:download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = {row[1]: row[2:6] for row in sheet.iter_rows(min_row=3, max_row=6, values_only=True)}
    assert rows == {"甲": (28, 28, 53, 25), "乙": (30, 30, 40, 10), "丙": (20, 20, 20, 0), "丁": (30, 30, 30, 0)}
    assert client_for(world.training_officer).get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_a_new_version_applies_from_its_date_and_old_lines_keep_theirs(world, client_for, gansu):
    client = client_for(world.bureau_officer)
    fingerprint = client.post(NEW, edited(client, preview="1")).context["fingerprint"]
    client.post(NEW, edited(client, save="1", previewed=fingerprint))
    shared, own = RuleSet.objects.get(district=None, family="gansu"), RuleSet.objects.get(district=world.district)
    # Lines written before keep the version that made them, and their figures.
    assert set(CreditEntry.objects.values_list("rule_set", flat=True)) == {shared.pk}
    teacher = gansu["甲"]
    before = services.ledger_add(teacher=teacher, activity="concentrated", level="county", hours=10,
                                 occurred_on=day(12, 31), description="岁末", source="declaration")
    after = services.ledger_add(teacher=teacher, activity="concentrated", level="county", hours=10,
                                occurred_on=day(1, 1, YEAR + 1), description="新年", source="declaration")
    assert (before[0].rule_set, before[0].credits) == (shared, D(10))
    assert (after[0].rule_set, after[0].credits) == (own, D(20))
    assert services.rule_set_for(world.district, day(1, 1, YEAR + 1)) == own
    assert services.year_rule_set(world.district, YEAR) == shared
    # Another district counting by Gansu's rules keeps the shared version.
    elsewhere = make_district(name="临颍县", prefix="临教师备", suffix="_x")
    elsewhere.district.credit_rule_family = "gansu"
    elsewhere.district.save()
    assert services.rule_set_for(elsewhere.district, day(6, 1, YEAR + 1)) == shared


def test_a_districts_own_version_wins_a_tie_and_follows_its_family(world):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "gansu"
    world.district.save()
    shared = RuleSet.objects.get(family="gansu")
    own = RuleSet.objects.create(family="gansu", district=world.district, name="甘肃（本区）",
                                 valid_from=shared.valid_from, cycle_start_year=2011, annual_minimum=30,
                                 cycle_minimum=360)
    assert services.rule_set_for(world.district, day(6, 1)) == own
    world.district.credit_rule_family = "hunan"   # a version of another family is not the district's any more
    world.district.save()
    assert services.rule_set_for(world.district, day(6, 1)).family == "hunan"



def test_the_versions_read_once_are_chosen_as_the_query_chooses(world):
    """The school credit page reads the district's versions once for today's and the year's
    (services.district_rule_sets, issue 14): the same version as rule_set_for's own query on
    every day, ties and other families included, and the same refusal before the first."""
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "gansu"
    world.district.save()
    shared = RuleSet.objects.get(family="gansu")
    for valid_from in (shared.valid_from, shared.valid_from.replace(year=shared.valid_from.year + 3)):
        RuleSet.objects.create(family="gansu", district=world.district, name=f"甘肃（本区）{valid_from}",
                               valid_from=valid_from, cycle_start_year=2011, annual_minimum=30, cycle_minimum=360)
    rule_sets = services.district_rule_sets(world.district)
    first = shared.valid_from
    for offset in range(-40, 6 * 366, 9):
        when = first + datetime.timedelta(days=offset)
        if when < first:
            with pytest.raises(ValidationError):
                services.rule_set_for(world.district, when, rule_sets)
            continue
        assert services.rule_set_for(world.district, when, rule_sets) == services.rule_set_for(world.district, when)

# --- who may ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["training_officer", "school_officer", "principal", "teacher", "expert1"])
def test_only_the_bureau_edits_its_rules(world, client_for, gansu, who):
    client = client_for(getattr(world, who))
    shared = RuleSet.objects.get(family="gansu")
    before = counts()
    for page in (reverse("credits:rules"), NEW, reverse("credits:rule_detail", args=[shared.pk])):
        assert client.get(page).status_code == 403
    bureau_page = form_data(shown(client_for(world.bureau_officer)), valid_from=day(1, 1, YEAR + 1), save="1")
    assert client.post(NEW, bureau_page).status_code == 403
    assert counts() == before


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get(NEW)
    assert response.status_code == 302 and reverse("login") in response.url


def test_another_districts_bureau_neither_sees_nor_copies_this_districts_version(world, client_for, gansu):
    client = client_for(world.bureau_officer)
    fingerprint = client.post(NEW, edited(client, preview="1")).context["fingerprint"]
    client.post(NEW, edited(client, save="1", previewed=fingerprint))
    own = RuleSet.objects.get(district=world.district)
    elsewhere = make_district(name="临颍县", prefix="临教师备", suffix="_x")
    elsewhere.district.credit_rule_family = "gansu"
    elsewhere.district.save()
    other = client_for(elsewhere.bureau_officer)
    assert other.get(reverse("credits:rule_detail", args=[own.pk])).status_code == 404
    assert other.get(NEW, {"from": own.pk}).status_code == 404
    assert own not in other.get(reverse("credits:rules")).context["versions"]
    # A version of another family is not offered either.
    hunan = RuleSet.objects.get(family="hunan")
    assert client.get(reverse("credits:rule_detail", args=[hunan.pk])).status_code == 404
    assert client.get(NEW, {"from": "abc"}).status_code == 400


def test_in_the_admin_the_bureau_reads_only_shared_and_its_own_versions(world, client_for, gansu):
    client = client_for(world.bureau_officer)
    fingerprint = client.post(NEW, edited(client, preview="1")).context["fingerprint"]
    client.post(NEW, edited(client, save="1", previewed=fingerprint))
    own = RuleSet.objects.get(district=world.district)
    elsewhere = make_district(name="临颍县", prefix="临教师备", suffix="_x")
    other = client_for(elsewhere.bureau_officer)
    assert other.get(reverse("admin:credits_ruleset_change", args=[own.pk])).status_code in (302, 404)
    assert own not in other.get(reverse("admin:credits_ruleset_changelist")).context["cl"].result_list
    assert client.get(reverse("admin:credits_ruleset_change", args=[own.pk])).status_code == 200


# --- bad input: Chinese messages, nothing saved -------------------------------------------------------

def _bad(data, case):
    county = row_key(data, "conversion", "concentrated", "county")
    if case == "no_valid_from":
        data["valid_from"] = ""
        return "valid_from", gettext("This field is required.")
    if case == "not_later":
        data["valid_from"] = "2011-01-01"
        return "valid_from", None  # ERROR_NOT_LATER, checked below
    if case == "negative":
        data[county + "credits"] = "-1"
        return "conversions", None
    if case == "too_many_an_hour":
        data[county + "credits"] = "11"
        return "conversions", gettext("A rule can give at most %(rate)s credits an hour.") % {"rate": 10}
    if case == "duplicate":
        data[row_key(data, "conversion", "concentrated", "city") + "level"] = "county"
        return "conversions", gettext("Two conversion rules are for %(activity)s at the level “%(level)s”: "
                                      "keep one.") % {"activity": gettext("Concentrated training"),
                                                      "level": gettext("County")}
    if case == "unknown_category":
        data[county + "category"] = "nosuch"
        return "conversions", gettext("No category minimum below has the code “%(code)s”: add it, or leave the "
                                      "category empty.") % {"code": "nosuch"}
    if case == "bonus_both":
        data[row_key(data, "bonus", "city", field="level") + "percent"] = "20"
        return "bonuses", gettext("Give either flat credits or a percentage, not both.")
    if case == "cap_below_minimum":
        data["annual_cap"] = "10"
        return "annual_cap", gettext("The yearly maximum cannot be below the yearly minimum.")
    if case == "not_a_number":
        data["annual_minimum"] = "三十"
        return "annual_minimum", gettext("Enter a number.")
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["no_valid_from", "not_later", "negative", "too_many_an_hour", "duplicate",
                                  "unknown_category", "bonus_both", "cap_below_minimum", "not_a_number"])
@pytest.mark.parametrize("action", ["preview", "save"])
def test_bad_input_is_refused_with_a_chinese_message_and_nothing_saved(world, client_for, gansu, case, action):
    client = client_for(world.bureau_officer)
    data = edited(client)
    where, message = _bad(data, case)
    if case == "not_later":
        # The form alone cannot know it: the preview passes, the save is refused.
        fingerprint = client.post(NEW, {**data, "preview": "1"}).context["fingerprint"]
        data["previewed"] = fingerprint
        action = "save"
    before = counts()
    response = client.post(NEW, {**data, action: "1"})
    assert response.status_code == 200
    assert counts() == before
    editor = response.context["editor"]
    assert response.context["preview"] is None or case == "not_later"
    if where in editor.header.fields:
        errors = editor.header.errors[where]
    else:
        formset = getattr(editor, where)
        errors = list(formset.non_form_errors()) + [e for form_errors in formset.errors
                                                   for messages in form_errors.values() for e in messages]
    assert errors
    if case == "not_later":
        shared = RuleSet.objects.get(family="gansu")
        from django.utils.formats import date_format
        message = str(rule_versions.ERROR_NOT_LATER % {"name": shared.name,
                                                       "date": date_format(shared.valid_from, "DATE_FORMAT")})
    if message:
        assert message in errors, errors


# --- racing saves ---------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_racing_saves_of_the_same_day_make_one_version():
    from django.core.exceptions import ValidationError
    from django.test import Client

    from credits.rule_forms import RuleEditor
    from tests.race_helpers import race_calls

    call_command("loaddata", "credit_rules", verbosity=0)
    world = make_district()
    world.district.credit_rule_family = "gansu"
    world.district.save()
    client = Client()
    client.force_login(world.bureau_officer)
    data = form_data(shown(client), valid_from=day(1, 1, YEAR + 1))

    def save():
        editor = RuleEditor(data)
        assert editor.is_valid()
        rule_set, conversions, bonuses, categories = editor.objects()
        return rule_versions.version_save(user=world.bureau_officer, rule_set=rule_set, conversions=conversions,
                                          bonuses=bonuses, categories=categories)

    results = race_calls([save] * 3)

    saved = [r for r in results if isinstance(r, RuleSet)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(saved) == 1 and len(refused) == 2, results
    assert RuleSet.objects.filter(district=world.district).count() == 1
    assert ConversionRule.objects.filter(rule_set=saved[0]).count() == 12
