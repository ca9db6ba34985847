"""The school credit page's table rows as HTML, built in Python: per-row template filters,
{% translate %} tags and an {% include %} a row cost several milliseconds a page (issue 14,
item 5). The markup is the one templates/credits/school.html and credits/_flags.html gave,
character for character (tests/test_credits__school_page.py)."""
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.display import floatformatter, unlocalize, url_maker

ROW = (
    '<tr data-teacher="{pk}" data-year-total="{year_total_raw}" data-cycle-total="{cycle_total_raw}" '
    'data-short-year="{short_year}" data-short-cycle="{short_cycle}" data-capped="{capped}" '
    'data-below-excellent="{below_excellent}" data-short-category="{short_category}" '
    'data-provisional-year="{provisional_year_raw}" data-provisional-cycle="{provisional_cycle_raw}">\n'
    '    <td><a href="{url}?year={year}">{name}</a>{new_teacher}</td>\n'
    '    <td>{year_total}{provisional}</td><td>{year_missing}</td>\n'
    '    <td>{cycle_total}</td><td>{cycle_required}</td><td>{cycle_missing}</td>\n'
    '    <td>{flags}\n</td>\n'  # (the flags were an include, with its file's last newline)
    '  </tr>'
)


def _yes_no(flag) -> str:
    return "true" if flag else "false"


class _Labels:
    """The page's fixed texts, translated once a request ({% translate %} escapes them)."""

    def __init__(self):
        self.new_teacher = format_html(' <span class="muted">{}</span>', _("new teacher"))
        self.short_year = format_html('<span class="status status-rejected" data-flag="short-year">{}</span> ',
                                      _("Short this year"))
        self.short_cycle = format_html('<span class="status status-returned" data-flag="short-cycle">{}</span> ',
                                       _("Short in the cycle"))
        self.capped = format_html(
            '<span class="status status-initial_review" data-flag="capped" title="{}">{}</span>',
            _("At least one record of the cycle was cut by a cap; see the teacher’s ledger."), _("Cut by a cap"))
        self.short_category = escape(_("Short of a category minimum"))
        self.below_excellent = escape(_("Cannot be rated excellent"))
        self.on_track = format_html('<span class="status status-approved">{}</span>', _("On track"))
        self.below_excellent_flag = {}  # the rule set's minimum → the flag
        self.floatformat = floatformatter()


def _blocktranslate(message: str, **values) -> str:
    """{% blocktranslate %}: the translation as it is, its values escaped."""
    return mark_safe(_(message) % {name: escape(value) for name, value in values.items()})


def _flags(row, short_year, short_cycle, capped, short_category, below_excellent, labels: _Labels) -> str:
    floatformat = labels.floatformat
    flags = []
    if short_year:
        flags.append(labels.short_year)
    if short_cycle:
        flags.append(labels.short_cycle)
    if capped:
        flags.append(labels.capped)
    if short_category:
        missing = "；".join(f"{category.name} {floatformat(category.missing, -2)}"
                           for category in row.categories_missing)
        flags.append(format_html('<span class="status status-returned" data-flag="short-category" title="{}">'
                                 '{}</span> ', missing, labels.short_category))
    if below_excellent:
        minimum = row.excellent_minimum
        if minimum not in labels.below_excellent_flag:  # one minimum for every row, as a rule
            title = _blocktranslate("Fewer than %(minimum)s credits this year: cannot be rated excellent this year",
                                    minimum=floatformat(minimum, -1))
            labels.below_excellent_flag[minimum] = format_html(
                '<span class="status status-rejected" data-flag="below-excellent" title="{}">{}</span> ',
                title, labels.below_excellent)
        flags.append(labels.below_excellent_flag[minimum])
    if not (short_year or short_cycle or capped or short_category):
        flags.append(labels.on_track)
    return "".join(flags)


def school_rows(rows, year: int) -> list[str]:
    """The <tr> of each TeacherCredits row of the page."""
    labels, teacher_url = _Labels(), url_maker("credits:teacher_credits")
    floatformat = labels.floatformat
    html = []
    for row in rows:
        teacher = row.teacher
        short_year, short_cycle, capped = row.short_year, row.short_cycle, row.capped
        short_category, below_excellent = row.short_category, row.below_excellent
        provisional = ""
        if row.provisional_year:
            provisional = format_html(' <span class="muted">{}</span>', _blocktranslate(
                "+%(credits)s awaiting recognition", credits=floatformat(row.provisional_year, -2)))
        # Only the name and the link are escaped: the rest are numbers, true/false and our own markup.
        html.append(mark_safe(ROW.format(
            pk=teacher.pk, year_total_raw=unlocalize(row.year_total), cycle_total_raw=unlocalize(row.cycle_total),
            short_year=_yes_no(short_year), short_cycle=_yes_no(short_cycle), capped=_yes_no(capped),
            below_excellent=_yes_no(below_excellent), short_category=_yes_no(short_category),
            provisional_year_raw=unlocalize(row.provisional_year),
            provisional_cycle_raw=unlocalize(row.provisional_cycle),
            url=escape(teacher_url(teacher.pk)), year=year, name=escape(teacher.name),
            new_teacher=labels.new_teacher if teacher.is_new_teacher else "",
            year_total=floatformat(row.year_total, -2), provisional=provisional,
            year_missing=floatformat(row.year_missing, -2), cycle_total=floatformat(row.cycle_total, -2),
            cycle_required=floatformat(row.cycle_required, -1), cycle_missing=floatformat(row.cycle_missing, -2),
            flags=_flags(row, short_year, short_cycle, capped, short_category, below_excellent, labels),
        )))
    return html
