"""Documents: an edit is saved only onto the row the form showed, a submission
freezes exactly what is saved, a double-sent form lands on the first save, and
no plans parameter or overlong text reaches the database unchecked.

The races themselves (threads, PostgreSQL) are in test_races__documents.py;
here each interleaving is replayed step by step, so it fails the same way
every time on both databases.
"""
import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext

from plans import services
from plans.forms import DocumentEditor
from plans.models import Document, DocumentVersion
from tests.factories import make_annual_plan, make_proposal, make_school_plan
from tests.flow_helpers import open_tasks, submit
from tests.test_forms__bad_input import annual_plan_data, proposal_data, school_plan_data
from workflow.submission import ERROR_ALREADY_SUBMITTED, document_submit

pytestmark = pytest.mark.django_db


def edit_data(client, document, **overrides):
    """The edit form's fields as the browser would send them back (GET, then fill in)."""
    response = client.get(reverse("plans:edit", args=[document.pk]))
    assert response.status_code == 200
    editor = response.context["editor"]
    data = {}

    def add(form):
        for field in form:
            value = field.value()
            if value is None or field.name == "file":
                continue
            if isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
                continue
            data[field.html_name] = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)

    add(editor.header)
    add(editor.detail)
    if editor.rows is not None:
        add(editor.rows.management_form)
        for form in editor.rows.forms:
            add(form)
    data.update(overrides)
    return data


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _assert_consistent_after_one_submission(document, title):
    """Submitted once: status, version, frozen content and the open task agree."""
    document.refresh_from_db()
    assert document.status == Document.Status.INITIAL_REVIEW
    assert document.version == 1
    assert list(DocumentVersion.objects.filter(document=document).values_list("number", flat=True)) == [1]
    assert document.versions.get().content["title"] == document.title == title
    assert document.review_processes.count() == 1
    assert open_tasks(document, "initial_review").count() == 1


# Item 5: edit and submit --------------------------------------------------------

def test_edit_form_carries_the_documents_revision(world, client_for):
    document = make_school_plan(world, year=2025)
    page = client_for(world.school_officer).get(reverse("plans:edit", args=[document.pk])).content.decode()
    assert 'name="doc-edit_token"' in page and services.document_edit_token(document) in page


def test_edit_saved_after_a_colleagues_edit_is_refused(world, client_for):
    """Two tabs (or two officers of the school): the second save must not
    silently overwrite the first."""
    document = make_school_plan(world, year=2025)
    first, second = client_for(world.school_officer), client_for(world.school_officer)
    first_data = edit_data(first, document, **{"doc-title": "第一位的标题"})
    second_data = edit_data(second, document, **{"doc-title": "第二位的标题", "detail-group_leader": "第二位"})

    assert first.post(reverse("plans:edit", args=[document.pk]), first_data).status_code == 302
    response = second.post(reverse("plans:edit", args=[document.pk]), second_data)

    assert response.status_code == 200
    assert gettext(services.ERROR_CHANGED_SINCE_OPENED) in response.content.decode()
    document.refresh_from_db()
    assert document.title == "第一位的标题" and document.school_plan.group_leader != "第二位"
    # Reloaded, the form carries the new revision and saves.
    again = edit_data(second, document, **{"doc-title": "第二位的标题"})
    assert second.post(reverse("plans:edit", args=[document.pk]), again).status_code == 302
    document.refresh_from_db()
    assert document.title == "第二位的标题"


@pytest.mark.parametrize("token", [None, "", "2020-01-01T00:00:00+00:00", "x" * 5000])
def test_edit_without_the_current_revision_is_refused(world, client_for, token):
    document = make_school_plan(world, year=2025)
    client = client_for(world.school_officer)
    data = edit_data(client, document, **{"doc-title": "新标题"})
    if token is None:
        del data["doc-edit_token"]
    else:
        data["doc-edit_token"] = token
    response = client.post(reverse("plans:edit", args=[document.pk]), data)
    assert response.status_code == 200
    assert gettext(services.ERROR_CHANGED_SINCE_OPENED) in response.content.decode()
    document.refresh_from_db()
    assert document.title != "新标题"


