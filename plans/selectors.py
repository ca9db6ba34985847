from django.db.models import Q, QuerySet
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


MAX_SEARCH_WORDS = 8


def document_search_q(*, query="", filing_number="", path="") -> Q:
    """Documents whose title or content holds every word of ``query`` and whose
    filing number contains ``filing_number`` (compared normalised: full-width
    digits and invisible characters do not matter). ``path`` leads from the
    model filtered to the document ("process__reviewprocess__document__" for tasks).

    The table rows (the annual plan's projects, the school plan's year blocks)
    are searched through subqueries, so a document is never listed twice.
    """
    from .models import PlannedProject, SchoolPlanYear

    # Each word is looked for in some twenty columns and two tables: a hundred characters
    # typed as fifty one-letter words made one query of a thousand LIKEs. The same word
    # twice is one word; more distinct words than a search needs are refused (400).
    words = list(dict.fromkeys(query.split()))
    if len(words) > MAX_SEARCH_WORDS:
        raise BadParameter(gettext("Search for at most %(max)s words at once.") % {"max": MAX_SEARCH_WORDS})
    condition = Q()
    for word in words:
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
