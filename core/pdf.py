"""PDFs: the one place that renders a template to an A4 PDF with WeasyPrint, and answers with it.

Every printed page (filed documents, the schedule, a teacher's credit record, a sign-in sheet)
is a template linking ``static/print/document.css``: ``render_pdf`` gives the template
``stylesheet_url`` (the stylesheet as a file URL, so WeasyPrint reads it from disk, not over
HTTP) and ``page_counter`` (the footer's CSS ``content``), and resolves relative URLs from the
stylesheet's folder.

Chinese: each template says ``<html lang="zh-CN">`` and the stylesheet names "Noto Serif CJK
SC" / "Noto Sans CJK SC" explicitly. With only a generic family fontconfig may pick the JP
face (Japanese glyph forms); without any CJK font every character prints as an empty box,
although the PDF's text still extracts, so tests look at the embedded font names.

Metadata comes from the template's ``<title>`` and ``<meta name="author|description">``;
``metadata={"title", "author", "subject"}`` overrides them for one call.
"""
import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

PRINT_CSS = "print/document.css"
PDF_CONTENT_TYPE = "application/pdf"


def stylesheet_path() -> Path:
    return Path(finders.find(PRINT_CSS))


def page_counter_css() -> str:
    """CSS `content` for the footer, from one translatable sentence:
    "Page %(page)s of %(pages)s" → "第 " counter(page) " 页 共 " counter(pages) " 页"."""
    parts = re.split(r"(%\(page\)s|%\(pages\)s)", _("Page %(page)s of %(pages)s"))
    counters = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}
    return " ".join(counters.get(part) or '"{}"'.format(part.replace('"', "")) for part in parts if part)


def print_html(template_name: str, context: dict, *, request=None, stylesheet_url: str | None = None) -> str:
    """The print template as HTML; ``stylesheet_url`` defaults to the stylesheet's file URL
    (a web preview passes the static URL instead). ``request`` adds the context processors."""
    context = {"stylesheet_url": stylesheet_url or stylesheet_path().as_uri(),
               "page_counter": page_counter_css(), **context}
    return render_to_string(template_name, context, request=request)


def render_pdf(template_name: str, context: dict, *, request=None, metadata: dict | None = None) -> bytes:
    """The template rendered as a PDF (bytes)."""
    from weasyprint import HTML

    path = stylesheet_path()
    html = print_html(template_name, context, request=request, stylesheet_url=path.as_uri())
    document = HTML(string=html, base_url=str(path.parent)).render()
    metadata = metadata or {}
    if metadata.get("title"):
        document.metadata.title = str(metadata["title"])
    if metadata.get("author"):
        document.metadata.authors = [str(metadata["author"])]
    if metadata.get("subject"):
        document.metadata.description = str(metadata["subject"])  # written as the PDF's /Subject
    return document.write_pdf()


def pdf_response(pdf_bytes: bytes, filename: str, inline: bool = False) -> HttpResponse:
    """The PDF as a download named ``filename`` (or shown in the browser with ``inline``)."""
    response = HttpResponse(pdf_bytes, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=not inline, filename=filename)
    return response
