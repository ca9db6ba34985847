"""Following a page that starts a background job (jobs app) to its result: in tests the
tasks run inside enqueue() (the immediate backend, config/settings/test.py), so the job is
finished when the page answers with its redirect."""
from django.http import HttpResponse
from django.urls import resolve

from jobs.models import Job


def started_job(response) -> Job:
    assert response.status_code == 302, response.status_code
    match = resolve(response["Location"])
    assert match.view_name == "jobs:detail", response["Location"]
    return Job.objects.get(pk=match.kwargs["pk"])


def job_result(client, response):
    """The download of the job `response` started (asserting it finished well)."""
    job = started_job(response)
    assert job.state == Job.State.DONE, (job.state, job.error)
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    # As an ordinary response, for the helpers that read .content.
    response = HttpResponse(b"".join(download.streaming_content), content_type=download["Content-Type"])
    response["Content-Disposition"] = download["Content-Disposition"]
    return response