def test_edit_posted_while_the_document_is_submitted_saves_nothing(world, client_for, monkeypatch):
    """The race of item 5, replayed: the edit request has read the draft and
    validated its form when the submission commits."""
    document = make_school_plan(world, year=2025)
    title = document.title
    author = client_for(world.school_officer)
    data = edit_data(author, document, **{"doc-title": "改过的标题", "detail-group_leader": "改过的组长"})

    validate = DocumentEditor.is_valid

    def submit_meanwhile(editor):
        valid = validate(editor)
        document_submit(document=Document.objects.get(pk=document.pk), user=world.school_officer)
        return valid

    monkeypatch.setattr(DocumentEditor, "is_valid", submit_meanwhile)
    response = author.post(reverse("plans:edit", args=[document.pk]), data)
    monkeypatch.undo()

    assert response.status_code == 302 and response["Location"] == reverse("plans:detail", args=[document.pk])
    assert gettext(services.ERROR_NOT_EDITABLE) in _messages(response)
    _assert_consistent_after_one_submission(document, title)
    assert document.school_plan.group_leader != "改过的组长"

    # Submitting again is a clear refusal, not a 500, and changes nothing.
    response = submit(author, document)
    assert response.status_code == 302
    assert gettext(ERROR_ALREADY_SUBMITTED) in _messages(response)
    _assert_consistent_after_one_submission(document, title)


def test_editor_holding_a_stale_row_cannot_undo_a_submission(world):
    """Even with a current-looking token, the save checks the status under the lock."""
    document = make_school_plan(world, year=2025)
    stale = Document.objects.get(pk=document.pk)
    editor = DocumentEditor(
        kind=stale.kind, organisation=stale.organisation, user=world.school_officer, document=stale,
        data={"doc-title": "改过的标题", "doc-year": "2025", "doc-edit_token": services.document_edit_token(stale)},
    )
    editor.header.is_valid()
    document_submit(document=Document.objects.get(pk=document.pk), user=world.school_officer)
    editor.detail.is_valid(), editor.rows.is_valid(), editor.attachment.is_valid()
    with pytest.raises(ValidationError) as refused:
        editor.save()
    assert refused.value.code == "not_editable"
    _assert_consistent_after_one_submission(document, document.title)


def test_submission_freezes_the_committed_row_even_from_a_stale_instance(world):
    document = make_school_plan(world, year=2025)
    stale = Document.objects.get(pk=document.pk)
    Document.objects.filter(pk=document.pk).update(title="已保存的标题")
    document_submit(document=stale, user=world.school_officer)
    _assert_consistent_after_one_submission(document, "已保存的标题")


def test_edit_then_submit_freezes_the_edit(world, client_for):
    document = make_school_plan(world, year=2025)
    author = client_for(world.school_officer)
    assert author.post(reverse("plans:edit", args=[document.pk]),
                       edit_data(author, document, **{"doc-title": "最终标题"})).status_code == 302
    assert submit(author, document).status_code == 302
    _assert_consistent_after_one_submission(document, "最终标题")


def test_edit_of_a_returned_document_then_resubmit(world, client_for):
    """The revision token moves with every save, also with review decisions."""
    from tests.flow_helpers import claim_and_decide

    document = make_school_plan(world, year=2025)
    author = client_for(world.school_officer)
    stale_data = edit_data(author, document, **{"doc-title": "草稿时打开的表单"})
    submit(author, document)
    claim_and_decide(client_for(world.training_officer), document, "initial_review",
                     {"decision": "return", "comment": "请补充。"})
    document.refresh_from_db()
    assert document.status == Document.Status.RETURNED
    # A form opened before the submission is refused although the document is editable again.
    response = author.post(reverse("plans:edit", args=[document.pk]), stale_data)
    assert response.status_code == 200
    document.refresh_from_db()
    assert document.title != "草稿时打开的表单"
    fresh = edit_data(author, document, **{"doc-title": "修改后的标题"})
    assert author.post(reverse("plans:edit", args=[document.pk]), fresh).status_code == 302
    document.refresh_from_db()
    assert document.title == "修改后的标题" and document.status == Document.Status.RETURNED
    assert document.version == 1


