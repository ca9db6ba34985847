"""Stored renderings: a filed document is rendered once, when it is filed, and served from
storage after that (checksum verified); drafts render live with the watermark."""
import hashlib
import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from printing import services
from printing.models import StoredRendering
from tests.factories import make_annual_plan, make_school_plan
from tests.flow_helpers import submit
from tests.test_printing import approve, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(world, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return approve(world, client_for, make_annual_plan(world, projects=3), "建教师备〔2024〕31号")


def counting_renderer():
    return mock.patch("printing.services.render_pdf", wraps=services.render_pdf)


def download(client, document):
    response = client.get(reverse("printing:pdf", args=[document.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response.content


def test_filing_stores_exactly_one_rendering(filed):
    rendering = StoredRendering.objects.get()
    assert rendering.document == filed and rendering.version == filed.version
    data = rendering.file.read()
    assert hashlib.sha256(data).hexdigest() == rendering.sha256 and rendering.size == len(data)
    text = text_of(PdfReader(io.BytesIO(data)))
    assert "建教师备〔2024〕31号" in text and "同意备案。" in text  # the filing's own trail entry is printed
    assert "草稿" not in text


def test_downloads_of_a_filed_document_do_not_render(world, client_for, filed):
    stored = StoredRendering.objects.get().file.read()
    with counting_renderer() as renderer:
        first = download(client_for(world.training_officer), filed)
        second = download(client_for(world.bureau_officer), filed)
    assert renderer.call_count == 0
    assert first == second == stored
    assert StoredRendering.objects.count() == 1


def test_batch_concatenates_stored_pdfs(world, filed):
    with counting_renderer() as renderer:
        merged = PdfReader(io.BytesIO(services.documents_pdf([filed])))
    assert renderer.call_count == 0
    assert "建教师备〔2024〕31号" in text_of(merged)


def test_draft_renders_live_with_the_watermark_every_time(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    with counting_renderer() as renderer:
        for _ in range(2):
            text = text_of(PdfReader(io.BytesIO(download(client_for(world.school_officer), document))))
            assert "草稿 · 未经审批" in text
    assert renderer.call_count == 2
    assert not StoredRendering.objects.exists()


def test_missing_file_is_rendered_again_once(world, client_for, filed):
    rendering = StoredRendering.objects.get()
    rendering.file.storage.delete(rendering.file.name)
    with counting_renderer() as renderer:
        data = download(client_for(world.training_officer), filed)
        again = download(client_for(world.training_officer), filed)
    assert renderer.call_count == 1 and data == again
    rendering.refresh_from_db()
    assert rendering.file.storage.exists(rendering.file.name)
    assert hashlib.sha256(rendering.file.read()).hexdigest() == rendering.sha256
    assert StoredRendering.objects.count() == 1


def test_damaged_file_is_never_served(world, client_for, filed):
    rendering = StoredRendering.objects.get()
    with rendering.file.storage.open(rendering.file.name, "wb") as handle:
        handle.write(b"%PDF-1.7 tampered")
    with counting_renderer() as renderer:
        data = download(client_for(world.training_officer), filed)
    assert renderer.call_count == 1 and data != b"%PDF-1.7 tampered"
    rendering.refresh_from_db()
    assert hashlib.sha256(rendering.file.read()).hexdigest() == rendering.sha256 == hashlib.sha256(data).hexdigest()


def test_backfill_command_stores_what_is_missing(world, client_for, filed):
    StoredRendering.objects.all().delete()
    call_command("store_renderings", verbosity=0)
    assert StoredRendering.objects.filter(document=filed).count() == 1
    with counting_renderer() as renderer:
        call_command("store_renderings", verbosity=0)  # nothing left to do
    assert renderer.call_count == 0 and StoredRendering.objects.count() == 1
