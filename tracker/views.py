from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.params import parse_choice, parse_id, parse_year

from . import selectors, services
from .models import TrackedKind


def _year(value):
    # Absent: this year. Present: a year the system serves, else a 400 saying so.
    if value in (None, ""):
        return timezone.localdate().year
    return parse_year(value, required=True)


@login_required
def tracker(request):
    """A year's submission tracker: each school's state for one kind of document."""
    user = request.user
    if not services.may_view_tracker(user):
        raise PermissionDenied
    kind = parse_choice(request.GET.get("kind"), TrackedKind.values, default=TrackedKind.SCHOOL_PLAN)
    year = _year(request.GET.get("year"))
    sort = parse_choice(request.GET.get("sort"), list(selectors.SORTS), default="")
    state = parse_choice(request.GET.get("state"), selectors.State.values, default="")
    rows = selectors.tracker_rows(district_id=user.district_id, kind=kind, year=year)
    counts = selectors.state_counts(rows)
    late_count = sum(1 for row in rows if row.late)
    if state:
        rows = [row for row in rows if row.state == state]
    today = timezone.localdate()
    return render(request, "tracker/tracker.html", {
        "rows": selectors.tracker_sort(rows, sort), "counts": counts, "late_count": late_count,
        "kind": kind, "kinds": TrackedKind.choices, "kind_label": TrackedKind(kind).label,
        "year": year, "years": range(today.year + 1, today.year - 5, -1), "sort": sort, "state": state,
        "may_remind": services.may_remind(user), "total": sum(count for _s, _l, count in counts),
        "query": urlencode({"kind": kind, "year": year}),
    })


@login_required
@require_POST
def remind(request):
    """催交: one school (``school``) or every late school (``all``)."""
    user = request.user
    if not services.may_remind(user):
        raise PermissionDenied
    kind = parse_choice(request.POST.get("kind"), TrackedKind.values, default=TrackedKind.SCHOOL_PLAN)
    year = _year(request.POST.get("year"))
    # Back to the page as it was (its sort and state filter kept).
    back = {"kind": kind, "year": year,
            "sort": parse_choice(request.POST.get("sort"), list(selectors.SORTS), default=""),
            "state": parse_choice(request.POST.get("state"), selectors.State.values, default="")}
    school = None
    if not request.POST.get("all"):
        # A school outside the user's district (or no school at all) is refused alike.
        school = selectors.district_schools(user.district_id).filter(pk=parse_id(request.POST.get("school"))).first()
        if school is None:
            raise PermissionDenied
    try:
        outcome = services.reminders_send(user=user, kind=kind, year=year, school=school)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if outcome.sent:
            messages.success(request, _("Reminder sent to %(count)s schools: %(names)s.") % {
                "count": len(outcome.sent), "names": "、".join(r.school.name for r in outcome.sent)})
        if outcome.recent:
            messages.warning(request, _("Not reminded again (reminded in the last 24 hours): %(names)s.") % {
                "names": "、".join(school.name for school, _when in outcome.recent)})
        if outcome.no_officer:
            messages.warning(request, _("Not reminded (no active training officer account): %(names)s.") % {
                "names": "、".join(school.name for school in outcome.no_officer)})
    return redirect(f"{reverse('tracker:index')}?{urlencode({k: v for k, v in back.items() if v})}")
