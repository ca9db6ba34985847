"""The schedule as xlsx (columns of seed 004's 培训工作安排表), PDF and iCalendar."""
import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from core.pdf import pdf_response, render_pdf
from core.xlsx import safe_row, xlsx_response

FEED_SALT = "schedule.calendar-feed"


def columns():
    return [_("No."), _("Project name"), _("Planned headcount"), _("Training modes"), _("Planned time"),
            _("Location"), _("Organiser"), _("Status")]


def row(number, project):
    headcount = _("All staff") if project.all_staff else (_("%(n)s people") % {"n": project.headcount}
                                                         if project.headcount else "")
    status = project.get_status_display() + (" · " + _("Adjusted") if getattr(project, "adjusted", False) else "")
    return [number, project.name, headcount, project.modes_display, str(project.months_display),
            project.location, project.organiser.name, status]


def _title(filters):
    if filters.get("month"):
        return _("Training schedule, %(year)s, month %(month)s") % filters
    return _("Training schedule, %(year)s") % filters


def export_xlsx(projects, *, filters, user):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(filters["year"])
    sheet.append(safe_row([_title(filters)]))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(safe_row(columns()))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for number, project in enumerate(projects, 1):
        sheet.append(safe_row(row(number, project)))
    for letter, width in zip("ABCDEFGH", (6, 40, 12, 20, 14, 20, 24, 12)):
        sheet.column_dimensions[letter].width = width
    return xlsx_response(workbook, f"{_title(filters)}.xlsx")


def export_pdf(projects, *, filters, user):
    pdf = render_pdf("schedule/schedule_print.html", {
        "title": _title(filters), "columns": columns(),
        "rows": [row(n, p) for n, p in enumerate(projects, 1)],
        "issuer": user.organisation.name if user.organisation_id else "",
    })
    return pdf_response(pdf, f"{_title(filters)}.pdf")


def export_ics(projects, *, filters, user):
    response = calendar_response(projects)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True,
                                                                 filename=f"{_title(filters)}.ics")
    return response


def calendar_response(projects) -> HttpResponse:
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//trainingplans//schedule//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Teacher training schedule"))
    stamp = datetime.datetime.now(datetime.timezone.utc)
    zone = ZoneInfo(settings.TIME_ZONE)
    projects = list(projects)
    prefetch_related_objects(projects, "sessions")
    for project in projects:
        description = "\n".join(filter(None, [
            _("Organiser: %(name)s") % {"name": project.organiser.name},
            project.modes_display, project.target_group,
        ]))
        # Each session on its own day and hours; the planned months only while none is set.
        for session in project.sessions.all():
            event = Event()
            event.add("uid", f"session-{session.pk}@trainingplans")
            event.add("dtstamp", stamp)
            title = session.title if session.title.startswith(project.name) else f"{project.name}：{session.title}"
            event.add("summary", title)
            event.add("dtstart", datetime.datetime.combine(session.date, session.start_time, tzinfo=zone))
            event.add("dtend", datetime.datetime.combine(session.date, session.end_time, tzinfo=zone))
            location = session.place or (_("online") if session.online else project.location)
            if location:
                event.add("location", location)
            event.add("description", description)
            calendar.add_component(event)
        if project.sessions.all():
            continue
        event = Event()
        event.add("uid", f"scheduled-project-{project.pk}@trainingplans")
        event.add("dtstamp", stamp)
        event.add("summary", project.name)
        # All-day across the planned months: DTEND is the day after the last one.
        event.add("dtstart", datetime.date(project.year, project.start_month, 1))
        end_year, end_month = divmod(project.end_month, 12)
        event.add("dtend", datetime.date(project.year + end_year, end_month + 1, 1))
        if project.location:
            event.add("location", project.location)
        event.add("description", description)
        calendar.add_component(event)
    return HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")


def feed_token(user) -> str:
    return signing.Signer(salt=FEED_SALT).sign(str(user.pk)).replace(":", "-")


def feed_user(token: str):
    try:
        user_pk = signing.Signer(salt=FEED_SALT).unsign(token.replace("-", ":", 1))
    except signing.BadSignature:
        raise Http404
    user = get_user_model().objects.filter(pk=user_pk, is_active=True).select_related("organisation").first()
    if user is None:
        raise Http404
    return user


EXPORTERS = {"xlsx": export_xlsx, "pdf": export_pdf, "ics": export_ics}
