"""Following a page that starts a background job (jobs app) to its result: in tests the
tasks run inside enqueue() (the immediate backend, config/settings/test.py), so the job is
finished when the page answers with its redirect."""
from django.http import HttpResponse
from django.urls import resolve


def started_job(response):
    from jobs.models import Job

    assert response.status_code == 302, response.status_code
    match = resolve(response["Location"])
    assert match.view_name == "jobs:detail", response["Location"]
    return Job.objects.get(pk=match.kwargs["pk"])


def job_result(client, response):
    """The download of the job `response` started (asserting it finished well)."""
    job = started_job(response)
    assert job.state == "done", (job.state, job.error)
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    # As an ordinary response, for the helpers that read .content.
    response = HttpResponse(b"".join(download.streaming_content), content_type=download["Content-Type"])
    response["Content-Disposition"] = download["Content-Disposition"]
    return response


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF whose text is `text` (ASCII): a stand-in for a document's rendering
    where the test is about the job around it, not the layout (WeasyPrint takes seconds)."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=100)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({
        NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 10 50 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fast_document_pdf(document) -> bytes:
    return tiny_pdf(f"DOC-{document.pk}")


def pdf_page_texts(content: bytes) -> list[str]:
    import io

    from pypdf import PdfReader

    return [page.extract_text().strip() for page in PdfReader(io.BytesIO(content)).pages]


def post_query(client, url: str, query: dict | None = None):
    """POST an export button's form: the filters in the URL's query, as the page's form sends
    them (exports that start a job answer only POST; a GET is a 405)."""
    from urllib.parse import urlencode

    return client.post(url + ("?" + urlencode(query) if query else ""))
