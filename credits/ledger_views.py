"""学时/学分登记: the credit ledger pages, their xlsx exports, the printed record,
its public verification and the bureau's confirmation of a finished cycle.

Who sees what (a school sees only its own teachers; the training school and the
bureau see their district):

* my_credits: the teacher whose roster entry carries their login (Teacher.user);
* teacher_credits: that teacher's school officer and principal, and district
  staff of the teacher's district; 404 for anyone else (the teacher themself
  goes to my_credits);
* record_pdf: as teacher_credits, plus the teacher themself (both are
  credits.view_teacher, credits/scopes.py);
* school_credits / cycle_close: the school's officer and principal; district
  staff of its district with ?organisation=<pk>;
* district_credits: training-school and bureau officers;
* verify: anyone, without logging in; it shows only a masked name, the school,
  the cycle and the total the printed record claims;
* confirming a cycle (POST to cycle_close): a bureau officer of the school's
  district, once per school and cycle.
"""
import re
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organisation, User
from attendance.models import Teacher
from core.params import parse_id, parse_page
from core.pdf import pdf_response, render_pdf
from core.xlsx import export_job_by_get, export_url, percent_cell, report_response, wants_xlsx, yes_cell

from . import presenters, selectors, services, tasks
from .models import CycleClosure
from .rules import format_number

YEARS = range(2000, 2101)
# Teachers per page of a school's report: the totals above the table count every teacher.
SCHOOL_PAGE_SIZE = 25


# --- who may see what (a teacher's record: credits.view_teacher, credits/scopes.py) -----

def is_the_teacher(user: User, teacher: Teacher) -> bool:
    return teacher.user_id is not None and teacher.user_id == user.pk


def _teacher_or_404(pk) -> Teacher:
    return get_object_or_404(Teacher.objects.select_related("organisation__district"), pk=pk)


def _school_for(request) -> Organisation:
    """The school a school page is about: the user's own, or ?organisation= for district staff."""
    user, wanted = request.user, request.GET.get("organisation", "")
    if user.is_school_staff:
        organisation = user.organisation
        if wanted and wanted != str(organisation.pk):
            raise Http404
    elif user.is_district_reviewer:
        wanted = parse_id(wanted, required=False)  # "²".isdigit() is true, and ids are bounded
        if wanted is None:
            raise Http404
        organisation = get_object_or_404(Organisation.objects.select_related("district"), pk=wanted,
                                         kind__in=selectors.SCHOOL_KINDS)
        if not user.is_district_reviewer_of(organisation.district_id):
            raise Http404
    else:
        raise PermissionDenied
    if not organisation.is_school:
        raise PermissionDenied
    return organisation


def _district_staff_without_school(request) -> bool:
    """District staff choose a school on the district page."""
    return request.user.is_district_reviewer and not request.GET.get("organisation")


# --- helpers -------------------------------------------------------------------------

def _rules_required(view):
    """A district whose credit rules are missing gets a plain message, not an error page."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ValidationError as error:
            return render(request, "credits/message.html", {"message": " ".join(error.messages)})
    return wrapped


def _year(request, district, rule_sets=None) -> int:
    """?year= is a credit year; the current one by default (rule_sets: services.rule_set_for)."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = None
    return year if year in YEARS else selectors.current_credit_year(district, rule_sets=rule_sets)






def _query(**params) -> str:
    from django.utils.http import urlencode

    return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def year_label(year: int) -> str:
    return _("Credit year %(year)s") % {"year": year}


def cycle_label(cycle) -> str:
    return _("Cycle %(first)s–%(last)s") % {"first": cycle[0], "last": cycle[1]}


def _xlsx(title, columns, rows, summary):
    return report_response(title, columns, rows, summary, sheet_title=_("Credits"))


# --- the verification code of a printed record ------------------------------------------
#
# The code carries the teacher's pk, the cycle's first year and the cycle total,
# followed by 40 bits of a django.core.signing signature (salt "credits.record")
# over exactly those three, all packed into one number written in Crockford
# base32 (no I, L, O, U; case and dashes do not matter). Nothing is stored: the
# verify page unpacks the figures and recomputes the signature.

RECORD_SALT = "credits.record"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
MAC_BITS = 40
TOTAL_RADIX = 1 << 24        # hundredths of a credit: up to 167 772.15
YEAR_BASE, YEAR_RADIX = 2000, 256
CENT = Decimal("0.01")


