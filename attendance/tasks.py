"""Background work of attendance: the district's attendance export (a job its officer follows)."""
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from accounts.models import District
from jobs import services as jobs

EXPORT_KIND = "district_attendance_export"


def district_export_start(*, user, district, year: int, title: str):
    return jobs.job_start(owner=user, kind=EXPORT_KIND, title=_("Export: %(title)s") % {"title": title},
                          task=district_attendance_export, params={"district": district.pk, "year": year})


def _district_export(run: jobs.JobRun) -> None:
    from . import reports
    from .report_views import _district_xlsx

    run.progress(0, 1)
    district = District.objects.get(pk=run.params["district"])
    report = reports.district_report(district, run.params["year"])
    run.progress(1)
    run.finish_response(_district_xlsx(report), f"{district.name} {run.params['year']}.xlsx")


@task()
def district_attendance_export(job_id: int, token: str) -> str:
    return jobs.run(job_id, token, _district_export)
