"""Another school's document, by every URL kind, is refused; lists never show it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from plans.models import Attachment
from tests.factories import make_district, make_school_plan
from tests.flow_helpers import claim_and_decide, open_task, submit, task_url

pytestmark = pytest.mark.django_db
REFUSED = (403, 404)


@pytest.fixture
def reviewed(world, client_for):
    """School A's plan, in expert review with expert1, with an attachment."""
    document = make_school_plan(world)
    Attachment.objects.create(
        document=document, file=SimpleUploadedFile("经费预算.pdf", b"%PDF-1.4 test"),
        original_name="经费预算.pdf", size=13, uploaded_by=world.school_officer,
    )
    submit(client_for(world.school_officer), document)
    claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk], "comment": "",
    })
    return document


def _document_urls(document):
    attachment = document.attachments.get()
    return {
        "detail": reverse("plans:detail", args=[document.pk]),
        "edit": reverse("plans:edit", args=[document.pk]),
        "attachment": reverse("plans:attachment", args=[document.pk, attachment.pk]),
    }


def _task_urls(task):
    return {action: task_url(task, action) for action in ("index", "detail", "execute", "assign", "unassign")}


def _process_urls(process_pk):
    return {
        "process_detail": reverse("review:process_detail", args=[process_pk]),
        "process_chart": reverse("review:process_chart", args=[process_pk]),
        "process_cancel": reverse("review:process_cancel", args=[process_pk]),
    }


@pytest.mark.parametrize("outsider", ["other_school_officer", "principal_elsewhere", "unassigned_expert", "teacher"])
def test_outsiders_are_refused_on_every_url(world, client_for, reviewed, outsider):
    from accounts.services import user_create

    users = {
        "other_school_officer": world.other_school_officer,
        "principal_elsewhere": user_create(username="p2", password="x-pass-123", full_name="吴校长",
                                           role="principal", organisation=world.other_school),
        "unassigned_expert": world.expert2,
        "teacher": world.teacher,
    }
    client = client_for(users[outsider])
    task = open_task(reviewed, "expert_review")
    urls = {**_document_urls(reviewed), **_task_urls(task), **_process_urls(task.process_id)}
    for name, url in urls.items():
        assert client.get(url).status_code in REFUSED, (name, url)
        assert client.post(url, {"opinion": "agree", "score": 99, "comment": "x"}).status_code in REFUSED, (name, url)
    assert client.post(reverse("plans:submit", args=[reviewed.pk])).status_code in REFUSED
    reviewed.refresh_from_db()
    assert reviewed.status == "expert_review"


def test_other_district_staff_are_refused(world, client_for, reviewed):
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    task = open_task(reviewed, "expert_review")
    for user in (elsewhere.training_officer, elsewhere.bureau_officer, elsewhere.expert1):
        client = client_for(user)
        for name, url in {**_document_urls(reviewed), **_process_urls(task.process_id), **_task_urls(task)}.items():
            assert client.get(url).status_code in REFUSED, (user, name)


def test_lists_never_show_another_schools_document(world, client_for, reviewed):
    task = open_task(reviewed, "expert_review")
    client = client_for(world.other_school_officer)
    process_link = reverse("review:process_detail", args=[task.process_id])
    for name in ("index", "process_list", "task_list", "inbox", "queue", "archive"):
        response = client.get(reverse(f"review:{name}"))
        assert response.status_code == 200, name
        body = response.content.decode()
        assert reviewed.title not in body and process_link not in body, name
    for url in (reverse("plans:list"), reverse("workflow:inbox") + "?tab=queue", reverse("workflow:inbox") + "?tab=done"):
        assert reviewed.title not in client.get(url).content.decode()


def test_viewflow_lists_do_show_own_documents(world, client_for, reviewed):
    """The scoping must not hide what a user may see (the test above would pass on empty pages)."""
    task = open_task(reviewed, "expert_review")
    process_link = reverse("review:process_detail", args=[task.process_id])
    client = client_for(world.school_officer)
    assert process_link in client.get(reverse("review:process_list")).content.decode()
    assert client.get(process_link).status_code == 200
    trainer = client_for(world.training_officer)
    assert reviewed.title in trainer.get(reverse("plans:list")).content.decode()


def test_assigned_expert_sees_document_and_task(world, client_for, reviewed):
    client = client_for(world.expert1)
    task = open_task(reviewed, "expert_review")
    assert client.get(reverse("plans:detail", args=[reviewed.pk])).status_code == 200
    assert client.get(task_url(task, "execute")).status_code == 200
    attachment = reviewed.attachments.get()
    response = client.get(reverse("plans:attachment", args=[reviewed.pk, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_school_staff_see_own_school_only(world, client_for, reviewed):
    principal = client_for(world.principal)
    assert principal.get(reverse("plans:detail", args=[reviewed.pk])).status_code == 200
    # A principal reads but does not write.
    assert principal.get(reverse("plans:edit", args=[reviewed.pk])).status_code == 403


def test_submitted_document_cannot_be_edited(world, client_for, reviewed):
    client = client_for(world.school_officer)
    response = client.get(reverse("plans:edit", args=[reviewed.pk]))
    assert response.status_code == 302
    response = client.post(reverse("plans:edit", args=[reviewed.pk]), {"doc-title": "改过的标题"})
    reviewed.refresh_from_db()
    assert reviewed.title != "改过的标题"


def test_anonymous_is_sent_to_login(client, reviewed):
    for url in (reverse("plans:list"), reverse("plans:detail", args=[reviewed.pk]), reverse("workflow:inbox")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_school_cannot_create_annual_plan(world, client_for):
    assert client_for(world.school_officer).get(reverse("plans:create", args=["annual_plan"])).status_code == 403
    assert client_for(world.principal).get(reverse("plans:create", args=["school_plan"])).status_code == 403
    assert client_for(world.training_officer).get(reverse("plans:create", args=["annual_plan"])).status_code == 200


def test_document_list_query_count_is_constant(world, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_proposal

    client = client_for(world.training_officer)
    for _ in range(5):
        make_proposal(world)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("plans:list"))
    for _ in range(20):
        make_proposal(world)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("plans:list"))


def test_admin_pages_open_for_superuser(world, client):
    from accounts.models import User

    admin = User.objects.create_superuser("root", password="x-pass-123")
    client.force_login(admin)
    for url in ("/admin/accounts/organisation/", "/admin/accounts/user/", "/admin/plans/document/",
                "/admin/workflow/stepdeadline/", "/admin/workflow/trailentry/", "/admin/credits/ruleset/",
                "/admin/credits/ruleset/add/", "/admin/credits/creditentry/", "/admin/attendance/completionrules/",
                "/admin/attendance/teacher/", "/admin/schedule/scheduledproject/", "/admin/schedule/spotcheck/"):
        assert client.get(url).status_code == 200, url
