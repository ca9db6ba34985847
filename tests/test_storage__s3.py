"""Private files on an S3-compatible object store: a local S3 server (moto's, an emulator)
is started on loopback for these tests, with a private bucket, and STORAGES["default"] is
the django-storages S3 backend configured exactly as production's environment variables
configure it (config.storage.default_storage_from_env).

moto answers the S3 API but does not enforce signatures or expiry of presigned URLs
(checked: an expired or tampered URL still answers 200), so the tests check what the app
controls: every download is behind the permission check, the redirect is a SigV4-signed
URL that says it expires in 300 s, and an unsigned URL to the object is refused (403)."""
import hashlib
import socket
import urllib.error
import urllib.request
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from config.storage import SIGNED_URL_SECONDS, default_storage_from_env
from plans.models import Attachment
from printing.models import StoredRendering
from tests.attendance_helpers import make_teacher_with_login
from tests.factories import make_annual_plan, make_district
from tests.test_credits__registration import declared
from tests.test_forms__bad_input import proposal_data
from tests.test_printing import approve

pytestmark = pytest.mark.django_db
BUCKET = "trainingplans-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    environ = {"STORAGE_S3_BUCKET": BUCKET, "STORAGE_S3_ENDPOINT_URL": endpoint,
               "STORAGE_S3_ACCESS_KEY_ID": "test-key", "STORAGE_S3_SECRET_ACCESS_KEY": "test-secret",
               "STORAGE_S3_REGION": "us-east-1", "STORAGE_S3_ADDRESSING_STYLE": "path"}
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test-key",
                          aws_secret_access_key="test-secret", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield {"environ": environ, "client": client, "endpoint": endpoint}
    server.stop()


@pytest.fixture
def s3(s3_server, settings):
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_from_env(s3_server["environ"])}
    yield s3_server


def keys(s3, prefix):
    listing = s3["client"].list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def assert_signed_short_lived(s3, url):
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == s3["endpoint"] and parts.path.startswith(f"/{BUCKET}/")
    query = parse_qs(parts.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Signature"][0]
    assert query["X-Amz-Expires"] == [str(SIGNED_URL_SECONDS)] and SIGNED_URL_SECONDS <= 300
    # the object itself is private: without the signature the store refuses it
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(f"{parts.scheme}://{parts.netloc}{parts.path}")
    assert refused.value.code == 403


def test_settings_select_the_s3_backend_only_with_a_bucket():
    assert default_storage_from_env({})["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    chosen = default_storage_from_env({"STORAGE_S3_BUCKET": "b", "STORAGE_S3_ENDPOINT_URL": "https://s3.local"})
    assert chosen["BACKEND"] == "storages.backends.s3.S3Storage"
    options = chosen["OPTIONS"]
    assert options["querystring_auth"] is True and options["default_acl"] is None
    assert options["querystring_expire"] == SIGNED_URL_SECONDS and options["addressing_style"] == "path"


def test_attachment_uploads_to_the_bucket_and_downloads_by_signed_redirect(world, client_for, s3):
    data = proposal_data()
    data["attachment-file"] = SimpleUploadedFile("预算.pdf", b"%PDF-1.7 budget")
    assert client_for(world.school_officer).post(reverse("plans:create", args=["project_proposal"]), data).status_code == 302
    attachment = Attachment.objects.get()
    assert keys(s3, "attachments/") == [attachment.file.name]

    url = reverse("plans:attachment", args=[attachment.document_id, attachment.pk])
    response = client_for(world.principal).get(url)  # the same school may read it
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    assert_signed_short_lived(s3, response["Location"])
    assert fetch(response["Location"]) == (200, b"%PDF-1.7 budget")
    disposition = parse_qs(urlsplit(response["Location"]).query)["response-content-disposition"][0]
    assert disposition.startswith("attachment;") and "%E9%A2%84%E7%AE%97.pdf" in disposition

    # another school, an unassigned expert, another district: 404, no link at all
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    for user in (world.other_school_officer, world.expert1, elsewhere.bureau_officer):
        refused = client_for(user).get(url)
        assert refused.status_code == 404 and "Location" not in refused


def test_missing_object_is_404_not_a_dead_link(world, client_for, s3):
    data = proposal_data()
    data["attachment-file"] = SimpleUploadedFile("预算.pdf", b"%PDF-1.7 budget")
    client_for(world.school_officer).post(reverse("plans:create", args=["project_proposal"]), data)
    attachment = Attachment.objects.get()
    s3["client"].delete_object(Bucket=BUCKET, Key=attachment.file.name)
    url = reverse("plans:attachment", args=[attachment.document_id, attachment.pk])
    assert client_for(world.school_officer).get(url).status_code == 404


def test_certificate_is_served_by_signed_redirect_to_its_readers_only(world, client_for, s3):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()
    teacher = make_teacher_with_login(world.school, "t_s3", name="周芳芳")
    declaration = declared(world, client_for, teacher)
    assert keys(s3, f"certificates/{teacher.pk}/") == [declaration.certificate.name]
    url = reverse("credits:declaration_certificate", args=[declaration.pk])
    response = client_for(teacher.user).get(url)
    assert response.status_code == 302
    assert_signed_short_lived(s3, response["Location"])
    assert fetch(response["Location"])[1].startswith(b"%PDF-1.4 certificate")
    assert client_for(world.other_school_officer).get(url).status_code == 404


def test_stored_pdf_is_saved_in_the_bucket_and_served_verified(world, client_for, s3,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plan = approve(world, client_for, make_annual_plan(world, projects=3), "建教师备〔2024〕21号")
    rendering = StoredRendering.objects.get(document=plan)
    assert keys(s3, f"renderings/{plan.pk}/") == [rendering.file.name]
    stored = s3["client"].get_object(Bucket=BUCKET, Key=rendering.file.name)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == rendering.sha256 and len(stored) == rendering.size

    with mock.patch("printing.services.render_pdf", side_effect=AssertionError("rendered again")):
        response = client_for(world.training_officer).get(reverse("printing:pdf", args=[plan.pk]))
    assert response.status_code == 200 and response.content == stored
    assert client_for(world.other_school_officer).get(reverse("printing:pdf", args=[plan.pk])).status_code == 404

    # the object lost from the bucket: rendered again and stored again
    s3["client"].delete_object(Bucket=BUCKET, Key=rendering.file.name)
    response = client_for(world.training_officer).get(reverse("printing:pdf", args=[plan.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    rendering.refresh_from_db()
    assert keys(s3, f"renderings/{plan.pk}/") == [rendering.file.name]
