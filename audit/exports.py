"""The filtered audit trail as xlsx or CSV (UTF-8 with BOM, so Excel reads Chinese)."""
import csv
import io

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.xlsx import attachment, safe_row, xlsx_response

from .models import action_labels


def columns():
    return [_("Time"), _("Action"), _("By"), _("User name"), _("Object"), _("Summary"), _("IP address"),
            _("Browser")]


CHUNK = 2000


def _object_names(chunk):
    """{(object_type, object_id): "verbose name：object"} for a chunk of events, one query per
    model, so the export reads "考勤记录：…" rather than "attendance.attendance #51"."""
    wanted = {}
    for event in chunk:
        if event.object_type:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    names = {}
    for object_type, ids in wanted.items():
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):  # a model since removed: keep the stored label
            continue
        try:
            found = model._base_manager.select_related().in_bulk(list(ids))
        except (ValueError, TypeError, ValidationError):
            found = {}
        found = {str(pk): obj for pk, obj in found.items()}
        for object_id in ids:
            obj = found.get(object_id)
            params = {"type": model._meta.verbose_name, "object": obj, "id": object_id}
            names[object_type, object_id] = (_("%(type)s: %(object)s") % params if obj is not None
                                             else _("%(type)s no. %(id)s (deleted)") % params)
    return names


def rows(events):
    labels = action_labels()
    chunk = []
    for event in events.iterator(chunk_size=CHUNK):
        chunk.append(event)
        if len(chunk) == CHUNK:
            yield from _chunk_rows(chunk, labels)
            chunk = []
    yield from _chunk_rows(chunk, labels)


def _chunk_rows(chunk, labels):
    names = _object_names(chunk)
    for event in chunk:
        actor = event.actor
        yield [
            timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            str(labels.get(event.action, event.action)),
            actor.display_name if actor else "",
            actor.username if actor else "",
            names.get((event.object_type, event.object_id), f"{event.object_type} #{event.object_id}")
            if event.object_type else "",
            event.summary,
            event.ip_address or "",
            event.user_agent,
        ]


def _filename(extension):
    return f"{_('Audit trail')} {timezone.localdate():%Y-%m-%d}.{extension}"


def export_csv(events):
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns())
    for row in rows(events):
        # Text a spreadsheet would run as a formula (a user name typed at the login page,
        # a document title) is written with a leading apostrophe.
        writer.writerow(safe_row(row))
    return attachment(out.getvalue().encode("utf-8"), _filename("csv"), "text/csv; charset=utf-8")


def export_xlsx(events):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Audit trail")[:31])
    for letter, width in zip("ABCDEFGH", (20, 18, 12, 16, 24, 80, 16, 30)):
        sheet.column_dimensions[letter].width = width
    header = []
    for title in columns():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows(events):
        sheet.append(safe_row(row))  # a write-only sheet: defused here, row by row
    return xlsx_response(workbook, _filename("xlsx"))


EXPORTERS = {"xlsx": export_xlsx, "csv": export_csv}
