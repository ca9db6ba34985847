"""Formal A4 documents for filing on paper, rendered by WeasyPrint.

The layout is templates/printing/document.html plus static/print/document.css,
so a district restyles its letterhead without touching Python.
"""
import hashlib
import io
import logging
import re

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.pdf import print_html, render_pdf
from plans.models import Document
from plans.views import document_page_context
from workflow.models import Decision

from .models import StoredRendering

logger = logging.getLogger(__name__)

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
    """A fresh rendering (drafts and documents under review carry the draft watermark; an
    expert reading a document under review does not see the other opinions of the round)."""
    return render_pdf("printing/document.html", document_print_context(document, user=user))


# --- stored renderings: a filed document is rendered once ----------------------------------------

def is_filed(document: Document) -> bool:
    return document.status == Document.Status.APPROVED


def _read_verified(rendering: StoredRendering) -> bytes | None:
    """The stored bytes if the file is there and matches its checksum, else None."""
    try:
        with rendering.file.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError, ValueError):
        logger.warning("Stored rendering %s: file %s is missing; rendering again", rendering.pk, rendering.file.name)
        return None
    except Exception as error:  # an object store answers "no such key" with its own exception
        if type(error).__name__ not in ("ClientError", "NoSuchKey"):
            raise
        logger.warning("Stored rendering %s: file %s is missing; rendering again", rendering.pk, rendering.file.name)
        return None
    if hashlib.sha256(data).hexdigest() != rendering.sha256:
        logger.error("Stored rendering %s: checksum mismatch in %s; rendering again", rendering.pk,
                     rendering.file.name)
        return None
    return data


def stored_rendering_ensure(document: Document) -> bytes:
    """The filed document's stored PDF (verified), rendering and storing it when there is none
    or when its file is missing or damaged."""
    rendering = StoredRendering.objects.filter(document=document, version=document.version).first()
    if rendering is not None:
        data = _read_verified(rendering)
        if data is not None:
            return data
    data = document_pdf(document)
    digest = hashlib.sha256(data).hexdigest()
    if rendering is not None:  # replace the lost or damaged file
        old_name = rendering.file.name
        rendering.file.save(f"v{document.version}-{digest[:16]}.pdf", ContentFile(data), save=False)
        rendering.sha256, rendering.size = digest, len(data)
        rendering.save(update_fields=["file", "sha256", "size"])
        if old_name and old_name != rendering.file.name:
            rendering.file.storage.delete(old_name)
        return data
    rendering = StoredRendering(document=document, version=document.version, sha256=digest, size=len(data))
    rendering.file.save(f"v{document.version}-{digest[:16]}.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            rendering.save()
    except IntegrityError:  # rendered at the same time elsewhere: theirs is kept
        rendering.file.storage.delete(rendering.file.name)
    return data


def document_pdf_bytes(document: Document, user=None) -> bytes:
    """The PDF of one document: the stored rendering of a filed document (its review is over,
    so every reader sees the same), a live rendering (with the draft watermark) of any other.
    Downloads and batches go through here."""
    if is_filed(document):
        return stored_rendering_ensure(document)
    return document_pdf(document, user=user)


def documents_pdf(documents) -> bytes:
    """One PDF of several documents; each keeps its own page numbering."""
    return merge_pdfs(document_pdf_bytes(document) for document in documents)


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
    return documents.select_related("organisation__district", "organisation__city", "organisation__province", "created_by").order_by("kind", "organisation__name", "pk")
