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
