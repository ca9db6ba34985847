"""Background work of audit: the export of the filtered trail (a job the bureau officer follows;
a district's trail grows by the hundred thousand)."""
import datetime

from django.utils.translation import gettext_lazy as _
from django_tasks import task

from jobs import services as jobs

EXPORT_KIND = "audit_export"


def export_start(*, user, fmt: str, filters: dict):
    params = {key: value.isoformat() if isinstance(value, datetime.date) else value
              for key, value in filters.items()}
    return jobs.job_start(owner=user, kind=EXPORT_KIND, title=_("Export of the audit trail (%(format)s)") % {
        "format": fmt.upper()}, task=audit_export, params={"format": fmt, "filters": params})


def _export(run: jobs.JobRun) -> None:
    from . import exports
    from .selectors import event_list

    filters = dict(run.params["filters"])
    for key in ("date_from", "date_to"):
        if filters.get(key):
            filters[key] = datetime.date.fromisoformat(filters[key])
    events = event_list(user=run.job.owner, **filters)
    run.progress(0, 1)
    fmt = run.params["format"]
    response = exports.EXPORTERS[fmt](events)
    run.progress(1)
    run.finish_response(response, exports._filename(fmt))


@task()
def audit_export(job_id: int, token: str) -> str:
    return jobs.run(job_id, token, _export)
