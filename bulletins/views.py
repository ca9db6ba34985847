"""Pages of the annual bulletin (district bureau) and the commendation list (city officer):
the list of issued documents, the issue forms with their watermarked preview, each issued
document's page, its stored PDF, and its withdrawal. Who may do what: bulletins.services."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.params import BadParameter, parse_id, parse_year
from core.pdf import PRINT_CSS, pdf_response
from plans.forms import add_validation_error

from . import content as contents
from . import services
from .forms import BulletinForm, CommendationForm, WithdrawForm
from .models import Issued


def _visible_or_404(user, pk) -> Issued:
    issued = services.issued_visible(user).filter(pk=pk).first()
    if issued is None:
        raise Http404
    return issued


@login_required
def issued_list(request):
    user = request.user
    districts = services.districts_readable(user)
    if not (districts.exists() or services.may_issue_commendation(user) or user.is_province_officer):
        raise PermissionDenied
    issued = services.issued_visible(user)
    # Empty: every district; anything else must be a district id (junk is a 400, not "no filter").
    district_id = parse_id(request.GET["district"]) if request.GET.get("district") else None
    if district_id is not None:
        if not districts.filter(pk=district_id).exists():
            raise Http404
        district = districts.get(pk=district_id)
        # The district's bulletins and its city's lists (a stand-alone district has no city).
        scope = Q(district_id=district_id) | (Q(city_id=district.city_id) if district.city_id else Q(pk__in=[]))
        issued = issued.filter(scope)
    return render(request, "bulletins/list.html", {
        "issued": issued.order_by("-issued_at", "-pk"), "districts": districts.select_related("city"),
        "district_id": district_id,
        "may_issue_bulletin": services.may_issue_bulletin(user),
        "may_issue_commendation": services.may_issue_commendation(user),
    })


# --- the annual bulletin -------------------------------------------------------------------------

def _bulletin_only(user):
    if not services.may_issue_bulletin(user):
        raise PermissionDenied


def _query_year(request) -> int:
    return parse_year(request.GET.get("year"), required=True)


@login_required
def bulletin_new(request):
    user = request.user
    _bulletin_only(user)
    last_year = timezone.localdate().year - 1
    form = BulletinForm(request.POST or None, initial={"year": last_year})
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.bulletin_issue(user=user, year=form.cleaned_data["year"])
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("Issued: %(number)s.") % {"number": issued.number})
            return redirect("bulletins:detail", pk=issued.pk)
    return render(request, "bulletins/issue.html", {
        "form": form, "kind": Issued.Kind.BULLETIN, "title": _("Issue the annual bulletin"),
        "preview_url": "bulletins:bulletin_preview", "preview_pdf_url": "bulletins:bulletin_preview_pdf",
        "param": "year", "default": form["year"].value() or last_year,
    })


def _draft_or_400(make):
    """A draft's context; a figure that cannot be counted is a bad request (Chinese message)."""
    try:
        return make()
    except ValidationError as error:
        raise BadParameter(" ".join(error.messages)) from None


def _preview_html(request, context) -> HttpResponse:
    html = services.preview_html(context, stylesheet_url=staticfiles_storage.url(PRINT_CSS),
                                 csp_nonce=getattr(request, "csp_nonce", ""))
    return HttpResponse(html)


@login_required
def bulletin_preview(request):
    _bulletin_only(request.user)
    year = _query_year(request)
    return _preview_html(request, _draft_or_400(lambda: services.bulletin_draft(user=request.user, year=year)))


@login_required
def bulletin_preview_pdf(request):
    _bulletin_only(request.user)
    year = _query_year(request)
    context = _draft_or_400(lambda: services.bulletin_draft(user=request.user, year=year))
    return pdf_response(services.render(context), _("draft-%(name)s.pdf") % {"name": context["title"]}, inline=True)


# --- the commendation list -----------------------------------------------------------------------

def _commendation_only(user):
    if not services.may_issue_commendation(user):
        raise PermissionDenied


def _cycles(user):
    return contents.city_cycles(user.organisation.city)


def _query_cycle(request) -> tuple[int, int]:
    """?cycle=<first year> of one of the city's cycles, else 400."""
    first = parse_year(request.GET.get("cycle"), required=True)
    cycles = {cycle[0]: cycle for cycle in _cycles(request.user)}
    if first not in cycles:
        raise BadParameter(_("%(city)s has no credit cycle starting in %(year)s.") % {
            "city": request.user.organisation.city.name, "year": first})
    return cycles[first]


@login_required
def commendation_new(request):
    user = request.user
    _commendation_only(user)
    cycles = _cycles(user)
    # The most recent cycle that is over (the one to commend), else the first offered.
    ended = [cycle for cycle in cycles if contents.cycle_over(user.organisation.city, cycle)]
    default = (ended or cycles or [(None, None)])[0][0]
    form = CommendationForm(request.POST or None, cycles=cycles, initial={"cycle": default})
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.commendation_issue(user=user, cycle=form.cleaned_data["cycle"])
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("Issued: %(number)s.") % {"number": issued.number})
            return redirect("bulletins:detail", pk=issued.pk)
    return render(request, "bulletins/issue.html", {
        "form": form, "kind": Issued.Kind.COMMENDATION, "title": _("Issue the commendation list"),
        "preview_url": "bulletins:commendation_preview", "preview_pdf_url": "bulletins:commendation_preview_pdf",
        "param": "cycle", "cycles": cycles, "default": default,
    })


@login_required
def commendation_preview(request):
    _commendation_only(request.user)
    cycle = _query_cycle(request)
    return _preview_html(request, _draft_or_400(lambda: services.commendation_draft(user=request.user, cycle=cycle)))


@login_required
def commendation_preview_pdf(request):
    _commendation_only(request.user)
    cycle = _query_cycle(request)
    context = _draft_or_400(lambda: services.commendation_draft(user=request.user, cycle=cycle))
    return pdf_response(services.render(context), _("draft-%(name)s.pdf") % {"name": context["title"]}, inline=True)


# --- an issued document --------------------------------------------------------------------------

@login_required
def issued_detail(request, pk):
    issued = _visible_or_404(request.user, pk)
    return render(request, "bulletins/detail.html", {
        "issued": issued, "may_withdraw": services.may_withdraw(request.user, issued),
        "withdraw_form": WithdrawForm(),
    })


@login_required
def issued_pdf(request, pk):
    issued = _visible_or_404(request.user, pk)
    return pdf_response(services.issued_pdf(issued), services.pdf_filename(issued))


@login_required
@require_POST
def issued_withdraw(request, pk):
    issued = _visible_or_404(request.user, pk)
    if not services.may_withdraw(request.user, issued):
        raise PermissionDenied
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.issued_withdraw(issued=issued, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("Withdrawn; the document can be issued again."))
            return redirect("bulletins:detail", pk=issued.pk)
    issued.refresh_from_db()
    return render(request, "bulletins/detail.html", {
        "issued": issued, "may_withdraw": services.may_withdraw(request.user, issued), "withdraw_form": form,
    }, status=400)
