"""Batch printing as a background job (jobs.services): one PDF of every chosen approved
document, or a zip of one PDF each. Each document's PDF is an item of the job, kept until
the end, so a worker lost in the middle costs only the document it was on: the next attempt
skips the documents done and the result holds each document once, in the chosen order."""
import io
import zipfile

from django.utils.translation import gettext_lazy as _
from django_tasks import task

from jobs import services as jobs
from plans.models import Document

from . import services

KIND = "batch_print"
ERROR_NOTHING_LEFT = _("None of the chosen documents can be printed any more.")


def batch_print_start(*, user, documents, fmt: str, name: str):
    """Start printing `documents` (a queryset, already scoped and ordered) as a job of `user`."""
    ids = list(documents.values_list("pk", flat=True))
    title = _("Batch print: %(name)s (%(count)s documents)") % {"name": name, "count": len(ids)}
    return jobs.job_start(owner=user, kind=KIND, title=title, task=batch_print,
                          params={"documents": ids, "format": fmt, "name": name})


def _batch_print(run: jobs.JobRun) -> None:
    ids = run.params["documents"]
    fmt = run.params["format"]
    found = Document.objects.filter(pk__in=ids, status=Document.Status.APPROVED).select_related(
        "organisation__district", "organisation__city", "organisation__province", "created_by").in_bulk()
    ordered = [pk for pk in ids if pk in found]
    if not ordered:
        raise jobs.JobError(ERROR_NOTHING_LEFT)
    for position, key in run.each(ordered):
        document = found[int(key)]
        run.item_done(position, key, services.document_pdf_bytes(document))
    names = {document.pk: services.pdf_filename(document) for document in found.values()}
    if fmt == "zip":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for key, content in run.parts():
                archive.writestr(names[int(key)], content)
        run.finish(out.getvalue(), f"{run.params['name']}.zip", "application/zip")
    else:
        run.finish(services.merge_pdfs(content for _key, content in run.parts()), f"{run.params['name']}.pdf",
                   "application/pdf")


@task()
def batch_print(job_id: int, token: str) -> str:
    return jobs.run(job_id, token, _batch_print)


@task()
def store_rendering(document_id: int) -> None:
    """Render a filed document's PDF once and keep it (enqueued when the document is filed)."""
    document = Document.objects.filter(pk=document_id, status=Document.Status.APPROVED).first()
    if document is not None:
        services.stored_rendering_ensure(document)
