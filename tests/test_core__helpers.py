"""core's shared helpers, without the database: PDF rendering (Chinese glyphs from Noto CJK SC,
metadata, the download), upload checks (each refusal), report cells."""
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from pypdf import PdfReader

from core import pdf, uploads
from core.xlsx import percent_cell, yes_cell

PRINT_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }}</title>
<meta name="author" content="建安区教师进修学校">
<link rel="stylesheet" href="{{ stylesheet_url }}">
<style>@page { @bottom-center { content: {{ page_counter|safe }}; } }</style></head>
<body><h1 class="title">{{ title }}</h1><h2>一、指导思想</h2><p>骨干教师培训，落实立德树人根本任务。</p></body></html>"""


@pytest.fixture
def print_template(settings):
    settings.TEMPLATES = [{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {"test/print.html": PRINT_TEMPLATE})]},
    }]
    return "test/print.html"


def font_names(reader) -> set[str]:
    return {str(font.get_object()["/BaseFont"]) for page in reader.pages
            for font in page["/Resources"]["/Font"].values()}


# --- core.pdf ------------------------------------------------------------------------------

def test_a_chinese_page_renders_with_embedded_noto_cjk_sc_fonts(print_template):
    content = pdf.render_pdf(print_template, {"title": "建安区2025年教师培训工作计划"})
    reader = PdfReader(io.BytesIO(content))
    assert "骨干教师培训" in reader.pages[0].extract_text()
    fonts = font_names(reader)
    # Text extracts even when every glyph is an empty box: the embedded fonts prove the glyphs,
    # and "SC" proves fontconfig did not fall back to the Japanese face.
    assert fonts and all("CJK-SC" in name for name in fonts), fonts
    assert any("Serif-CJK-SC" in name for name in fonts) and any("Sans-CJK-SC" in name for name in fonts)


def test_metadata_comes_from_the_template_unless_given(print_template):
    reader = PdfReader(io.BytesIO(pdf.render_pdf(print_template, {"title": "培训安排"})))
    assert reader.metadata.title == "培训安排" and reader.metadata.author == "建安区教师进修学校"

    reader = PdfReader(io.BytesIO(pdf.render_pdf(print_template, {"title": "培训安排"}, metadata={
        "title": "个人培训学分登记", "author": "建安区第一小学", "subject": "2021–2025周期"})))
    metadata = reader.metadata
    assert (metadata.title, metadata.author, metadata.subject) == ("个人培训学分登记", "建安区第一小学", "2021–2025周期")


def test_print_html_links_the_print_stylesheet_and_the_page_counter(print_template):
    html = pdf.print_html(print_template, {"title": "x"})
    assert pdf.stylesheet_path().as_uri() in html and pdf.stylesheet_path().name == "document.css"
    assert "counter(page)" in html and "counter(pages)" in html
    assert 'href="/static/print/document.css"' in pdf.print_html(
        print_template, {"title": "x"}, stylesheet_url="/static/print/document.css")


def test_page_counter_is_the_translated_sentence():
    sentence = _("Page %(page)s of %(pages)s")
    expected = sentence.replace("%(page)s", '" counter(page) "').replace("%(pages)s", '" counter(pages) "')
    expected = f'"{expected}"'.replace(' ""', "").replace('"" ', "")
    assert " ".join(pdf.page_counter_css().split()) == " ".join(expected.split())


@pytest.mark.parametrize("inline,disposition", [(False, "attachment"), (True, "inline")])
def test_pdf_response(inline, disposition):
    response = pdf.pdf_response(b"%PDF-1.7", "签到表 2025-03-01.pdf", inline=inline)
    assert response["Content-Type"] == "application/pdf" and response.content == b"%PDF-1.7"
    assert response["Content-Disposition"].startswith(disposition)
    assert "filename*=utf-8''%E7%AD%BE%E5%88%B0%E8%A1%A8" in response["Content-Disposition"]


# --- core.uploads --------------------------------------------------------------------------

def upload(name, content):
    return SimpleUploadedFile(name, content)


def refusal(file, **kwargs):
    kwargs.setdefault("extensions", ["pdf", "jpg", "png"])
    kwargs.setdefault("max_bytes", 1024)
    with pytest.raises(ValidationError) as caught:
        uploads.check_upload(file, **kwargs)
    return caught.value


def test_a_good_file_passes_and_is_left_at_its_start():
    file = upload("证书.PDF", b"%PDF-1.7 certificate")
    file.read(3)
    uploads.check_upload(file, extensions=["pdf"], max_bytes=1024)
    assert file.tell() == 0
    uploads.check_upload(upload("证书.jpeg", b"\xff\xd8\xff\xe0"), extensions=[".JPEG"], max_bytes=1024)


@pytest.mark.parametrize("name", ["计划.exe", "计划", "计划.pdf.exe", "roster.xls"])
def test_an_extension_not_allowed_is_refused(name):
    error = refusal(upload(name, b"%PDF-1.7"))
    assert error.code == "type"
    assert error.messages == [str(uploads.ERROR_TYPE) % {"extensions": "PDF/JPG/PNG"}]


def test_a_file_over_the_size_is_refused_and_one_at_it_passes():
    error = refusal(upload("计划.pdf", b"%PDF" + b"0" * 1021), max_bytes=1024)
    assert error.code == "size"
    assert error.messages == [str(uploads.ERROR_SIZE) % {"size": "0.00"}]
    uploads.check_upload(upload("计划.pdf", b"%PDF" + b"0" * 1020), extensions=["pdf"], max_bytes=1024)
    error = refusal(upload("计划.pdf", b"%PDF" + b"0" * (5 * 1024 * 1024)), max_bytes=5 * 1024 * 1024)
    assert error.messages == [str(uploads.ERROR_SIZE) % {"size": "5"}]


@pytest.mark.parametrize("name,content", [
    ("计划.pdf", b"MZ\x90\x00 not a pdf"),   # an .exe renamed .pdf
    ("照片.jpg", b"\x89PNG\r\n\x1a\n"),       # a PNG named .jpg
    ("计划.pdf", b""),
])
def test_content_that_does_not_match_the_extension_is_refused(name, content):
    error = refusal(upload(name, content))
    assert error.code == "content" and error.messages == [str(uploads.ERROR_CONTENT)]


def test_an_extension_without_a_known_signature_is_never_accepted():
    assert refusal(upload("说明.txt", b"hello"), extensions=["txt"]).code == "content"


def test_a_caller_gives_its_own_messages():
    messages = {"type": "证书类型不对", "size": "证书不能超过%(size)sMB", "content": "证书内容不对"}
    assert refusal(upload("a.exe", b"MZ"), messages=messages).messages == ["证书类型不对"]
    assert refusal(upload("a.pdf", b"%PDF" * 300), messages=messages).messages == ["证书不能超过0.00MB"]
    assert refusal(upload("a.pdf", b"MZ"), messages=messages).messages == ["证书内容不对"]


def test_a_plain_file_object_without_size_is_measured():
    file = io.BytesIO(b"%PDF" + b"0" * 2000)
    file.name = "计划.pdf"
    assert refusal(file).code == "size"


# --- core.xlsx report cells ----------------------------------------------------------------

def test_report_cells():
    assert percent_cell(None) is None and percent_cell(Decimal("66.666")) == Decimal("66.7")
    assert yes_cell(True) == _("Yes") and yes_cell(False) == ""
