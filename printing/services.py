"""Formal A4 documents for filing on paper, rendered by WeasyPrint.

The layout is templates/printing/document.html plus static/print/document.css,
so a district restyles its letterhead without touching Python.
"""
import io
import re
import zipfile

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.pdf import print_html, render_pdf
from plans.models import Document
from plans.views import document_page_context
from workflow.models import Decision

# Claims and releases are the inbox's business, not the filed record's.
TRAIL_DECISIONS_PRINTED = [d for d in Decision.values if d not in (Decision.CLAIM, Decision.RELEASE)]
CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (section numbers of a Chinese document)."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CHINESE_NUMERALS[tens - 1]) + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


def document_sections(document: Document) -> list[tuple[str, str]]:
    """(numbered heading, text) of the document's prose sections, in order."""
    detail = document.detail
    if document.kind == Document.Kind.ANNUAL_PLAN:
        names = detail.SECTIONS
    elif document.kind == Document.Kind.SCHOOL_PLAN:
        names = ["significance", "objectives"]
    elif document.kind == Document.Kind.CHANGE_REQUEST:
        names = ["reason"]
    else:
        names = ["design"]
    sections = [(detail._meta.get_field(name).verbose_name, getattr(detail, name)) for name in names]
    sections = [(label, text) for label, text in sections if text]
    return [(f"{chinese_ordinal(i)}、{label}", text) for i, (label, text) in enumerate(sections, 1)]


def document_print_context(document: Document, user=None) -> dict:
    """user: the reader, where there is one (an expert's printout holds back the other
    experts' opinions of the current round, as the document page does)."""
    context = document_page_context(document, user=user)
    context.update({
        "sections": document_sections(document),
        "printed_trail": [e for e in context["trail"] if e.decision in TRAIL_DECISIONS_PRINTED],
        "is_draft": document.status != Document.Status.APPROVED,
    })
    return context


def document_html(document: Document, *, stylesheet_url: str, csp_nonce: str = "", user=None) -> str:
    """csp_nonce: the request's nonce, for the print preview page (config/middleware.py)."""
    context = {**document_print_context(document, user=user), "csp_nonce": csp_nonce}
    return print_html("printing/document.html", context, stylesheet_url=stylesheet_url)


def document_pdf(document: Document, user=None) -> bytes:
    return render_pdf("printing/document.html", document_print_context(document, user=user))


def documents_pdf(documents) -> bytes:
    """One PDF of several documents; each keeps its own page numbering."""
    return merge_pdfs(document_pdf(document) for document in documents)


def merge_pdfs(pdfs) -> bytes:
    """One PDF of several (bytes each), in order; each keeps its own page numbering."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    writer.add_metadata({"/Title": _("Approved training documents")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def documents_zip(documents) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            archive.writestr(pdf_filename(document), document_pdf(document))
    return out.getvalue()


def pdf_filename(document: Document) -> str:
    safe_title = re.sub(r'[\\/:*?"<>|\s]+', "_", document.title)
    return f"{document.pk}_{safe_title}.pdf"


def approved_documents_for_batch(documents: QuerySet[Document], *, year: int, kind: str = "",
                                 organisation_id: int | None = None) -> QuerySet[Document]:
    documents = documents.filter(status=Document.Status.APPROVED, year=year)
    if kind:
        documents = documents.filter(kind=kind)
    if organisation_id:
        documents = documents.filter(organisation_id=organisation_id)
    return documents.select_related("organisation__district", "created_by").order_by("kind", "organisation__name", "pk")
