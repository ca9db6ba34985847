"""The export in the provincial layout: a background job its officer follows (jobs app)."""
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from accounts.models import District, Organisation
from jobs import services as jobs

EXPORT_KIND = "provincial_export"


def export_start(*, user, district, year: int, school=None):
    title = _("Provincial layout: %(scope)s, %(year)s") % {"scope": (school or district).name, "year": year}
    return jobs.job_start(owner=user, kind=EXPORT_KIND, title=_("Export: %(title)s") % {"title": title},
                          task=provincial_export,
                          params={"district": district.pk, "year": year, "school": school.pk if school else None})


def _export(run: jobs.JobRun) -> None:
    from core.xlsx import xlsx_response

    from . import services

    run.progress(0, 1)
    district = District.objects.get(pk=run.params["district"])
    school = Organisation.objects.get(pk=run.params["school"]) if run.params.get("school") else None
    year = run.params["year"]
    workbook = services.export_workbook(district, year, school)
    run.progress(1)
    run.finish_response(xlsx_response(workbook, "export.xlsx"), services.export_filename(district, year, school))


@task()
def provincial_export(job_id: int, token: str) -> str:
    return jobs.run(job_id, token, _export)
