"""Report pages' Excel exports: one workbook shape for every report (sent by core.xlsx)."""
from decimal import Decimal

from core.xlsx import safe_row, xlsx_response


def wants_xlsx(request) -> bool:
    return request.GET.get("format") == "xlsx"


def export_url(request) -> str:
    """The current page's URL asking for its Excel export."""
    query = request.GET.copy()
    query["format"] = "xlsx"
    return f"{request.path}?{query.urlencode()}"


def _cell(value):
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
        sheet.append(safe_row([_cell(value) for value in row]))
    if summary:
        sheet.append([])
        for label, value in summary:
            sheet.append(safe_row([str(label), _cell(value)]))
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(column)) * 2 + 4))
    sheet.column_dimensions["A"].width = 24
    return xlsx_response(workbook, f"{title}.xlsx")
