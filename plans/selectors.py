from django.db.models import Q, QuerySet
from django.template.defaultfilters import yesno
from django.utils.translation import gettext

from accounts.models import Organisation, User
from core.params import BadParameter, parse_id
from core.text import normalise_identifier

from .scopes import document_list_visible


def document_list_for_page(*, user: User, kind="", status="", year=None, organisation_id=None, query="",
                           filing_number=""):
    documents = document_list_visible(user=user).select_related("organisation", "created_by")
    if kind:
        documents = documents.filter(kind=kind)
    if status:
        documents = documents.filter(status=status)
    if year:
        documents = documents.filter(year=year)
    if organisation_id:
        documents = documents.filter(organisation_id=organisation_id)
    if query or filing_number:
        documents = documents.filter(document_search_q(query=query, filing_number=filing_number))
    return documents.order_by("-year", "-updated_at", "-pk")


def _content_fields() -> list[str]:
    """The text a keyword is looked for in: each kind's sections and free-text fields."""
    from .models import AnnualPlan, SchoolPlan

    return [
        *(f"annual_plan__{name}" for name in AnnualPlan.SECTIONS),
        *(f"school_plan__{name}" for name in [*SchoolPlan.SECTIONS, "group_leader", "group_members"]),
        *(f"project_proposal__{name}" for name in ["organiser", "target_group", "location", "design"]),
        *(f"change_request__{name}" for name in ["reason", "new_location"]),
    ]


def document_search_q(*, query="", filing_number="", path="") -> Q:
    """Documents whose title or content holds every word of ``query`` and whose
    filing number contains ``filing_number`` (compared normalised: full-width
    digits and invisible characters do not matter). ``path`` leads from the
    model filtered to the document ("process__reviewprocess__document__" for tasks).

    The table rows (the annual plan's projects, the school plan's year blocks)
    are searched through subqueries, so a document is never listed twice.
    """
    from .models import PlannedProject, SchoolPlanYear

    condition = Q()
    for word in query.split():
        matches = Q(**{f"{path}title__icontains": word})
        for name in _content_fields():
            matches |= Q(**{f"{path}{name}__icontains": word})
        matches |= Q(**{f"{path}pk__in": PlannedProject.objects.filter(name__icontains=word).values("plan_id")})
        matches |= Q(**{f"{path}pk__in": SchoolPlanYear.objects.filter(content__icontains=word).values("plan_id")})
        condition &= matches
    filing_number = normalise_identifier(filing_number)
    if filing_number:
        condition &= Q(**{f"{path}filing_number__icontains": filing_number})
    return condition


def document_organisations(*, user: User) -> QuerySet[Organisation]:
    """The organisation filter's choices: those whose documents the user may see
    (district staff: every organisation of their district that writes documents).
    Never another district's names."""
    if user.is_district_reviewer:
        organisations = Organisation.objects.filter(district_id=user.organisation.district_id).exclude(
            kind=Organisation.Kind.EXPERT_POOL)
    else:
        organisations = Organisation.objects.filter(
            pk__in=document_list_visible(user=user).values("organisation_id"))
    return organisations.order_by("kind", "name", "pk")


def parse_organisation(value, organisations) -> int | None:
    """The organisation filter's value: one of ``organisations`` (the choices shown),
    else a 400; the same answer whether the id exists elsewhere or not at all."""
    if value in (None, ""):
        return None
    pk = parse_id(value)
    if pk not in {organisation.pk for organisation in organisations}:
        raise BadParameter(gettext("This organisation is not one you can filter by."))
    return pk


def version_for_display(*, version) -> dict:
    """A frozen DocumentVersion as labelled fields and tables, for reading."""
    from .models import PlannedProject, SchoolPlanYear

    document = version.document
    detail_model = type(document.detail)
    content = version.content

    def shown(model, name, value):
        # Stored codes read as their labels: lists of choices through the model's
        # `<field>_display`, single choices through the field's own choices.
        field = model._meta.get_field(name)
        if isinstance(value, list) and isinstance(getattr(model, f"{name}_display", None), property):
            value = getattr(model(**{name: value}), f"{name}_display")
        elif field.choices and value not in (None, ""):
            value = dict(field.flatchoices).get(value, value)
        elif isinstance(value, bool):
            value = yesno(value)
        if isinstance(value, list):
            return "、".join(str(v) for v in value) or "—"
        return "—" if value in (None, "") else value

    def labelled(model, values):
        return [(model._meta.get_field(name).verbose_name, shown(model, name, value)) for name, value in values.items()
                if name not in ("id", "plan", "document")]

    tables = []
    for key, model in (("projects", PlannedProject), ("years", SchoolPlanYear)):
        rows = content.get(key) or []
        if rows:
            headers = [label for label, _ in labelled(model, rows[0])]
            tables.append({"headers": headers, "rows": [[v for _, v in labelled(model, r)] for r in rows]})
    return {
        "title": content.get("title"),
        "year": content.get("year"),
        "fields": labelled(detail_model, content.get("detail", {})),
        "tables": tables,
    }