def test_edit_keeps_review_fields(world, client_for):
    """The edit form writes the header's own fields only, never the review's."""
    document = make_school_plan(world, year=2025)
    author = client_for(world.school_officer)
    data = edit_data(author, document, **{"doc-title": "新标题", "doc-status": "approved",
                                          "doc-version": "9", "doc-filing_number": "伪造1号"})
    assert author.post(reverse("plans:edit", args=[document.pk]), data).status_code == 302
    document.refresh_from_db()
    assert (document.title, document.status, document.version, document.filing_number) == (
        "新标题", Document.Status.DRAFT, 0, None)


def test_edit_moving_to_a_year_taken_meanwhile_is_a_form_error(world, client_for, monkeypatch):
    document = make_school_plan(world, year=2025)
    author = client_for(world.school_officer)
    data = edit_data(author, document, **{"doc-year": "2026"})
    validate = DocumentEditor.is_valid

    def create_meanwhile(editor):
        valid = validate(editor)
        make_school_plan(world, year=2026, title="同时保存的计划")
        return valid

    monkeypatch.setattr(DocumentEditor, "is_valid", create_meanwhile)
    response = author.post(reverse("plans:edit", args=[document.pk]), data)
    monkeypatch.undo()
    assert response.status_code == 200
    assert "2026" in str(response.context["editor"].header.errors["year"])
    document.refresh_from_db()
    assert document.year == 2025


# Item 15: the new-plan form sent twice ------------------------------------------

@pytest.mark.parametrize("kind, author, data", [
    ("school_plan", "school_officer", school_plan_data),
    ("annual_plan", "training_officer", annual_plan_data),
])
def test_new_plan_sent_twice_lands_on_the_first(world, client_for, monkeypatch, kind, author, data):
    """Both requests pass the form's year check before either saves; the
    second must not be a 500 (unique constraint)."""
    client = client_for(getattr(world, author))
    url = reverse("plans:create", args=[kind])
    validate = DocumentEditor.is_valid
    first = {}

    def first_request_saves_meanwhile(editor):
        valid = validate(editor)
        monkeypatch.undo()
        response = client_for(getattr(world, author)).post(url, data())
        assert response.status_code == 302
        first["document"] = Document.objects.get(kind=kind)
        return valid

    monkeypatch.setattr(DocumentEditor, "is_valid", first_request_saves_meanwhile)
    response = client.post(url, data())

    assert response.status_code == 302
    assert response["Location"] == reverse("plans:detail", args=[first["document"].pk])
    assert any(str(Document.Kind(kind).label) in m for m in _messages(response))
    assert Document.objects.filter(kind=kind).count() == 1
    follow = client.get(response["Location"])
    assert follow.status_code == 200


def test_second_new_plan_for_a_year_is_a_form_error(world, client_for):
    client = client_for(world.school_officer)
    url = reverse("plans:create", args=["school_plan"])
    assert client.post(url, school_plan_data()).status_code == 302
    response = client.post(url, school_plan_data())
    assert response.status_code == 200 and "year" in response.context["editor"].header.errors
    assert Document.objects.count() == 1


# Parameters and lengths (items 14 and 10, plans part) ----------------------------

@pytest.mark.parametrize("query", [
    "year=abc", "year=99999999999999999999", "year=-1", "organisation=abc",
    "organisation=99999999999999999999999", "organisation=-5", "kind=%00", "status=%00",
    "kind=" + "x" * 3000, "status=nonsense", "page=abc", "page=99999999999", "year=2025&kind=school_plan",
])
def test_document_list_survives_malformed_filters(world, client_for, query):
    make_school_plan(world, year=2025)
    for user in (world.school_officer, world.training_officer):
        response = client_for(user).get(reverse("plans:list") + "?" + query)
        assert response.status_code in (200, 400), (query, response.status_code)


