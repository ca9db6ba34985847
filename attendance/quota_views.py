"""名额 of a city's or province's project: the organiser gives districts places, each district's
bureau shares its places among its schools (attendance.quotas)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core import limits
from core.params import parse_int
from schedule.selectors import project_list_visible

from . import quotas


def _places(post, prefix: str) -> dict[int, int]:
    """{id: places} from fields named <prefix><id>; a bad number is a 400 (core.params)."""
    places = {}
    for key, value in post.items():
        if key.startswith(prefix) and key[len(prefix):].isdigit():
            places[int(key[len(prefix):])] = parse_int(value, minimum=0, maximum=limits.MAX_HEADCOUNT, required=True)
    return places


@login_required
def project_quotas(request, pk):
    user = request.user
    project = get_object_or_404(project_list_visible(user=user).select_related("organiser"), pk=pk)
    if not project.is_regional:
        raise Http404
    may_set = quotas.may_set_district_quotas(user, project)
    may_split = quotas.may_split_quota(user, project)
    if request.method == "POST":
        try:
            if "districts" in request.POST and may_set:
                quotas.district_quotas_set(project=project, user=user, places=_places(request.POST, "district_"))
            elif "schools" in request.POST and may_split:
                quotas.school_quotas_set(project=project, user=user, places=_places(request.POST, "school_"))
            else:
                raise PermissionDenied
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The places were saved."))
            return redirect("attendance:quotas", pk=project.pk)
    rows = quotas.quota_rows(project, district_id=user.district_id if may_split else None)
    return render(request, "attendance/quotas.html", {
        "project": project, "may_set": may_set, "may_split": may_split, **rows,
    })
