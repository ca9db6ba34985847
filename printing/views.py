from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from core.pdf import PRINT_CSS, pdf_response
from plans.scopes import document_list_visible
from plans.views import get_visible_document

from . import services, tasks
from .forms import BatchPrintForm


@login_required
def document_preview(request, pk):
    """The print layout as a web page, before downloading the PDF."""
    document = get_visible_document(request.user, pk)
    html = services.document_html(document, stylesheet_url=staticfiles_storage.url(PRINT_CSS),
                                  csp_nonce=getattr(request, "csp_nonce", ""), user=request.user)
    return HttpResponse(html)


@login_required
def document_pdf(request, pk):
    document = get_visible_document(request.user, pk)
    return pdf_response(services.document_pdf_bytes(document, user=request.user), services.pdf_filename(document))


@login_required
def batch(request):
    """Training school and bureau: every approved document of a year, as one PDF or a zip,
    printed by a background job whose page the officer is sent to."""
    user = request.user
    if not user.is_district_reviewer:
        raise PermissionDenied
    organisations = Organisation.objects.filter(district_id=user.organisation.district_id).exclude(
        kind=Organisation.Kind.EXPERT_POOL)
    form = BatchPrintForm(request.POST if request.method == "POST" else None, organisations=organisations,
                          initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        documents = services.approved_documents_for_batch(
            document_list_visible(user=user), year=form.cleaned_data["year"], kind=form.cleaned_data["kind"],
            organisation_id=form.cleaned_data["organisation"].pk if form.cleaned_data["organisation"] else None,
        )
        if not documents.exists():
            form.add_error(None, _("No approved documents match."))
        else:
            # A background job (printing.tasks): a hundred documents take longer than a request may.
            name = _("approved-documents-%(year)s") % {"year": form.cleaned_data["year"]}
            job = tasks.batch_print_start(user=user, documents=documents, fmt=form.cleaned_data["format"],
                                          name=name)
            return redirect("jobs:detail", pk=job.pk)
    return render(request, "printing/batch.html", {"form": form})
