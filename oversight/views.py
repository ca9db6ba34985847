"""The roll-ups (汇总): province → city → district → school, for a credit year.

Rows come from the summary table (selectors), so a page adds up stored figures; "refresh now"
asks the background task to recount a district (tasks.figures_request)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from accounts.models import City, District, Organisation
from core.params import BadParameter, parse_choice, parse_year
from core.xlsx import percent_cell, report_response, wants_xlsx
from credits.selectors import current_credit_year

from . import access, selectors, services, tasks
from .metrics import TARGET_PARTICIPATION, TARGET_REGISTRATION, TARGET_SPOT_CHECK


_TARGETS = {"participation": TARGET_PARTICIPATION, "registration": TARGET_REGISTRATION,
            "spot_check": TARGET_SPOT_CHECK}


def _year(request, district: District | None) -> int:
    """?year= (a 400 in words when it is not a year the system serves); by default the current
    credit year (of the district, or of the first district of the city or province)."""
    value = request.GET.get("year") if request.method == "GET" else request.POST.get("year")
    if value not in (None, ""):
        return parse_year(value, required=True)
    try:
        return current_credit_year(district) if district else timezone.localdate().year
    except ValidationError:  # no credit rules in force yet: the calendar year
        return timezone.localdate().year


def _sort(request) -> str:
    return parse_choice(request.GET.get("sort"), selectors.SORTS, default="")


@login_required
def index(request):
    """汇总: the viewer's own level of the chain."""
    user = request.user
    query = f"?{urlencode({'year': request.GET['year']})}" if request.GET.get("year") else ""
    if user.is_province_officer:
        return redirect(reverse("oversight:province") + query)
    if user.is_city_officer:
        return redirect(reverse("oversight:city", args=[user.organisation.city_id]) + query)
    if user.is_district_reviewer:
        return redirect(reverse("oversight:district", args=[user.district_id]) + query)
    raise PermissionDenied


def _crumbs(user, *, province=None, city=None, district=None) -> list[tuple[str, str]]:
    """省 › 市 › 区, each a link where the viewer may open it."""
    crumbs = []
    if province is not None:
        crumbs.append((province.name, reverse("oversight:province")
                       if access.may_view_province(user, province.pk) else ""))
    if city is not None:
        crumbs.append((city.name, reverse("oversight:city", args=[city.pk])
                       if access.may_view_city(user, city.pk) else ""))
    if district is not None:
        crumbs.append((district.name, reverse("oversight:district", args=[district.pk])))
    return crumbs


def _page(request, *, title, level, rollup, crumbs, sort, district=None, child_label):
    year = rollup.year
    rows = selectors.rows_sorted(rollup.rows, sort)
    if wants_xlsx(request):
        return _xlsx(title, year, rows, rollup, child_label)
    today = timezone.localdate().year
    return render(request, "oversight/rollup.html", {
        "title": title, "level": level, "rollup": rollup, "rows": rows, "crumbs": crumbs, "year": year,
        "years": range(today + 1, today - 6, -1), "sort": sort, "columns": selectors.COLUMNS,
        "child_label": child_label, "district": district,
        "may_refresh": district is not None and access.may_refresh(request.user, district.pk),
        "pending": district is not None and tasks.pending(district.pk, year),
        "targets": _TARGETS,
        "query": urlencode({"year": year}),
        "export_query": urlencode({"year": year, "sort": sort, "format": "xlsx"}),
    })


@login_required
def province(request):
    """The province officer's province: one row per city."""
    user = request.user
    if not user.is_province_officer:
        raise PermissionDenied
    the_province = user.organisation.province
    sort = _sort(request)
    first = District.objects.filter(city__province=the_province).order_by("pk").first()
    rollup = selectors.province_rollup(the_province, _year(request, first))
    for row in rollup.rows:
        row.url = reverse("oversight:city", args=[row.pk]) + f"?year={rollup.year}"
    return _page(request, title=the_province.name, level="province", rollup=rollup, sort=sort,
                 crumbs=_crumbs(user, province=the_province), child_label=pgettext("roll-up column", "City"))


@login_required
def city(request, pk):
    """A city: one row per district."""
    user = request.user
    if not user.is_regional_officer:
        raise PermissionDenied
    the_city = get_object_or_404(City.objects.select_related("province"), pk=pk)
    if not access.may_view_city(user, the_city.pk):
        raise PermissionDenied
    sort = _sort(request)
    first = District.objects.filter(city=the_city).order_by("pk").first()
    rollup = selectors.city_rollup(the_city, _year(request, first))
    for row in rollup.rows:
        row.url = reverse("oversight:district", args=[row.pk]) + f"?year={rollup.year}"
    return _page(request, title=the_city.name, level="city", rollup=rollup, sort=sort,
                 crumbs=_crumbs(user, province=the_city.province, city=the_city), child_label=_("District"))


