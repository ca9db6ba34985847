"""The bureau's credit rules in the app: the versions its district counts by, one version's
rules, and a new version of its own (edit, preview, save). Bureau officers only, each for
their own district (anyone else 403; another district's version 404)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.params import parse_id
from plans.forms import add_validation_error

from . import rule_versions, tasks
from .models import Bonus
from .rule_forms import RuleEditor


def _version(district, pk) -> object:
    """One of the versions the district counts by (shared or its own); 404 for any other."""
    return get_object_or_404(rule_versions.rule_sets_of(district).select_related("district"), pk=pk)


@login_required
def rule_list(request):
    district = rule_versions.district_of(request.user)
    current = rule_versions.in_force(district)
    return render(request, "credits/rules.html", {
        "district": district, "versions": rule_versions.versions(district), "current": current,
        "family": rule_versions.rule_family(district),
    })


@login_required
def rule_detail(request, pk):
    district = rule_versions.district_of(request.user)
    rule_set = _version(district, pk)
    # Categories by name: their codes are identifiers for the editor, not words for a reader.
    categories = list(rule_set.categories.all())
    names = {category.code: category.name for category in categories}
    conversions = list(rule_set.conversions.order_by("activity", "level", "pk"))
    for rule in conversions:
        rule.category_name = names.get(rule.category, rule.category)
    for category in categories:
        category.surplus_to_name = names.get(category.surplus_to, category.surplus_to)
    return render(request, "credits/rule_detail.html", {
        "district": district, "rule_set": rule_set, "current": rule_versions.in_force(district),
        "conversions": conversions,
        "bonuses": rule_set.bonuses.filter(kind=Bonus.Kind.EXCELLENT_TRAINEE), "categories": categories,
    })


@login_required
def rule_new(request):
    """A new version of the district's own, copied from ?from=<version> (the one in force by
    default). "Preview" recounts a sample of teachers; "Save" saves what was previewed."""
    district = rule_versions.district_of(request.user)
    wanted = request.POST.get("source") or request.GET.get("from")
    source = _version(district, parse_id(wanted)) if wanted else rule_versions.in_force(district)
    if source is None:
        source = rule_versions.latest_version(district)
    if source is None:
        raise Http404(rule_versions.ERROR_NO_RULES)
    if request.method == "POST":
        editor = RuleEditor(request.POST)
    else:
        editor = RuleEditor(initial=rule_versions.copy_header(source, district), rows=rule_versions.copy_rows(source))
    preview, fingerprint = None, ""
    if request.method == "POST":
        if editor.is_valid():
            fingerprint = rule_versions.fingerprint(source, editor.data())
            if "save" in request.POST and request.POST.get("previewed") == fingerprint:
                try:
                    rule_set = rule_versions.version_save(user=request.user, rule_set=editor.header.instance,
                                                          conversions=editor.objects()[1],
                                                          bonuses=editor.objects()[2],
                                                          categories=editor.objects()[3])
                except ValidationError as error:
                    add_validation_error(editor.header, error)
                else:
                    messages.success(request, _("The new version “%(name)s” is saved: it applies from %(date)s.")
                                     % {"name": rule_set.name, "date": rule_set.valid_from.isoformat()})
                    # Every teacher recounted under both versions: a background job (credits.tasks).
                    job = tasks.recount_start(user=request.user, rule_set=rule_set)
                    messages.info(request, _("Every teacher's credits of this year are being recounted under the "
                                             "new version in the background: see “%(job)s” under My jobs.")
                                  % {"job": job.title})
                    return redirect("credits:rule_detail", pk=rule_set.pk)
            elif "save" in request.POST:
                messages.warning(request, _("The rules changed since the preview: check the new preview, then save."))
            rule_set, conversions, bonuses, _categories = editor.objects()
            preview = rule_versions.preview(district, rule_set, conversions, bonuses)
        else:
            messages.error(request, _("Nothing was saved: correct the %(count)s problems marked below.")
                           % {"count": editor.error_count()})
    return render(request, "credits/rule_edit.html", {
        "district": district, "source": source, "editor": editor, "preview": preview, "fingerprint": fingerprint,
        "latest": rule_versions.latest_version(district),
    })