def test_document_list_filters_still_work(world, client_for):
    make_school_plan(world, year=2025)
    make_school_plan(world, year=2026)
    client = client_for(world.training_officer)
    page = client.get(reverse("plans:list"), {"year": "2025", "organisation": str(world.school.pk)}).context["page"]
    assert [d.year for d in page] == [2025]
    page = client.get(reverse("plans:list"), {"year": "abc", "kind": "nonsense"}).context["page"]
    assert len(page) == 2  # a malformed filter is ignored, not an error


@pytest.mark.parametrize("url_name, args", [
    ("plans:detail", [99999999999999999999]),
    ("plans:edit", [99999999999999999999]),
    ("plans:version", [1, 99999999999999999999]),
    ("plans:attachment", [1, 99999999999999999999]),
])
def test_huge_ids_in_plans_urls_are_404(world, client_for, url_name, args):
    document = make_school_plan(world, year=2025)
    args = [document.pk if a == 1 else a for a in args]
    assert client_for(world.school_officer).get(reverse(url_name, args=args)).status_code == 404


def test_unknown_kind_in_the_create_url_is_refused(world, client_for):
    response = client_for(world.school_officer).get(reverse("plans:create", args=["nonsense" * 50]))
    assert response.status_code in (403, 404)


def test_every_plans_form_field_is_as_long_as_its_column():
    """A form field's max_length matches its column: longer text is a form error, never a DataError."""
    from django.db import models as db_models

    from plans import forms as plans_forms

    checked = 0
    for form_class in (plans_forms.DocumentHeaderForm, plans_forms.AnnualPlanForm, plans_forms.PlannedProjectForm,
                       plans_forms.SchoolPlanForm, plans_forms.SchoolPlanYearForm, plans_forms.ProjectProposalForm,
                       plans_forms.ChangeRequestForm):
        model = form_class._meta.model
        for name, field in form_class.base_fields.items():
            try:
                column = model._meta.get_field(name)
            except Exception:
                continue
            # A choice column (a proposal's 学段/学科) takes only its choices, each shorter than the column.
            if isinstance(column, db_models.CharField) and not column.choices:
                assert field.max_length is not None and field.max_length <= column.max_length, (model, name)
                checked += 1
    assert checked >= 8


OVERLONG = {
    "school_plan": ("school_officer", school_plan_data, {
        "doc-title": 201, "detail-group_leader": 101, "detail-group_deputies": 201, "detail-group_members": 501,
        "years-0-forms": 301,
    }),
    "annual_plan": ("training_officer", annual_plan_data, {
        "doc-title": 201, "projects-0-name": 201, "projects-0-location": 101, "projects-0-headcount_text": 11,
    }),
    "project_proposal": ("school_officer", proposal_data, {
        "doc-title": 201, "detail-organiser": 101, "detail-target_group": 201, "detail-location": 101,
    }),
}


@pytest.mark.parametrize("kind, field", [(k, f) for k, (_, _, fields) in OVERLONG.items() for f in fields])
def test_overlong_text_is_a_form_error(world, client_for, kind, field):
    author, data, fields = OVERLONG[kind]
    response = client_for(getattr(world, author)).post(
        reverse("plans:create", args=[kind]), data(**{field: "长" * fields[field]}))
    assert response.status_code == 200
    assert Document.objects.count() == 0


def test_overlong_attachment_name_is_shortened_not_a_500(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from plans.models import Attachment

    upload = SimpleUploadedFile("很长的文件名" * 40 + ".pdf", b"%PDF-1.4 test", content_type="application/pdf")
    data = proposal_data(**{"attachment-file": upload})
    response = client_for(world.school_officer).post(reverse("plans:create", args=["project_proposal"]), data)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert len(attachment.file.name) <= Attachment._meta.get_field("file").max_length
    assert len(attachment.original_name) <= 200


def test_annual_and_proposal_edit_round_trip(world, client_for):
    """edit_data() rebuilds every kind's form; a plain re-save changes nothing but updated_at."""
    for document, user in ((make_annual_plan(world, year=2025), world.training_officer),
                           (make_proposal(world, year=2025), world.school_officer)):
        client = client_for(user)
        response = client.post(reverse("plans:edit", args=[document.pk]), edit_data(client, document))
        assert response.status_code == 302, response.context and [f.errors for f in response.context["editor"].forms]