@login_required
def district(request, pk):
    """A district: one row per school, linked to the school's credits where the viewer may see them."""
    user = request.user
    if not (user.is_district_reviewer or user.is_regional_officer):
        raise PermissionDenied
    the_district = get_object_or_404(District.objects.select_related("city__province"), pk=pk)
    if not access.may_view_district(user, the_district.pk):
        raise PermissionDenied
    sort = _sort(request)
    rollup = selectors.district_rollup(the_district, _year(request, the_district))
    for row in rollup.rows:
        if row.kind not in (Organisation.Kind.SCHOOL, Organisation.Kind.KINDERGARTEN):
            continue
        if user.is_district_reviewer_of(the_district.pk):
            row.url = reverse("credits:school_credits") + "?" + urlencode({"organisation": row.pk,
                                                                           "year": rollup.year})
        else:
            row.url = reverse("oversight:school", args=[row.pk]) + f"?year={rollup.year}"
    city_obj = the_district.city
    return _page(request, title=the_district.name, level="district", rollup=rollup, sort=sort,
                 district=the_district, child_label=_("School"),
                 crumbs=_crumbs(user, province=city_obj.province if city_obj else None, city=city_obj,
                                district=the_district))


@login_required
def school(request, pk):
    """One school of a district below a city or province officer: its figures and its teachers'
    credits of the year (read-only; the district's own staff use the credit pages)."""
    from core.paging import page_of
    from credits.selectors import school_credits

    user = request.user
    if not user.is_regional_officer:
        raise PermissionDenied
    organisation = get_object_or_404(Organisation.objects.select_related("district__city__province"), pk=pk,
                                     kind__in=[Organisation.Kind.SCHOOL, Organisation.Kind.KINDERGARTEN])
    if not access.may_view_district(user, organisation.district_id):
        raise PermissionDenied
    the_district = organisation.district
    year = _year(request, the_district)
    rollup = selectors.district_rollup(the_district, year)
    row = next((row for row in rollup.rows if row.pk == organisation.pk), None)
    try:
        report = school_credits(organisation, year)
    except ValidationError:  # no credit rules in force for the year: figures only
        report = None
    city_obj = the_district.city
    today = timezone.localdate().year
    return render(request, "oversight/school.html", {
        "organisation": organisation, "row": row, "year": year, "report": report,
        "page": page_of(request, report.rows if report else [], 50), "years": range(today + 1, today - 6, -1),
        "crumbs": _crumbs(user, province=city_obj.province if city_obj else None, city=city_obj,
                          district=the_district) + [(organisation.name, "")],
        "columns": selectors.COLUMNS, "targets": _TARGETS,
    })


@login_required
@require_POST
def refresh(request, pk):
    """"Refresh now": recount a district's figures of a year (the background task)."""
    user = request.user
    the_district = get_object_or_404(District, pk=pk)
    if not access.may_refresh(user, the_district.pk):
        raise PermissionDenied
    year = _year(request, the_district)
    try:
        services.recount_check(the_district, year)
    except ValidationError as error:
        raise BadParameter(" ".join(error.messages)) from None
    if tasks.figures_request(the_district.pk, year):
        messages.success(request, _("The figures of %(district)s for %(year)s are being recounted.") % {
            "district": the_district.name, "year": year})
    else:
        messages.info(request, _("A recount of %(district)s for %(year)s is already waiting.") % {
            "district": the_district.name, "year": year})
    return redirect(reverse("oversight:district", args=[the_district.pk]) + f"?year={year}")


def _xlsx(title, year, rows, rollup, child_label):
    columns = [child_label, _("Plans filed on time"), _("Plans due"), _("Projects run"), _("Projects planned"),
               _("Participation rate (%)"), _("Registration rate (%)"), _("Completion rate (%)"),
               _("Spot-check coverage (%)"), pgettext("roll-up column", "Teachers"),
               # The counts behind the rates, so that a reader can add the rows up and check a total.
               _("Participants"), _("Teachers registered"), _("Teachers completed"), _("Projects held"),
               _("Projects spot-checked")]

    def line(name, figures):
        return [name, figures.plans_on_time, figures.plans_due, figures.projects_run, figures.projects_planned,
                percent_cell(figures.participation_rate), percent_cell(figures.registration_rate),
                percent_cell(figures.completion_rate), percent_cell(figures.spot_check_coverage), figures.teachers,
                figures.participants, figures.registered, figures.completed, figures.projects_held,
                figures.spot_checked]

    lines = [line(row.name, row.figures) for row in rows] + [line(_("Total"), rollup.total)]
    as_of = formats.date_format(timezone.localtime(rollup.computed_at), "SHORT_DATETIME_FORMAT") \
        if rollup.computed_at else "—"
    return report_response(_("%(name)s roll-up %(year)s") % {"name": title, "year": year}, columns, lines,
                           summary=[(_("Figures as of"), as_of)], sheet_title=str(year))