def _hundredths(total) -> int:
    hundredths = int((Decimal(total).quantize(CENT) * 100).to_integral_value())
    if not 0 <= hundredths < TOTAL_RADIX:
        raise ValueError("cycle total out of range for a verification code")
    return hundredths


def _mac(pk: int, first_year: int, hundredths: int, key=None) -> int:
    total = format(Decimal(hundredths) / 100, ".2f")
    signature = signing.Signer(salt=RECORD_SALT).signature(f"{pk}:{first_year}:{total}", key)
    return int.from_bytes(signing.b64_decode(signature.encode())[: MAC_BITS // 8], "big")


def record_code(pk: int, first_year: int, total) -> str:
    """The code printed on a record, e.g. 1C4V-8Z2K-QW0M-7D3X-J9."""
    if not YEAR_BASE <= first_year < YEAR_BASE + YEAR_RADIX:
        raise ValueError("cycle out of range for a verification code")
    hundredths = _hundredths(total)
    number = ((pk * YEAR_RADIX + first_year - YEAR_BASE) * TOTAL_RADIX + hundredths) << MAC_BITS
    number |= _mac(pk, first_year, hundredths)
    digits = ""
    while number:
        number, digit = divmod(number, 32)
        digits = CROCKFORD[digit] + digits
    return "-".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def read_record_code(code: str) -> tuple[int, int, Decimal] | None:
    """(teacher pk, cycle's first year, cycle total) if the code is genuine, else None."""
    digits = "".join(code.split()).replace("-", "").upper().translate(_CONFUSABLE)
    if not 1 <= len(digits) <= 32 or any(c not in CROCKFORD for c in digits):
        return None
    number = 0
    for c in digits:
        number = number * 32 + CROCKFORD.index(c)
    mac = number & ((1 << MAC_BITS) - 1)
    number >>= MAC_BITS
    number, hundredths = divmod(number, TOTAL_RADIX)
    pk, year_offset = divmod(number, YEAR_RADIX)
    if pk < 1:
        return None
    first_year = YEAR_BASE + year_offset
    signer = signing.Signer(salt=RECORD_SALT)
    for key in [signer.key, *signer.fallback_keys]:
        if constant_time_compare(str(_mac(pk, first_year, hundredths, key)), str(mac)):
            return pk, first_year, (Decimal(hundredths) / 100).quantize(CENT)
    return None


def mask_name(name: str) -> str:
    """王芳 → 王*, 欧阳明 → 欧**: the family name's first character and nothing more."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1)


# --- one teacher ---------------------------------------------------------------------

def _teacher_page(request, teacher: Teacher, *, own: bool):
    year = _year(request, teacher.organisation.district)
    ledger = selectors.teacher_ledger(teacher, year)
    closure = CycleClosure.objects.filter(teacher=teacher, first_year=ledger.cycle[0]).first()
    return render(request, "credits/teacher.html", {
        "teacher": teacher, "ledger": ledger, "totals": ledger.totals, "year": year, "own": own,
        "year_label": year_label(year), "cycle_label": cycle_label(ledger.cycle), "closure": closure,
        "record_url": reverse("credits:record_pdf", args=[teacher.pk]) + _query(year=year),
    })


@login_required
@_rules_required
def my_credits(request):
    """A teacher's own totals against the minimums, and their ledger."""
    teacher = Teacher.objects.filter(user=request.user).select_related("organisation__district").first()
    if teacher is None:
        return render(request, "credits/message.html", {
            "message": _("Your login is not linked to a teacher on a school's roster."),
        }, status=404)
    return _teacher_page(request, teacher, own=True)


@login_required
@_rules_required
def teacher_credits(request, pk):
    teacher = _teacher_or_404(pk)
    if is_the_teacher(request.user, teacher):
        return redirect(reverse("credits:my_credits") + _query(year=request.GET.get("year")))
    if not request.user.has_perm("credits.view_teacher", teacher):
        raise Http404
    return _teacher_page(request, teacher, own=False)


@login_required
@_rules_required
def record_pdf(request, pk):
    """个人培训学分登记: the cycle's ledger as a formal A4 PDF with a verification code."""
    teacher = _teacher_or_404(pk)
    if not request.user.has_perm("credits.view_teacher", teacher):
        raise Http404
    year = _year(request, teacher.organisation.district)
    ledger = selectors.teacher_ledger(teacher, year)
    totals = ledger.totals
    first, _last = ledger.cycle
    pdf = render_pdf("credits/record.html", {
        "teacher": teacher, "ledger": ledger, "totals": totals, "cycle_label": cycle_label(ledger.cycle),
        "code": record_code(teacher.pk, first, totals["cycle_total"]),
        "verify_url": request.build_absolute_uri(reverse("credits:verify")),
        "printed_on": timezone.localdate(), "printed_by": request.user,
        "closure": CycleClosure.objects.filter(teacher=teacher, first_year=first).first(),
    })
    filename = _("Credit record %(teacher)s %(cycle)s") % {"teacher": teacher.name, "cycle": f"{first}-{_last}"}
    return pdf_response(pdf, f"{filename}.pdf")


class VerifyForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Verification code"), max_length=60,
                           help_text=gettext_lazy("As printed on the credit record; dashes and case do not matter."))


def verify(request):
    """Public: is a printed credit record genuine? Only a masked name, school, cycle, total."""
    form = VerifyForm(request.GET if "code" in request.GET else None)
    result = None
    if form.is_valid():
        result = {"genuine": False}
        found = read_record_code(form.cleaned_data["code"])
        teacher = found and Teacher.objects.select_related("organisation__district").filter(pk=found[0]).first()
        if teacher:
            _pk, first_year, total = found
            try:
                years = selectors.year_rule_set(teacher.organisation.district, first_year).cycle_years
            except ValidationError:
                years = 5
            result = {"genuine": True, "name": mask_name(teacher.name), "school": teacher.organisation.name,
                      "cycle": cycle_label((first_year, first_year + years - 1)), "total": total}
    return render(request, "credits/verify.html", {"form": form, "result": result})


# --- a school ------------------------------------------------------------------------

@login_required
@_rules_required
def school_credits(request):
    if _district_staff_without_school(request):
        return redirect("credits:district_credits")
    organisation = _school_for(request)
    rule_sets = services.district_rule_sets(organisation.district)  # today's and the year's: one query
    year = _year(request, organisation.district, rule_sets)
    if wants_xlsx(request):
        return _school_xlsx(selectors.school_credits(organisation, year, rule_sets))
    # The totals count every teacher; only the page's rows are built in full.
    report, page = selectors.school_credit_page(organisation, year, parse_page(request.GET.get("page")),
                                                SCHOOL_PAGE_SIZE, rule_sets)
    return render(request, "credits/school.html", {
        "report": report, "page": page, "rows": presenters.school_rows(page, year), "year": year,
        "year_label": year_label(year), "cycle_label": cycle_label(report.cycle), "export_url": export_url(request),
        "organisation_param": organisation.pk if request.user.is_district_reviewer else "",
        "cycle_url": reverse("credits:cycle_close") + _query(
            organisation=organisation.pk if request.user.is_district_reviewer else "", year=year),
    })


def _school_xlsx(report):
    title = _("Training credits: %(school)s, %(year)s") % {
        "school": report.organisation.name, "year": year_label(report.year)}
    columns = [_("Teacher"), _("New teacher"), _("Credits this year"), _("Yearly minimum"),
               _("Missing this year"), _("Credits in the cycle"), _("Cycle requirement"),
               _("Missing in the cycle"), _("Short this year"), _("Short in the cycle"), _("Cut by a cap"),
               _("Categories short"), _("Cannot be rated excellent")]
    rows = [[row.teacher.name, yes_cell(row.teacher.is_new_teacher), row.year_total, row.year_required,
             row.year_missing, row.cycle_total, row.cycle_required, row.cycle_missing,
             yes_cell(row.short_year), yes_cell(row.short_cycle), yes_cell(row.capped),
             "；".join(f"{c.name} {format_number(c.missing)}" for c in row.categories_missing),
             yes_cell(row.below_excellent)] for row in report.rows]
    summary = [
        (_("Cycle"), cycle_label(report.cycle)),
        (_("Teachers in post"), report.teachers),
        (_("Meeting the yearly minimum"), report.meeting_year),
        (_("Completion rate (%)"), percent_cell(report.completion_rate)),
        (_("Short this year"), len(report.short_year)),
        (_("Short in the cycle"), len(report.short_cycle)),
        (_("Cut by a cap"), len(report.capped)),
    ]
    return _xlsx(title, columns, rows, summary)


# --- the district --------------------------------------------------------------------

@login_required
@_rules_required
def district_credits(request):
    user = request.user
    if not user.is_district_reviewer:
        raise PermissionDenied
    district = user.organisation.district
    year = _year(request, district)
    if wants_xlsx(request):  # the whole district: a background job (credits.tasks), by POST only
        refused = export_job_by_get(request)
        if refused:
            return refused
        job = tasks.district_export_start(user=user, district=district, year=year, title=_(
            "Training credits: %(district)s, %(year)s") % {"district": district.name, "year": year_label(year)})
        return redirect("jobs:detail", pk=job.pk)
    report = selectors.district_completion(district, year)
    return render(request, "credits/district.html", {
        "report": report, "year": year, "year_label": year_label(year), "cycle_label": cycle_label(report.cycle),
        "export_url": export_url(request), "export_job": True,
    })


def _district_xlsx(report):
    title = _("Training credits: %(district)s, %(year)s") % {
        "district": report.district.name, "year": year_label(report.year)}
    columns = [_("School"), _("Teachers in post"), _("Meeting the yearly minimum"), _("Completion rate (%)"),
               _("Short this year"), _("Short in the cycle"), _("Cut by a cap")]
    rows = [[school.organisation.name, school.teachers, school.meeting_year, percent_cell(school.completion_rate),
             len(school.short_year), len(school.short_cycle), len(school.capped)] for school in report.schools]
    summary = [
        (_("Cycle"), cycle_label(report.cycle)),
        (_("Yearly minimum"), report.rule_set.annual_minimum),
        (_("Teachers in post"), report.teachers),
        (_("Meeting the yearly minimum"), report.meeting_year),
        (_("Completion rate (%)"), percent_cell(report.completion_rate)),
    ]
    return _xlsx(title, columns, rows, summary)


# --- closing a cycle: 准予结业 --------------------------------------------------------

FINGERPRINT = re.compile(r"[0-9a-f]{16}")  # services.cycle_fingerprint


def may_confirm_cycle(user: User, organisation: Organisation) -> bool:
    return services.may_confirm_cycle(user, organisation)


@login_required
@_rules_required
def cycle_close(request):
    """The school officer sees who meets the cycle's requirement (the proposal);
    a bureau officer of the district confirms it, once, into CycleClosure rows."""
    user = request.user
    if _district_staff_without_school(request):
        return redirect("credits:district_credits")
    organisation = _school_for(request)
    year = _year(request, organisation.district)
    _first, last = selectors.year_rule_set(organisation.district, year).cycle_of(year)
    # The cycle is judged by the rules of its last year.
    first = selectors.year_rule_set(organisation.district, last).cycle_of(last)[0]
    here = reverse("credits:cycle_close") + _query(
        organisation=organisation.pk if user.is_district_reviewer else "", year=last)

    if request.method == "POST":
        # Checked here, confirmed by a job (credits.tasks): counting every teacher of a large
        # school again under the lock is long work, done once by a worker.
        if not may_confirm_cycle(user, organisation):
            raise PermissionDenied
        if CycleClosure.objects.filter(teacher__organisation=organisation, first_year=first).exists():
            messages.error(request, services.ERROR_CYCLE_CLOSED)
            return redirect(here)
        figures = request.POST.get("figures", "")
        if not FINGERPRINT.fullmatch(figures):  # the page's own fingerprint is 16 hex digits
            messages.error(request, _("The figures changed since the page was shown. Check them and confirm again."))
            return redirect(here)
        job = tasks.cycle_close_start(user=user, organisation=organisation, year=last, figures=figures)
        if job.owner_id != user.pk:
            messages.info(request, _("%(name)s is confirming this cycle already; the page shows the results "
                                     "when it is done.") % {"name": job.owner.display_name})
            return redirect(here)
        return redirect("jobs:detail", pk=job.pk)

    report = selectors.school_credits(organisation, last)
    closures = selectors.cycle_closures(organisation, first)
    waiting = tasks.cycle_close_waiting(organisation=organisation, year=last) if not closures else None
    return render(request, "credits/cycle_close.html", {
        "waiting": waiting, "waiting_mine": waiting is not None and waiting.owner_id == user.pk,
        "report": report, "organisation": organisation, "closures": closures, "year": last,
        "cycle_label": cycle_label(report.cycle),
        "cycle_open": last >= selectors.current_credit_year(organisation.district),
        "can_confirm": (may_confirm_cycle(user, organisation) and not closures and not waiting
                        and bool(report.rows)),
        "figures": services.cycle_fingerprint(report.rows),
        "organisation_param": organisation.pk if user.is_district_reviewer else "",
        "school_url": reverse("credits:school_credits") + _query(
            organisation=organisation.pk if user.is_district_reviewer else "", year=last),
    })
