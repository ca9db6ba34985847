from accounts.models import User

from .scopes import document_list_visible


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
