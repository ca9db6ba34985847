"""Background work of credits: the district's credit export (a job its officer follows)."""
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from accounts.models import District
from jobs import services as jobs

EXPORT_KIND = "district_credits_export"


def district_export_start(*, user, district, year: int, title: str):
    return jobs.job_start(owner=user, kind=EXPORT_KIND, title=_("Export: %(title)s") % {"title": title},
                          task=district_credits_export, params={"district": district.pk, "year": year})


def _district_export(run: jobs.JobRun) -> None:
    from . import selectors
    from .ledger_views import _district_xlsx

    run.progress(0, 1)
    district = District.objects.get(pk=run.params["district"])
    report = selectors.district_completion(district, run.params["year"])
    run.progress(1)
    response = _district_xlsx(report)
    run.finish_response(response, f"{district.name} {run.params['year']}.xlsx")


@task()
def district_credits_export(job_id: int, token: str) -> str:
    return jobs.run(job_id, token, _district_export)


# --- after a new version of the rules: every teacher recounted ------------------------------

RECOUNT_KIND = "rules_recount"


def recount_start(*, user, rule_set):
    """Recount the current credit year of every teacher of the district with credits under the
    version before `rule_set` and under `rule_set` (the rule editor's preview, for everyone)."""
    return jobs.job_start(owner=user, kind=RECOUNT_KIND,
                          title=_("Recount under “%(name)s”") % {"name": rule_set.name},
                          task=rules_recount, params={"rule_set": rule_set.pk})


def _recount(run: jobs.JobRun) -> None:
    import datetime

    from core.xlsx import percent_cell, report_response, yes_cell

    from . import rule_versions
    from .ledger_views import year_label
    from .models import Bonus, RuleSet

    new = RuleSet.objects.select_related("district").get(pk=run.params["rule_set"])
    district = new.district
    before = rule_versions.in_force(district, new.valid_from - datetime.timedelta(days=1))
    if before is None:
        raise jobs.JobError(ERROR_NOTHING_BEFORE)
    preview = rule_versions.preview(
        district, new, list(new.conversions.all()), list(new.bonuses.filter(kind=Bonus.Kind.EXCELLENT_TRAINEE)),
        current=before, everyone=True, progress=run.progress)
    run.progress(len(preview.rows), len(preview.rows))
    title = _("Recount of %(year)s: “%(old)s” and “%(new)s”") % {
        "year": year_label(preview.year), "old": before.name, "new": new.name}
    columns = [_("School"), _("Teacher"), _("Credits in the ledger"), _("Under the rules in force"),
               _("Under the new version"), _("Difference"), _("Short before"), _("Short after")]
    rows = [[row.teacher.organisation.name, row.teacher.name, row.ledger, row.old, row.new, row.difference,
             yes_cell(row.short_old), yes_cell(row.short_new)] for row in preview.rows]
    changed = len(preview.changed)
    summary = [(_("Teachers recounted"), len(preview.rows)), (_("Teachers whose credits change"), changed),
               (_("Share changed (%)"), percent_cell(changed * 100 / len(preview.rows)) if preview.rows else None)]
    run.finish_response(report_response(title, columns, rows, summary, sheet_title=_("Recount")),
                        f"{new.name}.xlsx")


ERROR_NOTHING_BEFORE = _("There is no earlier version to compare the new one with.")


@task()
def rules_recount(job_id: int, token: str) -> str:
    return jobs.run(job_id, token, _recount)


# --- 准予结业: a school's cycle confirmed by the bureau ------------------------------------------

CYCLE_CLOSE_KIND = "cycle_close"


def cycle_close_start(*, user, organisation, year: int, figures: str):
    """Confirm the cycle holding `year` for the school (credits.services.cycle_close) in a job.
    One job per school and cycle: while one waits or runs, a second click, another tab or
    another officer of the bureau gets that job (the school's row is locked meanwhile)."""
    from accounts.models import Organisation

    from .ledger_views import cycle_label
    from .selectors import year_rule_set

    cycle = year_rule_set(organisation.district, year).cycle_of(year)
    return jobs.job_start(
        owner=user, kind=CYCLE_CLOSE_KIND, task=cycle_close,
        title=_("Cycle completion: %(school)s, %(cycle)s") % {"school": organisation.name,
                                                               "cycle": cycle_label(cycle)},
        params={"organisation": organisation.pk, "year": cycle[1], "figures": figures},
        shared_lock=Organisation.objects.filter(pk=organisation.pk), same=("organisation", "year"))


def cycle_close_waiting(*, organisation, year: int):
    """The school's close job of the cycle whose last year is `year` while it waits or runs, or None."""
    from jobs.models import Job

    for job in Job.objects.filter(kind=CYCLE_CLOSE_KIND, state__in=[Job.State.QUEUED, Job.State.RUNNING],
                                  cancel_requested=False).select_related("owner").order_by("-pk"):
        if job.params.get("organisation") == organisation.pk and job.params.get("year") == year:
            return job
    return None


def _cycle_close(run: jobs.JobRun) -> None:
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction

    from accounts.models import Organisation
    from core.xlsx import report_response

    from . import services
    from .ledger_views import cycle_label
    from .selectors import year_rule_set

    run.progress(0, 3)
    organisation = Organisation.objects.select_related("district").get(pk=run.params["organisation"])
    user = get_user_model().objects.get(pk=run.job.owner_id)
    # The closures and the job's end in one transaction: a worker lost before the commit
    # leaves nothing, and the next attempt confirms the cycle once (never twice).
    with transaction.atomic():
        try:
            created = services.cycle_close(organisation=organisation, year=run.params["year"], user=user,
                                           figures=run.params["figures"], progress=run.progress)
        except PermissionDenied:
            raise jobs.JobError(ERROR_MAY_NOT_CONFIRM) from None
        except ValidationError as error:
            raise jobs.JobError(error.error_list[0].message) from None
        passed = sum(closure.passed for closure in created)
        cycle = year_rule_set(organisation.district, run.params["year"]).cycle_of(run.params["year"])
        title = _("Cycle completion: %(school)s, %(cycle)s") % {"school": organisation.name,
                                                                 "cycle": cycle_label(cycle)}
        columns = [_("Teacher"), _("Credits in the cycle"), _("Cycle requirement"), _("Completed the cycle"),
                   _("Not met")]
        rows = [[c.teacher.name, c.total, c.required, str(_("Yes") if c.passed else _("No")), c.missing]
                for c in sorted(created, key=lambda c: (c.teacher.name, c.teacher.pk))]
        summary = [(_("Teachers"), len(created)), (_("Completed the cycle"), passed)]
        run.finish_response(report_response(title, columns, rows, summary, sheet_title=_("Cycle completion")),
                            f"{organisation.name} {run.params['year']}.xlsx")


ERROR_MAY_NOT_CONFIRM = _("Only a bureau officer of the school's district may confirm its cycle.")


@task()
def cycle_close(job_id: int, token: str) -> str:
    return jobs.run(job_id, token, _cycle_close)
