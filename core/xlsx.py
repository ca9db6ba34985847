"""Spreadsheets in and out: the one place that writes and reads xlsx (and CSV) safely.

Out: every export builds its rows with ``safe_row`` (or ``safe_value``) and answers through
``xlsx_response``, which also sweeps the workbook once more, so that text a user typed (a
teacher named ``=HYPERLINK(...)``, a project title starting with ``=``) is never a live
formula in Excel or WPS: it gets a leading apostrophe and is stored as text. Report pages
answer ``?format=xlsx`` through ``report_response`` (one workbook shape for every report).

In: ``read_rows`` streams the first sheet (openpyxl read-only mode, values only, the declared
dimension ignored) with caps on the file size, the unpacked size and the number of data rows,
so a small file declaring ``A1:XFD1048576`` cannot take the server's memory.
"""
import io
import zipfile
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from .uploads import ERROR_SIZE, file_size, megabytes

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What Excel, WPS and LibreOffice take for the start of a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

DEFAULT_MAX_ROWS = 5000
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# An xlsx is a zip; text compresses well, but not a hundredfold in an honest roster.
UNPACKED_RATIO = 20


# --- out ------------------------------------------------------------------------------------

def safe_value(value):
    """A cell value that stays what was typed: text a spreadsheet would run as a formula gets
    a leading apostrophe; control characters openpyxl cannot write are dropped."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_START) else value


def safe_row(values) -> list:
    return [safe_value(value) for value in values]


def defuse_workbook(workbook) -> None:
    """Defuse every text or formula cell of an ordinary (not write-only) workbook."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type in ("s", "f", "inlineStr") and isinstance(cell.value, str):
                    cell.value = safe_value(cell.value)


def xlsx_bytes(workbook) -> bytes:
    if not getattr(workbook, "write_only", False):
        defuse_workbook(workbook)  # write-only workbooks are defused row by row (safe_row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def attachment(content, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def xlsx_response(workbook, filename: str) -> HttpResponse:
    """The workbook as a download named ``filename`` (which ends in .xlsx)."""
    return attachment(xlsx_bytes(workbook), filename, XLSX_CONTENT_TYPE)


# --- report pages as workbooks ---------------------------------------------------------------
# Every report page answers ?format=xlsx with one workbook shape: the title, a bold header row,
# one row per line, then label/value pairs.

def wants_xlsx(request) -> bool:
    return request.GET.get("format") == "xlsx"


def export_job_by_get(request):
    """An export that starts a job answers only the page's Excel button (a POST form): a GET
    (a link followed, a reload, a prefetch, a crawler) is a 405 and starts nothing."""
    from django.http import HttpResponseNotAllowed

    return HttpResponseNotAllowed(["POST"]) if request.method != "POST" else None


def export_url(request) -> str:
    """The current page's URL asking for its Excel export."""
    query = request.GET.copy()
    query["format"] = "xlsx"
    return f"{request.path}?{query.urlencode()}"


def percent_cell(value):
    """A percentage (or None) as a report cell: one decimal."""
    return None if value is None else round(value, 1)


def yes_cell(flag: bool) -> str:
    return _("Yes") if flag else ""


def _report_cell(value):
    return float(value) if isinstance(value, Decimal) else value


def report_response(title: str, columns: list, rows: list[list], summary=(), *, sheet_title=""):
    """A workbook download: the title, a bold header row, one row per line, then label/value pairs."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    if sheet_title:
        sheet.title = str(sheet_title)[:31]
    sheet.append(safe_row([title]))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(safe_row([str(column) for column in columns]))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        sheet.append(safe_row([_report_cell(value) for value in row]))
    if summary:
        sheet.append([])
        for label, value in summary:
            sheet.append(safe_row([str(label), _report_cell(value)]))
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(column)) * 2 + 4))
    sheet.column_dimensions["A"].width = 24
    return xlsx_response(workbook, f"{title}.xlsx")


# --- in -------------------------------------------------------------------------------------

class SpreadsheetError(ValueError):
    """The upload as a whole cannot be read; the message says why (shown to the user)."""


def max_rows_setting() -> int:
    return getattr(settings, "SPREADSHEET_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def max_bytes_setting() -> int:
    return getattr(settings, "SPREADSHEET_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def read_rows(upload, max_rows: int | None = None, max_bytes: int | None = None, *, columns: int,
              first_row: int = 2) -> list[tuple[int, tuple]]:
    """The non-empty rows of the first sheet from ``first_row`` on, as (row number, values),
    each cut or padded to ``columns`` values. Raises SpreadsheetError (a Chinese message)
    when the file is too large, not an xlsx workbook, or has more than ``max_rows`` data rows;
    then nothing should be imported."""
    from openpyxl import load_workbook

    max_rows = max_rows_setting() if max_rows is None else max_rows
    max_bytes = max_bytes_setting() if max_bytes is None else max_bytes
    if file_size(upload) > max_bytes:
        raise SpreadsheetError(ERROR_SIZE % {"size": megabytes(max_bytes)})
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            # Declared sizes bound what the zip module will unpack, so they can be trusted here.
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SpreadsheetError(_("The file is not an Excel (.xlsx) workbook."))
    if unpacked > max_bytes * UNPACKED_RATIO:
        raise SpreadsheetError(_("The file is too large once unpacked: save it again from Excel or WPS, "
                                 "without empty formatted rows and columns."))
    upload.seek(0)
    rows = []
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True, keep_links=False)
        try:
            sheet = workbook.active
            sheet.reset_dimensions()  # never trust the declared A1:XFD1048576
            for number, values in enumerate(
                    sheet.iter_rows(min_row=first_row, max_col=columns, values_only=True), start=first_row):
                if not any(value not in (None, "") for value in values):
                    continue
                if len(rows) >= max_rows:
                    raise SpreadsheetError(
                        _("The file has more than %(count)s rows: split it into several files.")
                        % {"count": max_rows})
                rows.append((number, tuple(values) + (None,) * (columns - len(values))))
        finally:
            workbook.close()
    except SpreadsheetError:
        raise
    except Exception:  # a damaged or disguised workbook: openpyxl raises many kinds
        raise SpreadsheetError(_("The file is not an Excel (.xlsx) workbook."))
    return rows
