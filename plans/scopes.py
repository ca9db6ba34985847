"""Who may see and change which documents (accounts.permissions), registered in PlansConfig.ready().

plans.view_document: district staff (training school, bureau) their district's
documents, a school's staff their school's, a city or province officer those
of every organisation below them and of their own level (accounts.regions); experts and copy recipients only
those granted to them one by one (guardian, answered by its own backend).
plans.change_document: the authors (school or training-school officers) of the
document's organisation, for the kinds their organisation writes.
"""
from django.db.models import Q, QuerySet

from accounts import permissions, regions
from accounts.models import Organisation, User

from .models import Document, DocumentUserObjectPermission
from .rules import authorable_kinds


def _granted(user: User, codename: str) -> Q:
    """Documents granted to the user one by one (guardian's direct-FK table)."""
    return Q(pk__in=DocumentUserObjectPermission.objects.filter(
        user=user, permission__codename=codename).values("content_object_id"))


def document_may_view(user: User, document: Document) -> bool:
    if user.is_district_reviewer:
        return user.district_id == document.organisation.district_id
    if user.is_school_staff:
        return user.organisation_id == document.organisation_id
    if user.is_regional_officer:
        return _regional_organisations(user).filter(pk=document.organisation_id).exists()
    return False


def _regional_organisations(user: User) -> QuerySet[Organisation]:
    # A city or province officer reads the documents of every organisation below them and of
    # their own level (read-only: plans.change_document never includes them).
    return regions.organisations_overseen(user) | regions.organisations_of_region(user)


def document_list_visible(*, user: User) -> QuerySet[Document]:
    """Documents a user may see: their organisation's or district's by rule,
    plus those granted one by one through guardian (assigned experts)."""
    documents = Document.objects.all()
    if user.is_superuser:
        return documents
    scope = _granted(user, "view_document")
    if user.is_district_reviewer:
        # On the document's own organisation_id column (indexed), not through a join:
        # an OR across a join made PostgreSQL read every document in the province.
        district_orgs = Organisation.objects.filter(district_id=user.organisation.district_id).values("pk")
        scope |= Q(organisation_id__in=district_orgs)
    elif user.is_school_staff:
        scope |= Q(organisation_id=user.organisation_id)
    elif user.is_regional_officer:
        scope |= Q(organisation_id__in=_regional_organisations(user).values("pk"))
    return documents.filter(scope)


def _editable_kinds(user: User) -> list[str]:
    # Change requests are started from the schedule, not the new-document menu.
    return authorable_kinds(user) + ([Document.Kind.CHANGE_REQUEST] if user.writes_documents else [])


def document_may_edit(user: User, document: Document) -> bool:
    return (user.writes_documents and user.organisation_id == document.organisation_id
            and document.kind in _editable_kinds(user))


def document_list_editable(*, user: User) -> QuerySet[Document]:
    documents = Document.objects.all()
    if user.is_superuser:
        return documents
    scope = _granted(user, "change_document")
    if user.writes_documents:
        scope |= Q(organisation_id=user.organisation_id, kind__in=_editable_kinds(user))
    return documents.filter(scope)


def register_all() -> None:
    permissions.register("plans.view_document", model=Document, may=document_may_view,
                         visible=document_list_visible)
    permissions.register("plans.change_document", model=Document, may=document_may_edit,
                         visible=document_list_editable)
