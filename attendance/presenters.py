"""The school attendance report's table rows as HTML, built in Python: per-row template
filters, {% translate %} tags, an {% include %} and a {% url %} a row cost several
milliseconds a page (issue 14, item 5). The markup is the one
templates/attendance/reports/school.html and its _flags.html gave, character for character
(tests/test_attendance__report_page.py)."""
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.display import floatformatter, url_maker

ROW = (
    '<tr data-teacher="{name}">\n'
    '    <td><a href="{url}?year={year}">{name}</a></td>\n'
    '    {absence}\n'
    '    <td>{school_based_hours}</td><td>{project_hours}</td>\n'
    '    <td>{participation}</td>\n'
    '    <td>{flags}\n</td>\n'  # (the flags were an include, with its file's last newline)
    '  </tr>'
)


def school_rows(rows, year: int) -> list[str]:
    """The <tr> of each TeacherYearRow of the page."""
    teacher_url, floatformat = url_maker("attendance:report_teacher"), floatformatter()
    forfeited = format_html('<span class="status status-rejected" data-flag="forfeited">{}</span> ',
                            _("Credit forfeited"))
    at_risk = format_html('<span class="status status-returned" data-flag="at-risk">{}</span> ', _("At risk"))
    exempt = format_html('<span class="status status-initial_review" data-flag="exempt">{}</span>',
                         _("Exempt from assessment"))
    html = []
    for row in rows:
        teacher, participation = row.teacher, row.participation
        judged = row.forfeiture
        # Only the name and the link are escaped: the rest are numbers and our own markup.
        html.append(mark_safe(ROW.format(
            name=escape(teacher.name), url=escape(teacher_url(teacher.pk)), year=year,
            absence="".join([f"<td>{floatformat(hours, -1)}</td>" for hours in row.absence]),
            school_based_hours=floatformat(row.school_based_hours, -1),
            project_hours=floatformat(row.project_hours, -1),
            participation="—" if participation is None else floatformat(participation, 1) + "%",
            flags=(forfeited if judged.forfeited else "") + (at_risk if judged.at_risk else "")
            + (exempt if row.exempt else ""),
        )))
    return html
