from django.db.models import Q, QuerySet

from accounts.models import User

from .models import Document, DocumentUserObjectPermission
from .rules import DISTRICT_ROLES, SCHOOL_STAFF_ROLES


def document_list_visible(*, user: User) -> QuerySet[Document]:
    """Documents a user may see: their organisation's or district's by rule,
    plus those granted one by one through guardian (assigned experts)."""
    documents = Document.objects.all()
    if user.is_superuser:
        return documents
    granted = DocumentUserObjectPermission.objects.filter(
        user=user, permission__codename="view_document",
    ).values("content_object_id")
    scope = Q(pk__in=granted)
    if user.role in DISTRICT_ROLES and user.organisation_id:
        scope |= Q(organisation__district_id=user.organisation.district_id)
    elif user.role in SCHOOL_STAFF_ROLES and user.organisation_id:
        scope |= Q(organisation_id=user.organisation_id)
    return documents.filter(scope)


def document_list_for_page(*, user: User, kind="", status="", year=None, organisation_id=None):
    documents = document_list_visible(user=user).select_related("organisation", "created_by")
    if kind:
        documents = documents.filter(kind=kind)
    if status:
        documents = documents.filter(status=status)
    if year:
        documents = documents.filter(year=year)
    if organisation_id:
        documents = documents.filter(organisation_id=organisation_id)
    return documents.order_by("-year", "-updated_at", "-pk")
