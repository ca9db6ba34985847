"""Who may do what with documents, by organisation and role.

Plain functions so that views, selectors, the auth backend and viewflow's
pages all ask the same questions.
"""
from accounts.models import Organisation, User

from .models import Document

DISTRICT_ROLES = {User.Role.TRAINING_OFFICER, User.Role.BUREAU_OFFICER}
SCHOOL_STAFF_ROLES = {User.Role.SCHOOL_OFFICER, User.Role.PRINCIPAL}
AUTHOR_ROLES = {User.Role.SCHOOL_OFFICER, User.Role.TRAINING_OFFICER}

# Which kinds each kind of organisation writes.
KINDS_BY_ORGANISATION = {
    Organisation.Kind.TRAINING_SCHOOL: [Document.Kind.ANNUAL_PLAN, Document.Kind.PROJECT_PROPOSAL],
    Organisation.Kind.SCHOOL: [Document.Kind.SCHOOL_PLAN, Document.Kind.PROJECT_PROPOSAL],
    Organisation.Kind.KINDERGARTEN: [Document.Kind.SCHOOL_PLAN, Document.Kind.PROJECT_PROPOSAL],
}


def authorable_kinds(user) -> list[str]:
    if user.role not in AUTHOR_ROLES or not user.organisation_id:
        return []
    return KINDS_BY_ORGANISATION.get(user.organisation.kind, [])


def may_use_review_pages(user) -> bool:
    return user.role in (DISTRICT_ROLES | SCHOOL_STAFF_ROLES | {User.Role.EXPERT})


def may_view(user, document: Document) -> bool:
    if user.role in DISTRICT_ROLES:
        return user.district_id == document.organisation.district_id
    if user.role in SCHOOL_STAFF_ROLES:
        return user.organisation_id == document.organisation_id
    return False


def may_edit(user, document: Document) -> bool:
    # Change requests are started from the schedule, not the new-document menu.
    kinds = authorable_kinds(user) + ([Document.Kind.CHANGE_REQUEST] if user.role in AUTHOR_ROLES else [])
    return (
        user.role in AUTHOR_ROLES
        and user.organisation_id == document.organisation_id
        and document.kind in kinds
    )


def organisation_grants(user, perm: str, obj) -> bool:
    """Answer for accounts.backends.OrganisationScopeBackend."""
    if not isinstance(obj, Document):
        return False
    if perm == "plans.view_document":
        return may_view(user, obj)
    if perm == "plans.change_document":
        return may_edit(user, obj)
    return False
