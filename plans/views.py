from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.files import private_file_response
from core.params import BadParameter, parse_int, parse_text, parse_year

from . import rules, services
from .forms import DocumentEditor
from .models import Attachment, Document
from .selectors import document_list_for_page, document_list_visible, document_organisations, parse_organisation
from .versions import version_diff, version_for_display
from .signals import document_page


def get_visible_document(user, pk) -> Document:
    """404 for documents the user may not see: no hint that they exist."""
    return get_object_or_404(document_list_visible(user=user).select_related("organisation__district"), pk=pk)


def document_page_context(document: Document, user=None) -> dict:
    """What a document's pages show; the apps above plans add their parts
    (the review trail, …) through the document_page hook."""
    context = {
        "document": document,
        "detail": document.detail,
        "versions": document.versions.select_related("submitted_by").order_by("-number"),
        "attachments": document.attachments.all(),
    }
    for _receiver, extra in document_page.send(sender=Document, document=document, user=user):
        context.update(extra or {})
    return context


@login_required
def document_list(request):
    # Optional filters: a malformed kind, status or year is ignored (core.params); the
    # search fields (words, organisation, filing number) answer a bad value with a 400.
    kind = request.GET.get("kind", "")
    kind = kind if kind in Document.Kind.values else ""
    status = request.GET.get("status", "")
    status = status if status in Document.Status.values else ""
    year = parse_year(request.GET.get("year"))
    user = request.user
    organisations = list(document_organisations(user=user))
    organisation_id = parse_organisation(request.GET.get("organisation"), organisations)
    query = parse_text(request.GET.get("q"))
    filing_number = parse_text(request.GET.get("filing_number"), max_length=50)
    documents = document_list_for_page(
        user=user, kind=kind, status=status, year=year, organisation_id=organisation_id,
        query=query, filing_number=filing_number,
    )
    page = Paginator(documents, 25).get_page(request.GET.get("page"))
    return render(request, "plans/document_list.html", {
        "page": page, "kinds": Document.Kind.choices, "statuses": Document.Status.choices,
        "kind": kind, "status": status, "year": year, "organisation_id": organisation_id,
        "q": query, "filing_number": filing_number,
        "organisations": organisations if len(organisations) > 1 else [], "authorable_kinds": [
            (k, Document.Kind(k).label) for k in rules.authorable_kinds(user)
        ],
    })


@login_required
def document_create(request, kind):
    if kind not in rules.authorable_kinds(request.user):
        raise PermissionDenied
    editor = DocumentEditor(
        kind=kind, organisation=request.user.organisation, user=request.user,
        data=request.POST or None, files=request.FILES or None,
    )
    if request.method == "POST" and editor.is_valid():
        try:
            document = editor.save()
        except ValidationError as error:
            if getattr(error, "code", None) != "year_taken":
                raise
            first = editor.header.taken_by()
            if first is None:
                editor.header.add_error("year", error)
            else:
                # The same form sent twice: the first request saved the plan.
                messages.warning(request, _(
                    "Your organisation's %(kind)s for %(year)s had just been saved (perhaps the form was "
                    "sent twice), so it was not saved again. Here is the saved one."
                ) % {"kind": Document.Kind(kind).label, "year": first.year})
                return redirect("plans:detail", pk=first.pk)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("plans:detail", pk=document.pk)
    return render(request, "plans/document_form.html", {
        "editor": editor, "kind_label": Document.Kind(kind).label, "document": None,
    })


@login_required
def document_edit(request, pk):
    document = get_visible_document(request.user, pk)
    try:
        services.document_assert_editable(document=document, user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("plans:detail", pk=document.pk)
    editor = DocumentEditor(
        kind=document.kind, organisation=document.organisation, user=request.user, document=document,
        data=request.POST or None, files=request.FILES or None,
    )
    if request.method == "POST" and editor.is_valid():
        try:
            editor.save()
        except ValidationError as error:
            if getattr(error, "code", None) == "not_editable":  # submitted meanwhile
                messages.error(request, error.messages[0])
                return redirect("plans:detail", pk=document.pk)
            # Changed since the form was opened, or the year was taken meanwhile:
            # nothing saved; the form keeps what the user typed.
            editor.header.add_error("year" if getattr(error, "code", None) == "year_taken" else None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("plans:detail", pk=document.pk)
    return render(request, "plans/document_form.html", {
        "editor": editor, "kind_label": document.get_kind_display(), "document": document,
    })


def version_comparison(document: Document, old=None, new=None) -> dict | None:
    """The two versions the page compares (?old=&new=, version numbers), by
    default the latest against the one before; None with fewer than two."""
    versions = {v.number: v for v in document.versions.select_related("submitted_by")}
    if old is not None or new is not None:
        numbers = [parse_int(value, minimum=1, maximum=2**31 - 1, required=True) for value in (old, new)]
        if any(number not in versions for number in numbers):
            raise BadParameter(_("This document has no such version."))
    elif len(versions) < 2:
        return None
    else:
        numbers = sorted(versions)[-2:]
    old, new = (versions[number] for number in numbers)
    return {"old": old, "new": new, "diff": version_diff(document.kind, old.content, new.content),
            "numbers": sorted(versions, reverse=True)}


@login_required
def document_detail(request, pk):
    document = get_visible_document(request.user, pk)
    context = document_page_context(document, user=request.user)
    context["comparison"] = version_comparison(document, request.GET.get("old"), request.GET.get("new"))
    context["can_edit"] = document.is_editable and request.user.has_perm("plans.change_document", document)
    if context["can_edit"]:
        context["missing"] = services.missing_for_submission(document)
    return render(request, "plans/document_detail.html", context)


@login_required
def version_detail(request, pk, number):
    document = get_visible_document(request.user, pk)
    version = get_object_or_404(document.versions.select_related("submitted_by"), number=number)
    return render(request, "plans/version_detail.html", {
        "document": document, "version": version, "content": version_for_display(version=version),
    })


@login_required
def attachment_download(request, pk, attachment_pk):
    document = get_visible_document(request.user, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_pk, document=document)
    return private_file_response(attachment.file, filename=attachment.original_name)
